"""Read queries: image versions with their scores, issue details, counts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, NamedTuple

from sqlalchemy import Text, and_, case, exists, false, func, literal, literal_column, or_, select, text
from sqlalchemy.sql import FromClause, Select

from core.store.database import (
    IMAGES_FTS,
    TEXT_INDEX_MIN_CHARS,
    TEXT_SEARCH_COLUMNS,
    Store,
    analyses,
    copied_files,
    copied_shas,
    folded,
    has_text_index,
    image_names,
    images,
    name_order_key,
    reviews,
    score_issues,
    scores,
    shown_name,
    versions,
)
from core.store.scores import loads_metrics
from core.store.textfold import fold_text, fts_phrases, prefilter_chars
from core.vocabulary import CATALOG_ORDERS

__all__ = [
    "CatalogFilter",
    "CatalogScope",
    "ImageRecord",
    "OtherName",
    "OtherNames",
    "SameFile",
    "catalog_bins_and_count",
    "catalog_count",
    "catalog_issue_counts",
    "catalog_page",
    "catalog_score_bins",
    "catalog_status_bins_and_count",
    "catalog_status_counts",
    "merchant_ids",
    "other_names",
    "count_images",
    "get_image",
    "issue_details",
    "list_images",
    "same_file_elsewhere",
    "scores_for_version",
    "version_format",
    "versions_of",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageRecord:
    """An image and one of its versions, with the score under a profile."""

    image_id: int
    version_id: int
    kind: str
    merchant_id: str
    sku: str
    file_name: str
    sha256: str
    width: int
    height: int
    created_at: str
    blob_path: str
    recipe_json: str
    score: float | None
    issues: tuple[str, ...]
    metrics: dict[str, float]
    profile: str
    #: Whether the version is in the review queue (originals and fixes saved on Optimize are).
    submitted: bool
    #: The version a fix was made from (``None`` for an original).
    parent_id: int | None
    #: The name as the merchant gave it (for display); ``file_name`` is the safe storage name.
    display_name: str = ""

    @property
    def shown_name(self) -> str:
        return self.display_name or self.file_name


def _record_query(profile: str, *, with_metrics: bool = True) -> Select[Any]:
    cols = [
        images.c.id.label("image_id"),
        versions.c.id.label("version_id"),
        versions.c.kind,
        images.c.merchant_id,
        images.c.sku,
        images.c.file_name,
        versions.c.sha256,
        versions.c.width,
        versions.c.height,
        versions.c.created_at,
        versions.c.blob_path,
        versions.c.recipe_json,
        scores.c.score,
        scores.c.issues,
        images.c.display_name,
        versions.c.submitted,
        versions.c.parent_id,
    ]
    q = (
        select(*cols, analyses.c.metrics_json if with_metrics else literal("{}").label("metrics_json"))
        .select_from(versions.join(images, images.c.id == versions.c.image_id))
        .join(scores, and_(scores.c.version_id == versions.c.id, scores.c.profile == profile), isouter=True)
    )
    return q.join(analyses, analyses.c.version_id == versions.c.id, isouter=True) if with_metrics else q


def _record(row: Any, profile: str) -> ImageRecord:
    return ImageRecord(
        image_id=row.image_id,
        version_id=row.version_id,
        kind=row.kind,
        merchant_id=row.merchant_id,
        sku=row.sku,
        file_name=row.file_name,
        sha256=row.sha256,
        width=row.width,
        height=row.height,
        created_at=row.created_at,
        blob_path=row.blob_path,
        recipe_json=row.recipe_json or "",
        score=row.score,
        issues=tuple(i for i in (row.issues or "").split(";") if i),
        metrics=loads_metrics(row.metrics_json or "{}"),
        profile=profile,
        submitted=bool(row.submitted),
        parent_id=None if row.parent_id is None else int(row.parent_id),
        display_name=row.display_name or "",
    )


def list_images(
    store: Store,
    *,
    profile: str = "generic",
    merchant_id: str | None = None,
    kind: str | None = "original",
    with_metrics: bool = True,
    limit: int | None = None,
) -> list[ImageRecord]:
    """Every image version (originals by default) with its score under ``profile``, oldest
    first; with ``limit``, only the first ``limit`` of them.

    ``with_metrics=False`` skips reading the metrics (``metrics`` is then empty): the catalogue
    table of a large library needs only scores and issues.
    """
    q = _record_query(profile, with_metrics=with_metrics)
    if merchant_id is not None:
        q = q.where(images.c.merchant_id == merchant_id)
    if kind is not None:
        q = q.where(versions.c.kind == kind)
    q = q.order_by(versions.c.id)
    if limit is not None:
        q = q.limit(max(0, int(limit)))
    with store.read() as conn:
        return [_record(r, profile) for r in conn.execute(q).all()]


def get_image(
    store: Store, version_id: int, *, profile: str = "generic", merchant_id: str | None = None
) -> ImageRecord | None:
    """One version; ``None`` if it does not exist or (with ``merchant_id``) belongs to another merchant."""
    q = _record_query(profile).where(versions.c.id == version_id)
    if merchant_id is not None:
        q = q.where(images.c.merchant_id == merchant_id)
    with store.read() as conn:
        row = conn.execute(q).first()
    return _record(row, profile) if row else None


def versions_of(store: Store, image_id: int, *, profile: str = "generic") -> list[ImageRecord]:
    """All versions of an image, oldest first."""
    with store.read() as conn:
        rows = conn.execute(_record_query(profile).where(images.c.id == image_id).order_by(versions.c.id)).all()
    return [_record(r, profile) for r in rows]


def issue_details(store: Store, version_id: int, profile: str) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Stored issue dicts and per-check points lost for a version under ``profile``."""
    with store.read() as conn:
        row = conn.execute(
            select(scores.c.issues_json, scores.c.contributions_json).where(
                and_(scores.c.version_id == version_id, scores.c.profile == profile)
            )
        ).first()
    if row is None:
        return [], {}
    return json.loads(row.issues_json), json.loads(row.contributions_json)


