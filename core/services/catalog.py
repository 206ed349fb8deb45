"""The catalogue as the Overview, Inspect and the image picker ask for it: image versions with
their scores, the issues found, the marketplace checklist, and the stored image files."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from core.engine.checks import Issue
from core.services.profiles import get_profile, profile_names
from core.services.review import decision_history
from core.store.blobs import display_pixels, read_blob
from core.store.catalog import CatalogFilter, catalog_frame, filter_catalog, issue_counts
from core.store.database import Store
from core.store.queries import (
    CatalogScope,
    ImageRecord,
    OtherNames,
    SameFile,
    catalog_count,
    catalog_page,
    get_image,
    issue_details,
    merchant_ids,
    other_names,
    same_file_elsewhere,
    scores_for_version,
    version_format,
    versions_of,
)
from core.store.reviews import awaits_decision
from core.store.scores import earlier_copy
from core.vocabulary import DECISIONS, FORMAT_LABELS, decision_label

__all__ = [
    "CatalogFilter",
    "ChecklistRow",
    "ImageRecord",
    "OtherNames",
    "PICKER_LIMIT",
    "Pick",
    "PickerList",
    "ReviewState",
    "SameFile",
    "VersionsReview",
    "Store",
    "catalog_frame",
    "copies_under_other_merchants",
    "decision_counts",
    "filter_catalog",
    "findings",
    "image_bytes",
    "issue_counts",
    "file_description",
    "marketplace_checklist",
    "open_version",
    "other_names",
    "picker_list",
    "preview_pixels",
    "review_state",
    "review_states",
    "same_photo_as",
    "versions_of",
]


def decision_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many rows of a catalogue frame are unreviewed, approved, rejected, needs_changes."""
    counts = frame["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in ("unreviewed", *DECISIONS)}


#: The image picker (Inspect, Optimize) lists at most this many versions: the newest ones, or the
#: newest that match a search (searched in the database, as the Overview's), plus the one asked
#: for and its image's other versions. A catalogue of any size opens those pages at once and no
#: server process holds it whole (100,000 versions took ~650 MB and seconds).
PICKER_LIMIT: Final = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class Pick:
    """One version in the image picker: what its label needs, not the version itself."""

    version_id: int
    name: str  # as the merchant gave it
    kind: str
    merchant_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PickerList:
    """What the image picker lists: the newest versions a user may open, or those matching
    ``search``, newest first, at most ``limit`` of them (plus the version asked for)."""

    picks: list[Pick]
    search: str = ""  # '' lists the newest versions
    matches: int | None = None  # with a search, how many versions match it (not counted without)
    more: bool = False  # whether versions are left out (``limit`` reached)
    limit: int = PICKER_LIMIT
    #: What the search box searches, in words (staff can search by merchant too).
    searches: str = "name, SKU or merchant"

    @property
    def note(self) -> str:
        """What the list holds, when that is not plainly everything, e.g. "Showing the newest 500
        of 1,234 matches: refine the search to see the others." ('' for a list that is whole)."""
        if self.search:
            if not self.matches:
                return f"No image you can open matches the search (by {self.searches})."
            if self.more:
                return (
                    f"Showing the newest {len(self.picks):,} of {self.matches:,} matches: "
                    "refine the search to see the others."
                )
            return f"{self.matches:,} match{'es' if self.matches != 1 else ''}, newest first."
        if self.more:
            return (
                f"The list holds the newest {self.limit:,} images only: search by {self.searches} "
                "to find any other, or find it on the Overview."
            )
        return ""


def _pick(row: dict[str, Any]) -> Pick:
    return Pick(
        version_id=int(row["version_id"]),
        name=str(row["file_name"] or ""),  # the catalogue's file_name is the name as given
        kind=str(row["kind"]),
        merchant_id=str(row["merchant_id"]),
    )


def picker_list(
    store: Store,
    *,
    profile: str,
    merchant_id: str | None,
    search: str = "",
    around: int | None = None,
    limit: int | None = None,
) -> PickerList:
    """The versions (originals and optimized) a user may pick, newest first, at most ``limit``.

    Without ``search``: the newest versions, then version ``around`` and its image's other
    versions when it exists and may be opened. With ``search``: the versions whose file name,
    name as given or SKU holds it (the Overview's catalogue search, in the database) or, for
    staff, whose merchant id does; and how many match in all. ``merchant_id`` limits everything
    to one merchant's versions. ``limit`` defaults to :data:`PICKER_LIMIT`.
    """
    limit = PICKER_LIMIT if limit is None else max(1, int(limit))
    scope = CatalogScope(profile=profile, merchant_id=merchant_id, include_optimized=True)
    text = search.strip()
    searches = "name or SKU" if merchant_id is not None else "name, SKU or merchant"
    if text:
        by_text = CatalogFilter(text=text)
        # A merchant searches their own images only: no merchant id is matched for them.
        named = [] if merchant_id is not None else [m for m in merchant_ids(store) if text.lower() in m.lower()]
        filters = [by_text, CatalogFilter(merchants=named)] if named else [by_text]
        found: dict[int, Pick] = {}
        for flt in filters:  # each one's newest; together, their newest
            found.update(
                (p.version_id, p) for p in map(_pick, catalog_page(store, scope, flt, limit=limit, order="newest"))
            )
        picks = sorted(found.values(), key=lambda p: -p.version_id)[:limit]
        matches = catalog_count(store, scope, by_text)
        if named:  # either one: by text, or by merchant and not by text
            matches += catalog_count(store, scope, CatalogFilter(merchants=named)) - catalog_count(
                store, scope, CatalogFilter(merchants=named, text=text)
            )
        return PickerList(
            picks=picks, search=text, matches=matches, more=matches > len(picks), limit=limit, searches=searches
        )
    rows = catalog_page(store, scope, limit=limit + 1, order="newest")
    picks = [_pick(r) for r in rows[:limit]]
    if around is not None and (asked := open_version(store, around, profile=profile, merchant_id=merchant_id)):
        known = {p.version_id for p in picks}
        picks += [
            Pick(version_id=r.version_id, name=r.shown_name, kind=r.kind, merchant_id=r.merchant_id)
            for r in versions_of(store, asked.image_id, profile=profile)
            if r.version_id not in known
        ]
        picks.sort(key=lambda p: -p.version_id)
    return PickerList(picks=picks, more=len(rows) > limit, limit=limit, searches=searches)


def open_version(store: Store, version_id: int, *, profile: str, merchant_id: str | None) -> ImageRecord | None:
    """One version, or ``None`` if it does not exist or (with ``merchant_id``) is another merchant's:
    the two cases look the same, so a link reveals nothing about other merchants' images."""
    return get_image(store, version_id, profile=profile, merchant_id=merchant_id)


def image_bytes(store: Store, record: ImageRecord) -> bytes:
    """The stored file of a version."""
    return read_blob(store, record.blob_path)


def preview_pixels(store: Store, *, sha256: str, blob_path: str, side: int) -> np.ndarray:
    """A stored image at display size (long side at most ``side`` px), decoded from its file once."""
    return display_pixels(store, sha256, blob_path, side=side)


_ISSUE_FIELDS = frozenset(f.name for f in dataclasses.fields(Issue))


def _issue(stored: dict[str, Any]) -> Issue:
    values = {k: v for k, v in stored.items() if k in _ISSUE_FIELDS}
    values["fix"] = tuple(values.get("fix") or ())
    return Issue(**values)


def findings(store: Store, version_id: int, *, profile: str) -> tuple[list[Issue], dict[str, float]]:
    """The issues stored for a version under ``profile`` (worst first) and the points each check cost."""
    stored, contributions = issue_details(store, version_id, profile)
    return [_issue(d) for d in stored], contributions


def same_photo_as(store: Store, version_id: int, *, merchant_id: str | None) -> tuple[int, str] | None:
    """The earlier image a duplicate repeats, as ``(version id, name as given)``, if the viewer may
    open it (a merchant only their own: duplicates are found within one merchant's images)."""
    found = earlier_copy(store, version_id)
    if found is None or (merchant_id is not None and get_image(store, found[0], merchant_id=merchant_id) is None):
        return None
    return found


def copies_under_other_merchants(store: Store, version_id: int, *, merchant_id: str | None) -> list[SameFile]:
    """Other merchants' images stored from the same file as this one, oldest first (see
    :func:`core.store.queries.same_file_elsewhere`): for staff only (``merchant_id`` None). A
    merchant is told nothing about other merchants' images."""
    return [] if merchant_id is not None else same_file_elsewhere(store, version_id)


@dataclass(frozen=True, kw_only=True, slots=True)
class ChecklistRow:
    """A version against one marketplace profile: its score (``None`` if not scored), the issue
    names it was flagged for, those of them past the profile's failing limit, and the
    marketplace's rules in words."""

    profile: str
    title: str
    score: float | None
    issues: tuple[str, ...]
    #: The marketplace's rules in words, one sentence each (its profile's ``rules_text``).
    rules: tuple[str, ...]
    #: The issues past their failing limit (severity "error"): a marketplace's requirement missed
    #: (eBay's 500 px), where the others miss a recommendation (its 1600 px) or a warning level.
    failing: tuple[str, ...] = ()
    #: Why the marketplace would not take the file itself (its type), or ''.
    file_note: str = ""

    @property
    def passes(self) -> bool:
        """No issue past its failing limit, and a file type the marketplace takes."""
        return not self.failing and not self.file_note

    @property
    def verdict(self) -> str:
        """One of "fails", "passes with warnings" and "passes", as the checklist shows it."""
        if not self.passes:
            return "fails"
        return "passes with warnings" if self.issues else "passes"


def file_description(store: Store, record: ImageRecord) -> str:
    """The stored file in words, e.g. "HEIC · 566x848 px · 115 KB" (type as people call it)."""
    fmt = version_format(store, record.version_id)
    parts = [FORMAT_LABELS.get(fmt, fmt)] if fmt else []
    parts.append(f"{record.width}x{record.height} px")
    mb = record.metrics.get("file_mb", math.nan)
    if mb is not None and not math.isnan(mb):
        parts.append(f"{mb * 1000:.0f} KB" if mb < 1 else f"{mb:.1f} MB")
    return " · ".join(parts)


def marketplace_checklist(store: Store, version_id: int) -> list[ChecklistRow]:
    """One row per available profile (built-in marketplaces first, then reviewer-tuned ones)."""
    per_profile = scores_for_version(store, version_id)
    fmt = version_format(store, version_id)
    rows = []
    for name in profile_names(store):
        p = get_profile(store, name)
        score, issues, failing = per_profile.get(name, (math.nan, (), ()))
        rows.append(
            ChecklistRow(
                profile=name,
                title=p.title,
                score=None if math.isnan(score) else round(score, 1),
                issues=tuple(issues),
                failing=failing,
                rules=tuple(p.rules_text),
                file_note=p.file_format_problem(fmt),
            )
        )
    return rows


@dataclass(frozen=True, kw_only=True, slots=True)
class ReviewState:
    """Where one version stands in review, as the viewer may see it: in the queue or not, still
    waiting for a reviewer or not, and the decisions on it."""

    version_id: int
    kind: str
    created_at: str
    #: In the review queue (uploads and fixes saved on Optimize are).
    submitted: bool
    #: Still needs a reviewer's decision: none yet, or a second one (double review).
    waiting: bool
    #: The decisions on it as the viewer may see them (``decision_history`` rows, oldest first:
    #: staff see every decision with the reviewer, merchants the current ones without).
    history: tuple[dict[str, Any], ...]

    @property
    def current(self) -> list[dict[str, Any]]:
        """The decisions in force (not undone or replaced), oldest first."""
        return [d for d in self.history if d["current"]]

    @property
    def status(self) -> str:
        """``not_submitted``, ``unreviewed`` (waiting for review), or the latest decision in force
        (``approved``, ``rejected``, ``needs_changes``): keys of :data:`core.vocabulary.DECISION_LABELS`."""
        current = self.current
        if current:
            return str(current[-1]["decision"])
        return "unreviewed" if self.submitted else "not_submitted"

    @property
    def label(self) -> str:
        """The status in words, e.g. "Waiting for review", "Rejected", "Approved, a second review
        to come"."""
        second = ", a second review to come" if self.current and self.waiting else ""
        return decision_label(self.status) + second


def _state(store: Store, record: ImageRecord, *, viewer_role: str) -> ReviewState:
    return ReviewState(
        version_id=record.version_id,
        kind=record.kind,
        created_at=record.created_at,
        submitted=record.submitted,
        waiting=record.submitted and awaits_decision(store, record.version_id),
        history=tuple(decision_history(store, record.version_id, viewer_role=viewer_role)),
    )


def review_state(store: Store, version_id: int, *, viewer_role: str) -> ReviewState | None:
    """Where version ``version_id`` stands in review (``None`` if there is no such version)."""
    record = get_image(store, version_id)
    return None if record is None else _state(store, record, viewer_role=viewer_role)


@dataclass(frozen=True, kw_only=True, slots=True)
class VersionsReview:
    """The review of an image's versions, seen from one of them (``shown``)."""

    shown: ReviewState
    #: Every version of the image with its state, oldest first.
    versions: list[tuple[ImageRecord, ReviewState]]

    @property
    def other_fixes(self) -> list[tuple[ImageRecord, ReviewState]]:
        """The image's fixes (optimized versions) other than the one shown, newest first."""
        return [
            (r, s) for r, s in reversed(self.versions) if r.kind != "original" and r.version_id != self.shown.version_id
        ]


def review_states(store: Store, record: ImageRecord, *, profile: str, viewer_role: str) -> VersionsReview:
    """Where ``record`` and every other version of its image (scored under ``profile``) stand in
    review: what a merchant needs to learn what became of the fixes they submitted."""
    every = versions_of(store, record.image_id, profile=profile)
    versions = [(r, _state(store, r, viewer_role=viewer_role)) for r in every]
    shown = next((s for r, s in versions if r.version_id == record.version_id), None)
    return VersionsReview(shown=shown or _state(store, record, viewer_role=viewer_role), versions=versions)
