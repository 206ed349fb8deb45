"""Saving analyses and scores: one analysis per version, one score per version and profile."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from core.engine import ENGINE_VERSION
from core.engine.assess import Analysis, assess, judged_long_side, mark_duplicates
from core.engine.duplicates import DuplicateIndex
from core.engine.loading import ImageInfo
from core.engine.profiles import Profile
from core.store.database import Store, analyses, images, now, score_issues, scores, shown_name, versions

__all__ = [
    "all_profiles",
    "dumps_metrics",
    "duplicate_index",
    "earlier_copy",
    "loads_metrics",
    "rescore_all",
    "score_version",
    "source_long_side",
    "store_scores",
    "upsert_score",
]


def duplicate_index(conn: Connection, merchant_id: str, *, before: int | None = None) -> DuplicateIndex:
    """The near-duplicate index of ``merchant_id``'s stored originals (those stored before
    version ``before`` only, when given), labelled with their names as the merchant gave them."""
    where = and_(images.c.merchant_id == merchant_id, versions.c.kind == "original")
    if before is not None:
        where = and_(where, versions.c.id < before)
    rows = conn.execute(
        select(versions.c.id, versions.c.sha256, analyses.c.phash, analyses.c.colors, shown_name)
        .join(images, images.c.id == versions.c.image_id)
        .join(analyses, analyses.c.version_id == versions.c.id)
        .where(where)
        .order_by(versions.c.id)
    ).all()
    index = DuplicateIndex()
    for vid, sha, ph, colors, name in rows:
        index.add(str(vid), str(sha), str(ph), str(colors or ""), label=str(name))
    return index


def _earlier_copy(conn: Connection, version_id: int) -> tuple[int, str] | None:
    dup = conn.execute(select(scores.c.duplicate_of).where(scores.c.version_id == version_id).limit(1)).scalar()
    if dup is None:
        return None
    name = conn.execute(
        select(shown_name).join(versions, versions.c.image_id == images.c.id).where(versions.c.id == dup)
    ).scalar()
    return int(dup), str(name or "")


def earlier_copy(store: Store, version_id: int) -> tuple[int, str] | None:
    """The earlier version a stored duplicate repeats, as ``(version id, name as given)``; ``None``
    if the version duplicates nothing."""
    with store.read() as conn:
        return _earlier_copy(conn, version_id)


def store_scores(
    conn: Connection,
    version_id: int,
    analysis: Analysis,
    profiles: Sequence[Profile],
    index: DuplicateIndex | None,
    *,
    label: str = "",
) -> tuple[float, tuple[str, ...]]:
    """Store the analysis and a score per profile; returns the first profile's (score, issues)."""
    first: tuple[float, tuple[str, ...]] = (math.nan, ())
    final, match = (analysis, None) if index is None else mark_duplicates(analysis, str(version_id), index, label=label)
    dup_of = int(match.key) if match is not None else None
    conn.execute(
        insert(analyses).values(
            version_id=version_id,
            engine_version=ENGINE_VERSION,
            metrics_json=dumps_metrics(final.metrics),
            phash=final.phash,
            colors=final.colors,
            bbox_json=json.dumps(final.product_bbox),
            created_at=now(),
        )
    )
    for i, profile in enumerate(profiles):
        a = assess(final, profile, other=match.label if match is not None else "")
        upsert_score(conn, version_id, profile.name, a.score, a.issues, a.contributions, dup_of)
        if i == 0:
            first = (a.score, tuple(a.issue_names))
    return first


def source_long_side(conn: Connection, version_id: int) -> float:
    """The long side (px) version ``version_id`` is judged at: its stored ``long_side`` (which an
    enlarged fix keeps at its own source's, see :func:`core.engine.assess.at_source_resolution`),
    else its pixels' long side; NaN if there is no such version."""
    row = conn.execute(
        select(versions.c.width, versions.c.height, analyses.c.metrics_json)
        .select_from(versions.outerjoin(analyses, analyses.c.version_id == versions.c.id))
        .where(versions.c.id == version_id)
    ).first()
    if row is None:
        return math.nan
    metrics = loads_metrics(row.metrics_json) if row.metrics_json else {}
    return judged_long_side(metrics, width=row.width or 0, height=row.height or 0)


def dumps_metrics(metrics: dict[str, float]) -> str:
    return json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in metrics.items()})


def loads_metrics(text: str) -> dict[str, float]:
    return {k: (math.nan if v is None else float(v)) for k, v in json.loads(text or "{}").items()}


def upsert_score(
    conn: Connection,
    version_id: int,
    profile: str,
    score: float,
    issues: Iterable[Any],
    contributions: dict[str, float],
    dup_of: int | None,
) -> None:
    issues = list(issues)
    values = _score_values(score, issues, contributions, dup_of)
    updated = conn.execute(
        update(scores).where(and_(scores.c.version_id == version_id, scores.c.profile == profile)).values(**values)
    )
    if updated.rowcount == 0:
        conn.execute(insert(scores).values(version_id=version_id, profile=profile, **values))
    # One row per issue as well, for the catalogue's SQL filters and counts.
    conn.execute(
        delete(score_issues).where(and_(score_issues.c.version_id == version_id, score_issues.c.profile == profile))
    )
    names = list(dict.fromkeys(i.name for i in issues))
    if names:
        conn.execute(insert(score_issues), [{"version_id": version_id, "profile": profile, "issue": n} for n in names])


def all_profiles(store: Store) -> list[Profile]:
    """Every profile: the built-ins, then the tuned ones stored in the database."""
    from core.store.profiles import all_profile_names, get_profile

    return [get_profile(store, n) for n in all_profile_names(store)]