def count_images(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(images)).scalar() or 0)


def version_format(store: Store, version_id: int) -> str:
    """The stored file's format (Pillow's name, e.g. "JPEG", "HEIF"); '' if there is no such version."""
    with store.read() as conn:
        fmt = conn.execute(select(versions.c.format).where(versions.c.id == version_id)).scalar()
    return str(fmt or "")


class SameFile(NamedTuple):
    """Another merchant's image stored from the very same file: its original version, merchant,
    name as given, when it was stored (ISO 8601, UTC) and whether that was before this image."""

    version_id: int
    merchant_id: str
    name: str
    stored_at: str
    earlier: bool


def same_file_elsewhere(store: Store, version_id: int, *, limit: int = 5) -> list[SameFile]:
    """Other merchants' images stored from the very same file (SHA-256) as this version's image,
    oldest first, at most ``limit``: who stored it first is what a reviewer asks of a copy. A
    seller's photo copied by another seller; within one merchant a copy is a ``duplicate``."""
    with store.read() as conn:
        own = conn.execute(
            select(images.c.sha256, images.c.merchant_id, images.c.id, images.c.created_at)
            .select_from(versions.join(images, versions.c.image_id == images.c.id))
            .where(versions.c.id == version_id)
        ).first()
        if own is None:
            return []
        rows = conn.execute(
            select(
                versions.c.id,
                images.c.merchant_id,
                shown_name.label("name"),
                images.c.id.label("image_id"),
                images.c.created_at,
            )
            .select_from(images.join(versions, versions.c.image_id == images.c.id))
            .where(
                images.c.sha256 == own.sha256, images.c.merchant_id != own.merchant_id, versions.c.kind == "original"
            )
            .order_by(images.c.id)
            .limit(limit)
        ).all()
    return [
        SameFile(
            int(r.id),
            str(r.merchant_id),
            str(r.name),
            str(r.created_at),
            (str(r.created_at), int(r.image_id)) < (str(own.created_at), int(own.id)),  # ids break a tie
        )
        for r in rows
    ]


class OtherName(NamedTuple):
    """A name (as given) and SKU the merchant uploaded an image's very file under, besides the
    image's own; who uploaded it and when (ISO 8601, UTC)."""

    name: str
    sku: str
    uploaded_by: str
    uploaded_at: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OtherNames:
    """The other names of an image's file (:data:`~core.store.database.image_names`): the first
    few, oldest first, how many there are, and the image's own SKU."""

    names: tuple[OtherName, ...] = ()
    count: int = 0
    own_sku: str = ""
    #: Every SKU among them other than the image's own, in the order first given (all of them,
    #: not only those of the names listed).
    other_skus: tuple[str, ...] = ()


def other_names(store: Store, version_id: int, *, limit: int = 5) -> OtherNames:
    """The other names (and SKUs) the merchant uploaded the file of ``version_id``'s image under
    (a copy is stored once per merchant), at most ``limit`` of them; a fix's image is its original's."""
    with store.read() as conn:
        own = conn.execute(
            select(images.c.id, images.c.sku)
            .select_from(versions.join(images, versions.c.image_id == images.c.id))
            .where(versions.c.id == version_id)
        ).first()
        if own is None:
            return OtherNames()
        of_image = image_names.c.image_id == own.id
        rows = conn.execute(
            select(
                image_names.c.display_name,
                image_names.c.file_name,
                image_names.c.sku,
                image_names.c.uploaded_by,
                image_names.c.created_at,
            )
            .where(of_image)
            .order_by(image_names.c.id)
            .limit(limit)
        ).all()
        count = int(conn.execute(select(func.count()).select_from(image_names).where(of_image)).scalar_one())
        skus = conn.execute(
            select(image_names.c.sku)
            .where(of_image, image_names.c.sku != "", image_names.c.sku != (own.sku or ""))
            .group_by(image_names.c.sku)
            .order_by(func.min(image_names.c.id))
        ).scalars()
        other_skus = tuple(str(s) for s in skus)
    return OtherNames(
        names=tuple(
            OtherName(str(r.display_name or r.file_name), str(r.sku), str(r.uploaded_by), str(r.created_at))
            for r in rows
        ),
        count=count,
        own_sku=str(own.sku or ""),
        other_skus=other_skus,
    )


