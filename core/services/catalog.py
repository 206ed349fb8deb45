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
from core.store.blobs import display_pixels, read_blob
from core.store.catalog import CatalogFilter, catalog_frame, filter_catalog, issue_counts
from core.store.database import Store
from core.store.queries import (
    ImageRecord,
    get_image,
    issue_details,
    list_images,
    scores_for_version,
    version_format,
    versions_of,
)
from core.store.scores import earlier_copy
from core.vocabulary import DECISIONS, FORMAT_LABELS

__all__ = [
    "CatalogFilter",
    "ChecklistRow",
    "ImageRecord",
    "PICKER_LIMIT",
    "Store",
    "catalog_frame",
    "decision_counts",
    "filter_catalog",
    "findings",
    "image_bytes",
    "issue_counts",
    "file_description",
    "marketplace_checklist",
    "open_version",
    "pickable_versions",
    "preview_pixels",
    "same_photo_as",
    "versions_of",
]


def decision_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many rows of a catalogue frame are unreviewed, approved, rejected, needs_changes."""
    counts = frame["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in ("unreviewed", *DECISIONS)}


#: The image picker (Inspect, Optimize) lists at most this many versions: the first ones, plus the
#: one asked for and its image's other versions. A catalogue of any size opens those pages at
#: once and no server process holds it whole (100,000 versions took ~650 MB and seconds); any
#: other image opens from its link on the Overview.
PICKER_LIMIT: Final = 500


def pickable_versions(
    store: Store, *, profile: str, merchant_id: str | None, around: int | None = None, limit: int = PICKER_LIMIT
) -> list[ImageRecord]:
    """Versions (originals and optimized) a user may pick, oldest first, without their metrics
    (:func:`open_version` reads the chosen one whole): the first ``limit``, plus version
    ``around`` and the other versions of its image when it exists and may be opened.
    ``merchant_id`` limits them to one merchant's."""
    records = list_images(store, profile=profile, merchant_id=merchant_id, kind=None, with_metrics=False, limit=limit)
    asked = open_version(store, around, profile=profile, merchant_id=merchant_id) if around is not None else None
    if asked is not None:
        known = {r.version_id for r in records}
        records += [r for r in versions_of(store, asked.image_id, profile=profile) if r.version_id not in known]
        records.sort(key=lambda r: r.version_id)
    return records


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


@dataclass(frozen=True, kw_only=True, slots=True)
class ChecklistRow:
    """A version against one marketplace profile: its score (``None`` if not scored), the issue
    names that fail, and the marketplace's rules in words."""

    profile: str
    title: str
    score: float | None
    issues: tuple[str, ...]
    rules: str
    #: Why the marketplace would not take the file itself (its type), or ''.
    file_note: str = ""

    @property
    def passes(self) -> bool:
        return not self.issues and not self.file_note


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
        score, issues = per_profile.get(name, (math.nan, ()))
        rows.append(
            ChecklistRow(
                profile=name,
                title=p.title,
                score=None if math.isnan(score) else round(score, 1),
                issues=tuple(issues),
                rules=" / ".join(p.rules_text),
                file_note=p.file_format_problem(fmt),
            )
        )
    return rows