def score_version(store: Store, version_id: int, profile: Profile) -> float:
    """(Re)score a stored version under ``profile`` from its stored metrics (no decoding)."""
    with store.write() as conn:
        row = conn.execute(
            select(analyses.c.metrics_json, analyses.c.phash, analyses.c.bbox_json).where(
                analyses.c.version_id == version_id
            )
        ).first()
        if row is None:
            raise ValueError(f"version {version_id} has no stored analysis")
        metrics = loads_metrics(row.metrics_json)
        # A duplicate's message names the earlier image, as when it was measured.
        earlier = _earlier_copy(conn, version_id)
        a = assess(_analysis_from_row(metrics, row.phash, row.bbox_json), profile, other=earlier[1] if earlier else "")
        upsert_score(
            conn, version_id, profile.name, a.score, a.issues, a.contributions, earlier[0] if earlier else None
        )
        return a.score


#: Versions scored per read and per write transaction by :func:`rescore_all`.
RESCORE_CHUNK = 2000


def _score_values(
    score: float, issues: Iterable[Any], contributions: dict[str, float], dup_of: int | None
) -> dict[str, Any]:
    issues = list(issues)
    return dict(
        engine_version=ENGINE_VERSION,
        score=float(score),
        issues=";".join(i.name for i in issues),
        issues_json=json.dumps([i.to_dict() for i in issues]),
        contributions_json=json.dumps(contributions),
        duplicate_of=dup_of,
        created_at=now(),
    )


def rescore_all(store: Store, profile: Profile, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Score every stored version under ``profile`` (e.g. a newly saved, reviewer-tuned one) from
    its stored metrics, as :func:`score_version` would, and return how many were scored.

    A million versions one transaction each took most of an hour; here each chunk of
    :data:`RESCORE_CHUNK` is read in three queries and written in one short transaction, so other
    users' writes wait at most one chunk. ``progress(done, total)`` is called after each chunk.
    """
    with store.read() as conn:
        total = int(conn.execute(select(func.count()).select_from(analyses)).scalar_one())
    done, last = 0, 0
    while True:
        with store.read() as conn:
            rows = conn.execute(
                select(analyses.c.version_id, analyses.c.metrics_json, analyses.c.phash, analyses.c.bbox_json)
                .where(analyses.c.version_id > last)
                .order_by(analyses.c.version_id)
                .limit(RESCORE_CHUNK)
            ).all()
            if not rows:
                break
            ids = [int(r.version_id) for r in rows]
            last = ids[-1]
            # The earlier copy each version repeats (recorded under any profile), named as given.
            dup_of: dict[int, int] = {}
            for vid, dup in conn.execute(
                select(scores.c.version_id, scores.c.duplicate_of).where(
                    and_(scores.c.version_id.in_(ids), scores.c.duplicate_of.is_not(None))
                )
            ):
                dup_of.setdefault(int(vid), int(dup))
            names = (
                {
                    int(vid): str(name or "")
                    for vid, name in conn.execute(
                        select(versions.c.id, shown_name)
                        .join(images, images.c.id == versions.c.image_id)
                        .where(versions.c.id.in_(set(dup_of.values())))
                    )
                }
                if dup_of
                else {}
            )
            had = set(
                conn.execute(
                    select(scores.c.version_id).where(
                        and_(scores.c.version_id.in_(ids), scores.c.profile == profile.name)
                    )
                ).scalars()
            )
        updates: list[dict[str, Any]] = []
        inserts: list[dict[str, Any]] = []
        issue_rows: list[dict[str, Any]] = []
        for r in rows:
            vid = int(r.version_id)
            dup = dup_of.get(vid)
            a = assess(
                _analysis_from_row(loads_metrics(r.metrics_json), r.phash, r.bbox_json),
                profile,
                other=names.get(dup, "") if dup is not None else "",
            )
            values = _score_values(a.score, a.issues, a.contributions, dup)
            if vid in had:
                updates.append({"b_vid": vid} | {f"b_{k}": v for k, v in values.items()})
            else:
                inserts.append({"version_id": vid, "profile": profile.name, **values})
            issue_rows += [
                {"version_id": vid, "profile": profile.name, "issue": n} for n in dict.fromkeys(a.issue_names)
            ]
        with store.write() as conn:
            if updates:
                conn.execute(
                    update(scores)
                    .where(and_(scores.c.version_id == bindparam("b_vid"), scores.c.profile == profile.name))
                    .values({k[2:]: bindparam(k) for k in updates[0] if k != "b_vid"}),
                    updates,
                )
            if inserts:
                conn.execute(insert(scores), inserts)
            conn.execute(
                delete(score_issues).where(
                    and_(score_issues.c.version_id.in_(ids), score_issues.c.profile == profile.name)
                )
            )
            if issue_rows:
                conn.execute(insert(score_issues), issue_rows)
        done += len(rows)
        if progress is not None:
            progress(done, max(total, done))
    return done


def _analysis_from_row(metrics: dict[str, float], phash: str, bbox_json: str) -> Analysis:
    info = ImageInfo(
        format="",
        mode="",
        width=int(metrics.get("width", 0)),
        height=int(metrics.get("height", 0)),
        file_size=int(metrics.get("file_mb", 0) * 1e6),
        bit_depth=8,
        had_transparency=False,
        exif_orientation=1,
        jpeg_quality=None,
        sha256="",
        icc_converted=False,
        frames=1,
    )
    return Analysis(
        info=info,
        metrics=metrics,
        phash=phash,
        product_bbox=tuple(json.loads(bbox_json)),
        has_backdrop=True,
    )