def scores_for_version(store: Store, version_id: int) -> dict[str, tuple[float, tuple[str, ...], tuple[str, ...]]]:
    """profile -> (score, issue names, the names of those past their failing limit) for every
    profile the version was scored under."""
    with store.read() as conn:
        rows = conn.execute(
            select(scores.c.profile, scores.c.score, scores.c.issues, scores.c.issues_json).where(
                scores.c.version_id == version_id
            )
        ).all()
    out = {}
    for r in rows:
        issues = tuple(i for i in r.issues.split(";") if i)
        errors = {d["name"] for d in json.loads(r.issues_json) if d.get("severity") == "error"}
        out[r.profile] = (float(r.score), issues, tuple(i for i in issues if i in errors))
    return out


# --- The catalogue at scale: filter, sort, paginate and aggregate in SQL (issue 9) ---------------


@dataclass(frozen=True, slots=True)
class CatalogFilter:
    """What the overview shows: set fields narrow the rows (empty means no filter)."""

    merchants: Sequence[str] = ()
    issues: Sequence[str] = ()  # rows with any of these
    statuses: Sequence[str] = ()  # latest active decision, or "unreviewed"
    score_min: float = 0.0
    score_max: float = 100.0
    text: str = ""  # substring of file name or SKU, case-insensitive
    copied: bool = False  # only images whose very file another merchant stored too


@dataclass(frozen=True, slots=True)
class CatalogScope:
    """Which versions are in the catalogue at all: under ``profile``, one merchant's or all,
    originals only or optimized versions too."""

    profile: str = "generic"
    merchant_id: str | None = None
    include_optimized: bool = False


class _LatestDecision:
    """The most recent active decision on the row's version (any reviewer), as a correlated scalar
    subquery: one index lookup per row (``ix_reviews_active_version_id``) instead of grouping every
    decision, which both SQLite and PostgreSQL plan well at any catalogue size."""

    def __init__(self) -> None:
        r = reviews.alias("latest_review")
        self.decision = (
            select(r.c.decision)
            .where(r.c.active.is_(True), r.c.version_id == versions.c.id)
            .order_by(r.c.id.desc())
            .limit(1)
            .correlate(versions)
            .scalar_subquery()
        )


def _latest_decision() -> _LatestDecision:
    return _LatestDecision()


def _catalog_from(
    scope: CatalogScope, flt: CatalogFilter, *, with_scores: bool = False, with_images: bool = False
) -> FromClause:
    """versions, joined to images and scores only when a filter or the caller needs them: each
    join is a lookup per row, which adds up over 100,000 rows."""
    frm: FromClause = versions
    if with_images or scope.merchant_id is not None or flt.merchants or flt.text or flt.copied:
        frm = frm.join(images, images.c.id == versions.c.image_id)
    if with_scores or flt.score_min > 0 or flt.score_max < 100:
        frm = frm.join(
            scores, and_(scores.c.version_id == versions.c.id, scores.c.profile == scope.profile), isouter=True
        )
    return frm


@dataclass(frozen=True, slots=True)
class _Lookups:
    """What is asked of the database before a filter's query (see :func:`_lookups`): how it
    answers a text search (``sqlite``, on SQLite; ``index``, asking its FTS5 table for the
    candidates) and, for the copies filter, the copied files (``copies``; ``None``, too many to
    list: the query finds them itself)."""

    sqlite: bool = False
    index: bool = False
    copies: tuple[str, ...] | None = None


def _catalog_where(
    scope: CatalogScope, flt: CatalogFilter, decided: Any, *, search: _Lookups = _Lookups()
) -> list[Any]:
    """The conditions of ``scope`` and ``flt`` (``search``: what was looked up for them first)."""
    conds: list[Any] = []
    if scope.merchant_id is not None:
        conds.append(images.c.merchant_id == scope.merchant_id)
    if not scope.include_optimized:
        conds.append(versions.c.kind == "original")
    if flt.merchants:
        conds.append(images.c.merchant_id.in_(list(flt.merchants)))
    if flt.statuses:
        wanted = [s for s in flt.statuses if s != "unreviewed"]
        parts = [decided.decision.in_(wanted)] if wanted else []
        if "unreviewed" in flt.statuses:
            # No active decision at all (what "the latest active decision is NULL" means): as NOT
            # EXISTS, PostgreSQL estimates it from its statistics and plans an anti-join; asked as
            # the decision's lookup IS NULL, it guessed 0.5% of the versions pass (80% do) and
            # looked up every candidate one by one (issue 9: 2.1 s -> 1.0 s for an issue filter).
            r = reviews.alias("any_review")
            parts.append(~exists().where(r.c.active.is_(True), r.c.version_id == versions.c.id))
        conds.append(or_(*parts))
    if flt.issues:
        # IN (the versions having one of the issues), not a correlated EXISTS per version: the
        # database reads the matching entries of ix_score_issues_profile_issue and looks up only
        # those versions, instead of testing every version of the catalogue (issue 9, 1M images).
        si = score_issues.alias("si")
        conds.append(
            versions.c.id.in_(
                select(si.c.version_id).where(si.c.profile == scope.profile, si.c.issue.in_(list(flt.issues)))
            )
        )
    if flt.copied:
        conds.append(images.c.sha256.in_(copied_files() if search.copies is None else list(search.copies)))
    score = func.coalesce(scores.c.score, 0.0)
    if flt.score_min > 0:
        conds.append(score >= flt.score_min)
    if flt.score_max < 100:
        conds.append(score <= flt.score_max)
    if flt.text and "\x00" in flt.text:
        # No name or SKU holds a NUL (names drop it, SKUs refuse it), so nothing matches. Asked,
        # SQLite's LIKE would end the pattern at it (matching every name) and PostgreSQL refuse it.
        conds.append(false())
    elif flt.text:
        t = fold_text(flt.text)
        if search.index:
            conds.append(images.c.id.in_(_fts_candidates(t)))
        conds.append(or_(*(_holds(images.c[c], t, sqlite=search.sqlite) for c in TEXT_SEARCH_COLUMNS)))
    return conds


def _holds(column: Any, t: str, *, sqlite: bool) -> Any:
    """Whether ``column``, folded, holds the folded search ``t``: ``folded(column) LIKE '%' ||
    folded(t) || '%'`` (the very condition PostgreSQL's trigram indexes answer; the search is
    folded by the database's function too, so both sides are folded alike on any server).

    On SQLite the fold is a Python function (three times SQLite's ``lower()`` over a million
    names), so conditions SQLite answers itself decide what they can (see
    :mod:`core.store.textfold`): its ``LIKE`` compares ASCII letters in any case, so it finds an
    ASCII search held in ASCII letters exactly, and only the names holding one of the few other
    letters that fold into the search's letters ('İ' into "i", 'Ü' into "ü") are folded."""
    escaped = t.replace("/", "//").replace("%", "/%").replace("_", "/_")
    exact = folded(column).contains(folded(literal(escaped, Text)), escape="/")
    if not sqlite or (chars := prefilter_chars(t)) is None:
        return exact
    others = and_(or_(*(func.instr(column, c) > 0 for c in sorted(chars))), exact) if chars else None
    if not t.isascii():
        return others  # holding its non-ASCII letters, as ``chars`` does
    in_ascii = column.contains(escaped, escape="/")
    return in_ascii if others is None else or_(in_ascii, others)


def _fts_candidates(t: str) -> Select[Any]:
    """The images whose name, name as given or SKU (folded by FTS5's trigram tokenizer) hold each
    of the search's phrases (:func:`~core.store.textfold.fts_phrases`: the runs of the folded
    search ``t`` that FTS5 folds as :func:`~core.store.textfold.fold_text` does, each as a phrase,
    the characters in a row in one column): every image the ``LIKE`` finds, and perhaps a few
    more, which the ``LIKE`` beside it leaves out."""
    phrases = " AND ".join('"' + p.replace('"', '""') + '"' for p in fts_phrases(t, min_chars=TEXT_INDEX_MIN_CHARS))
    match = text(f"{IMAGES_FTS} MATCH :phrase").bindparams(phrase=phrases)
    return select(literal_column("rowid")).select_from(text(IMAGES_FTS)).where(match)


def _lookups(store: Store, flt: CatalogFilter) -> _Lookups:
    """What ``store`` looks up before ``flt``'s query: how it answers the text search (see
    :func:`_text_index`), and the copied files when the copies filter is set (see
    :func:`~core.store.database.copied_shas`)."""
    copies = None
    if flt.copied:
        with store.read() as conn:
            found = copied_shas(conn)
        copies = None if found is None else tuple(found)
    return _Lookups(sqlite=store.is_sqlite, index=_text_index(store, flt), copies=copies)


def _text_index(store: Store, flt: CatalogFilter) -> bool:
    """Whether ``flt``'s text search asks SQLite's FTS5 table for its candidates: a search with a
    run of at least 3 characters FTS5 folds as the search does (a trigram index answers no shorter
    one; the others keep the ``LIKE`` alone), on a database that has the table (revision 0011
    makes none where FTS5 lacks the trigram tokenizer). PostgreSQL's planner answers the ``LIKE``
    itself from its trigram indexes."""
    t = fold_text(flt.text)
    if not store.is_sqlite or "\x00" in t or not fts_phrases(t, min_chars=TEXT_INDEX_MIN_CHARS):
        return False
    with store.read() as conn:
        return has_text_index(conn)


def catalog_count(store: Store, scope: CatalogScope, flt: CatalogFilter = CatalogFilter()) -> int:
    """How many versions pass ``flt`` in ``scope``."""
    decided = _latest_decision()
    q = (
        select(func.count())
        .select_from(_catalog_from(scope, flt))
        .where(*_catalog_where(scope, flt, decided, search=_lookups(store, flt)))
    )
    with store.read() as conn:
        return int(conn.execute(q).scalar() or 0)


def _page_ids(
    conn: Any,
    scope: CatalogScope,
    flt: CatalogFilter,
    *,
    offset: int,
    limit: int,
    search: _Lookups = _Lookups(),
    order: str = "lowest_score",
) -> list[int]:
    """The version ids on one page, in the ``order`` of :data:`CATALOG_ORDERS`, each with the
    version id as its tie-breaker so every page is cut from one stable order.

    By score (lowest or highest first): scored versions by (score, id), walked in the index of
    scores by profile and score (forwards or backwards) so the database stops at the page instead
    of sorting the catalogue; then the unscored ones by id, read only when the page reaches past
    the scored. With a narrowing filter (a merchant, an issue, a text, copies) the walk could pass most of
    the catalogue to fill a page: the database then starts from that filter and sorts what it
    leaves. Newest first: by version id, descending (ids are given in the order versions are
    added), walked backwards in the versions' primary key. By name: the shown name in lower case,
    then the image and version ids, walked in the images' name index (revision 0015).
    """
    decided = _latest_decision()
    conds = _catalog_where(scope, flt, decided, search=search)
    narrowing = scope.merchant_id is not None or flt.merchants or flt.issues or flt.text or flt.copied
    if order == "newest":
        if not narrowing and not scope.include_optimized:
            # Walked backwards in the primary key, the (few) optimized versions told by their id:
            # asked as kind = 'original', SQLite reads every original in ix_versions_kind_image and
            # sorts them all to find a page.
            conds = _catalog_where(replace(scope, include_optimized=True), flt, decided, search=search)
            conds.append(versions.c.id.not_in(_not_original_ids()))
        newest = (
            select(versions.c.id)
            .select_from(_catalog_from(scope, flt))
            .where(*conds)
            .order_by(versions.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [int(v) for v in conn.execute(newest).scalars()]
    if order == "name":
        key = name_order_key(conn.dialect.name)
        if flt == CatalogFilter() and scope.merchant_id is None and not scope.include_optimized:
            # The whole catalogue: a page of images walked in their name index (revision 0015),
            # then each one's original (every image has exactly one), so the page is read in
            # order instead of sorting a million names.
            page = select(images.c.id.label("image_id"), key.label("key")).order_by(key, images.c.id)
            walked = page.offset(offset).limit(limit).subquery()
            originals = (
                select(versions.c.id)
                .join_from(walked, versions, versions.c.image_id == walked.c.image_id)
                .where(versions.c.kind == "original")
                .order_by(walked.c.key, walked.c.image_id)
            )
            return [int(v) for v in conn.execute(originals).scalars()]
        # Filtered, or with the optimized versions: the database starts where it judges best.
        by_name = (
            select(versions.c.id)
            .select_from(_catalog_from(scope, flt, with_images=True))
            .where(*conds)
            .order_by(key, images.c.id, versions.c.id)
            .offset(offset)
            .limit(limit)
        )
        return [int(v) for v in conn.execute(by_name).scalars()]
    best = order == "highest_score"
    if narrowing:
        by_score = (scores.c.score.desc(), versions.c.id.desc()) if best else (scores.c.score, versions.c.id)
        narrowed = (
            select(versions.c.id)
            .select_from(_catalog_from(scope, flt, with_scores=True))
            .where(*conds)
            .order_by(scores.c.score.is_(None), *by_score)
            .offset(offset)
            .limit(limit)
        )
        return [int(v) for v in conn.execute(narrowed).scalars()]
    if flt == CatalogFilter():
        # The whole catalogue: the walk reads the index of scores alone; optimized versions out of
        # scope are told by their id among the (few) optimized ones, not by looking up the kind of
        # every version walked past (a page far down the catalogue walks past tens of thousands).
        frm: Any = scores
        conds = [] if scope.include_optimized else [scores.c.version_id.not_in(_not_original_ids())]
    else:
        frm = scores.join(versions, versions.c.id == scores.c.version_id)
    scored = select(scores.c.version_id).select_from(frm).where(scores.c.profile == scope.profile, *conds)
    walk_order = (scores.c.score.desc(), scores.c.version_id.desc()) if best else (scores.c.score, scores.c.version_id)
    walk = scored.order_by(*walk_order).offset(offset).limit(limit)
    ids = [int(v) for v in conn.execute(walk).scalars()]
    if len(ids) == limit:
        return ids
    skip = 0  # the page starts among the unscored: after how many of them?
    if not ids:
        skip = max(0, offset - int(conn.execute(select(func.count()).select_from(scored.subquery())).scalar() or 0))
    unscored = (
        select(versions.c.id)
        .select_from(_catalog_from(scope, flt, with_scores=True))
        .where(*_catalog_where(scope, flt, decided, search=search), scores.c.version_id.is_(None))
        .order_by(versions.c.id)
        .offset(skip)
        .limit(limit - len(ids))
    )
    return ids + [int(v) for v in conn.execute(unscored).scalars()]


def catalog_page(
    store: Store,
    scope: CatalogScope,
    flt: CatalogFilter = CatalogFilter(),
    *,
    offset: int = 0,
    limit: int = 50,
    order: str = "lowest_score",
) -> list[dict[str, Any]]:
    """One page of the catalogue in ``order`` (one of :data:`CATALOG_ORDERS`: lowest score first,
    the default, or highest, unscored last either way; newest first; or by name, A-Z whatever the
    case), as plain dicts with the overview's columns (``issues`` a list, ``status`` the latest
    decision or "unreviewed")."""
    if order not in CATALOG_ORDERS:
        raise ValueError(f"order must be one of {', '.join(CATALOG_ORDERS)}, not {order!r}")
    decided = _latest_decision()
    # First the ids on the page (found and cut in the database), then their columns: the per-row
    # status lookup and the wide rows are read for the rows on screen only.
    search = _lookups(store, flt)
    with store.read() as conn:
        ids = _page_ids(
            conn,
            scope,
            flt,
            offset=max(0, int(offset)),
            limit=max(1, int(limit)),
            search=search,
            order=order,
        )
        if not ids:
            return []
        q = (
            select(
                versions.c.id.label("version_id"),
                images.c.id.label("image_id"),
                versions.c.kind,
                # the name as the merchant gave it (older rows: the stored name)
                shown_name.label("file_name"),
                images.c.merchant_id,
                images.c.sku,
                scores.c.score,
                scores.c.issues,
                func.coalesce(decided.decision, "unreviewed").label("status"),
                versions.c.width,
                versions.c.height,
                versions.c.created_at,
                versions.c.sha256,
                versions.c.blob_path,
            )
            .select_from(
                versions.join(images, images.c.id == versions.c.image_id).join(
                    scores, and_(scores.c.version_id == versions.c.id, scores.c.profile == scope.profile), isouter=True
                )
            )
            .where(versions.c.id.in_(ids))
        )
        rows = {int(r["version_id"]): r for r in conn.execute(q).mappings().all()}
    return [{**rows[v], "issues": [i for i in (rows[v]["issues"] or "").split(";") if i]} for v in ids if v in rows]


def catalog_status_counts(store: Store, scope: CatalogScope, flt: CatalogFilter = CatalogFilter()) -> dict[str, int]:
    """status -> versions in ``scope`` passing ``flt`` (statuses: the decisions and "unreviewed")."""
    decided = _latest_decision()
    if flt == CatalogFilter():  # the overview's headline numbers: from the decisions, not per image
        return _scope_status_counts(store, scope)
    rows = (
        select(func.coalesce(decided.decision, "unreviewed").label("status"))
        .select_from(_catalog_from(scope, flt))
        .where(*_catalog_where(scope, flt, decided, search=_lookups(store, flt)))
        .subquery("rows")
    )
    q = select(rows.c.status, func.count().label("n")).group_by(rows.c.status)
    with store.read() as conn:
        return {str(r.status): int(r.n) for r in conn.execute(q).all()}


def _scope_status_counts(store: Store, scope: CatalogScope) -> dict[str, int]:
    """Status counts of a whole scope, driven by the (fewer) active decisions: each version's
    latest active decision is counted, and the versions without one are "unreviewed"."""
    r2 = reviews.alias("newer")
    latest = ~exists().where(
        and_(r2.c.version_id == reviews.c.version_id, r2.c.active.is_(True), r2.c.id > reviews.c.id)
    ).correlate(reviews)
    if scope.merchant_id is None:
        return _all_merchants_status_counts(store, scope, latest)
    frm: Any = reviews.join(versions, versions.c.id == reviews.c.version_id)
    total_from: Any = versions
    conds: list[Any] = []
    if scope.merchant_id is not None:
        frm = frm.join(images, images.c.id == versions.c.image_id)
        total_from = total_from.join(images, images.c.id == versions.c.image_id)
        conds.append(images.c.merchant_id == scope.merchant_id)
    if not scope.include_optimized:
        conds.append(versions.c.kind == "original")
    decided_q = (
        select(reviews.c.decision, func.count().label("n"))
        .select_from(frm)
        .where(reviews.c.active.is_(True), latest, *conds)
        .group_by(reviews.c.decision)
    )
    with store.read() as conn:
        out = {str(r.decision): int(r.n) for r in conn.execute(decided_q).all()}
        total = int(conn.execute(select(func.count()).select_from(total_from).where(*conds)).scalar() or 0)
    unreviewed = total - sum(out.values())
    if unreviewed:
        out["unreviewed"] = unreviewed
    return out


def _not_original() -> Any:
    """Versions that are not originals (the optimized ones), as two ranges of ``kind`` that
    ``ix_versions_kind_image`` answers without reading the originals."""
    return or_(versions.c.kind < "original", versions.c.kind > "original")


def _not_original_ids() -> Select[Any]:
    return select(versions.c.id).where(_not_original())


def _subtract(whole: dict[Any, int], part: dict[Any, int]) -> dict[Any, int]:
    out = {k: n - part.get(k, 0) for k, n in whole.items()}
    return {k: n for k, n in out.items() if n > 0}


def _all_merchants_status_counts(store: Store, scope: CatalogScope, latest: Any) -> dict[str, int]:
    """Status counts of the whole catalogue: every latest active decision, read from the index of
    decisions alone; without optimized versions in scope, the (few) decisions on those are counted
    apart and taken off, instead of joining every decision to its version (issue 9, 1M images)."""
    q = (
        select(reviews.c.decision, func.count().label("n"))
        .where(reviews.c.active.is_(True), latest)
        .group_by(reviews.c.decision)
    )
    with store.read() as conn:
        out = {str(r.decision): int(r.n) for r in conn.execute(q).all()}
        total_q = select(func.count()).select_from(versions)
        if not scope.include_optimized:
            others = q.where(reviews.c.version_id.in_(_not_original_ids()))
            out = _subtract(out, {str(r.decision): int(r.n) for r in conn.execute(others).all()})
            total_q = total_q.where(versions.c.kind == "original")
        total = int(conn.execute(total_q).scalar() or 0)
    unreviewed = total - sum(out.values())
    if unreviewed:
        out["unreviewed"] = unreviewed
    return out


def _all_merchants_bins_and_count(
    conn: Any, scope: CatalogScope, bucket: Any, width: int
) -> tuple[dict[int, int], int]:
    """:func:`catalog_bins_and_count` of the whole unfiltered catalogue: one range count per bin in
    ``ix_scores_profile_score`` (the index is read, no score tested against every bin), minus the
    optimized versions when they are out of scope; the versions are counted in their own index."""
    top = 100 // width - 1
    scored = scores.c.profile == scope.profile
    ranges = [
        select(func.count())
        .select_from(scores)
        .where(
            scored,
            *([scores.c.score >= k * width] if k else []),
            *([scores.c.score < (k + 1) * width] if k < top else []),
        )
        .scalar_subquery()
        for k in range(top + 1)
    ]
    bins = dict(enumerate(int(n or 0) for n in conn.execute(select(*ranges)).one()))
    total_q = select(func.count()).select_from(versions)
    if not scope.include_optimized:
        others = (
            select(bucket.label("b"), func.count().label("n"))
            .where(scored, scores.c.version_id.in_(_not_original_ids()))
            .group_by(bucket)
        )
        bins = _subtract(bins, {int(r.b): int(r.n) for r in conn.execute(others).all()})
        total_q = total_q.where(versions.c.kind == "original")
    total = int(conn.execute(total_q).scalar() or 0)
    return {b * width: n for b, n in bins.items() if n > 0}, total


def catalog_score_bins(
    store: Store, scope: CatalogScope, flt: CatalogFilter = CatalogFilter(), *, width: int = 5
) -> dict[int, int]:
    """Histogram of scores as {bin start: count} in bins of ``width`` points (100 falls in the
    last bin); unscored versions are not counted."""
    return catalog_bins_and_count(store, scope, flt, width=width)[0]


def catalog_bins_and_count(
    store: Store, scope: CatalogScope, flt: CatalogFilter = CatalogFilter(), *, width: int = 5
) -> tuple[dict[int, int], int]:
    """The score histogram (as :func:`catalog_score_bins`) and how many versions pass ``flt``
    (scored or not), in one pass over the catalogue."""
    decided = _latest_decision()
    top = 100 // width - 1
    # A CASE ladder rather than floor(): the same SQL on SQLite (no floor() in older builds) and PostgreSQL.
    bucket = case(
        (scores.c.score.is_(None), -1), *((scores.c.score >= k * width, k) for k in range(top, 0, -1)), else_=0
    )
    if flt == CatalogFilter() and scope.merchant_id is None:
        with store.read() as conn:
            return _all_merchants_bins_and_count(conn, scope, bucket, width)
    rows = (
        select(bucket.label("b"))
        .select_from(_catalog_from(scope, flt, with_scores=True))
        .where(*_catalog_where(scope, flt, decided, search=_lookups(store, flt)))
        .subquery("rows")
    )
    q = select(rows.c.b, func.count().label("n")).group_by(rows.c.b)
    with store.read() as conn:
        counts = {int(r.b): int(r.n) for r in conn.execute(q).all()}
    return {b * width: n for b, n in counts.items() if b >= 0}, sum(counts.values())


def catalog_status_bins_and_count(
    store: Store, scope: CatalogScope, flt: CatalogFilter, *, width: int = 5
) -> tuple[dict[str, int], dict[int, int], int]:
    """:func:`catalog_status_counts`, :func:`catalog_score_bins` and :func:`catalog_count` of a
    filter in one pass over the versions passing it (each pass of a text search or an issue filter
    reads its matches anew: seconds at 1M images)."""
    decided = _latest_decision()
    top = 100 // width - 1
    bucket = case(
        (scores.c.score.is_(None), -1), *((scores.c.score >= k * width, k) for k in range(top, 0, -1)), else_=0
    )
    rows = (
        select(func.coalesce(decided.decision, "unreviewed").label("status"), bucket.label("b"))
        .select_from(_catalog_from(scope, flt, with_scores=True))
        .where(*_catalog_where(scope, flt, decided, search=_lookups(store, flt)))
        .subquery("rows")
    )
    q = select(rows.c.status, rows.c.b, func.count().label("n")).group_by(rows.c.status, rows.c.b)
    status: dict[str, int] = {}
    bins: dict[int, int] = {}
    with store.read() as conn:
        for r in conn.execute(q).all():
            status[str(r.status)] = status.get(str(r.status), 0) + int(r.n)
            if int(r.b) >= 0:
                bins[int(r.b) * width] = bins.get(int(r.b) * width, 0) + int(r.n)
    return status, bins, sum(status.values())


def catalog_issue_counts(store: Store, scope: CatalogScope, flt: CatalogFilter = CatalogFilter()) -> dict[str, int]:
    """issue -> versions having it among those passing ``flt``, most frequent first."""
    if flt == CatalogFilter() and scope.merchant_id is None:
        return _all_merchants_issue_counts(store, scope)
    decided = _latest_decision()
    q = (
        select(score_issues.c.issue, func.count().label("n"))
        .select_from(
            _catalog_from(scope, flt).join(
                score_issues, and_(score_issues.c.version_id == versions.c.id, score_issues.c.profile == scope.profile)
            )
        )
        .where(*_catalog_where(scope, flt, decided, search=_lookups(store, flt)))
        .group_by(score_issues.c.issue)
        .order_by(func.count().desc(), score_issues.c.issue)
    )
    with store.read() as conn:
        return {str(r.issue): int(r.n) for r in conn.execute(q).all()}


def _all_merchants_issue_counts(store: Store, scope: CatalogScope) -> dict[str, int]:
    """:func:`catalog_issue_counts` of the whole unfiltered catalogue, from
    ``ix_score_issues_profile_issue`` alone; when optimized versions are out of scope, their (few)
    issues are counted apart and taken off, instead of looking up the kind of every version."""
    q = (
        select(score_issues.c.issue, func.count().label("n"))
        .where(score_issues.c.profile == scope.profile)
        .group_by(score_issues.c.issue)
    )
    with store.read() as conn:
        counts = {str(r.issue): int(r.n) for r in conn.execute(q).all()}
        if not scope.include_optimized:
            others = q.where(score_issues.c.version_id.in_(_not_original_ids()))
            counts = _subtract(counts, {str(r.issue): int(r.n) for r in conn.execute(others).all()})
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


#: The merchants in ascending order, one index probe each (a "loose index scan" of
#: ``ix_images_merchant``): PostgreSQL answers ``SELECT DISTINCT`` by reading every image (a
#: quarter of a second at 1M images); SQLite skips ahead in the index either way.
_MERCHANTS_SQL: Final = text(
    """
    WITH RECURSIVE m(merchant_id) AS (
        SELECT min(merchant_id) FROM images
        UNION ALL
        SELECT (SELECT min(i.merchant_id) FROM images AS i WHERE i.merchant_id > m.merchant_id)
        FROM m WHERE m.merchant_id IS NOT NULL
    )
    SELECT merchant_id FROM m WHERE merchant_id IS NOT NULL ORDER BY merchant_id
    """
)


def merchant_ids(store: Store) -> list[str]:
    """Every merchant with at least one image, sorted."""
    with store.read() as conn:
        return [str(m) for m in conn.execute(_MERCHANTS_SQL).scalars().all()]
