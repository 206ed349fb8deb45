"""Stored scores follow the engine: find measurements made by an older engine and redo them.

Every analysis records the engine version that measured it. When the checks change, thresholds
can be re-applied to stored metrics (``rescore``), but a changed or new *measure* only reaches
stored images by decoding their stored originals again. This module does that, one version per
transaction, so an interrupted run loses nothing and a later run picks up where it stopped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, update

from core.engine import ENGINE_VERSION
from core.engine.assess import analyze, assess, at_source_resolution, mark_duplicates
from core.engine.loading import ImageLoadError, load_image
from core.store.blobs import read_blob
from core.store.database import Store, analyses, images, now, versions
from core.store.scores import all_profiles, dumps_metrics, duplicate_index, source_long_side, upsert_score
from core.vocabulary import ANALYSIS_LONG_SIDE

__all__ = ["RemeasureReport", "count_stale", "measured_by", "remeasure_stale", "stale_version_ids"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RemeasureReport:
    """What a re-measuring run did: versions re-measured, and those whose file could not be read."""

    remeasured: int
    failed: tuple[tuple[int, str], ...]


def _stale_filter() -> ColumnElement[bool]:
    return analyses.c.engine_version != ENGINE_VERSION


def count_stale(store: Store) -> int:
    """How many stored versions were measured by another engine version than this one."""
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(analyses).where(_stale_filter())).scalar() or 0)


def measured_by(store: Store, version_id: int) -> str | None:
    """The engine version that measured ``version_id`` (None if it has no analysis)."""
    with store.read() as conn:
        v = conn.execute(select(analyses.c.engine_version).where(analyses.c.version_id == version_id)).scalar()
    return None if v is None else str(v)


def stale_version_ids(store: Store) -> list[int]:
    """Ids of the versions measured by another engine version, oldest first."""
    with store.read() as conn:
        return [
            int(r[0])
            for r in conn.execute(
                select(analyses.c.version_id).where(_stale_filter()).order_by(analyses.c.version_id)
            ).all()
        ]


def remeasure_stale(
    store: Store, *, limit: int | None = None, progress: Callable[[int, int], None] | None = None
) -> RemeasureReport:
    """Decode each stale version's stored file again, measure it with this engine, and re-score it
    under every profile (duplicates against the same merchant's earlier originals, as at intake).

    Oldest first and one transaction per version, so it is resumable. ``progress(done, total)``
    is called after each version. ``limit`` caps how many are done in this call.
    """
    ids = stale_version_ids(store)
    if limit is not None:
        ids = ids[:limit]
    profiles = all_profiles(store)
    failed: list[tuple[int, str]] = []
    done = 0
    for n, vid in enumerate(ids, start=1):
        with store.read() as conn:
            row = conn.execute(
                select(versions.c.blob_path, versions.c.kind, versions.c.parent_id, images.c.merchant_id)
                .join(images, images.c.id == versions.c.image_id)
                .where(versions.c.id == vid)
            ).first()
        if row is None:
            continue
        try:
            image = load_image(read_blob(store, row.blob_path), reduce_to=ANALYSIS_LONG_SIDE)
        except (ImageLoadError, OSError, ValueError) as exc:
            failed.append((vid, str(exc)))
            if progress:
                progress(n, len(ids))
            continue
        analysis = analyze(image)
        with store.write() as conn:
            match = None
            if row.kind == "original":
                analysis, match = mark_duplicates(
                    analysis, str(vid), duplicate_index(conn, row.merchant_id, before=vid)
                )
            elif row.parent_id is not None:  # a fix: judged at its source's resolution, as when saved
                analysis = at_source_resolution(analysis, source_long_side=source_long_side(conn, row.parent_id))
            conn.execute(
                update(analyses)
                .where(analyses.c.version_id == vid)
                .values(
                    engine_version=ENGINE_VERSION,
                    metrics_json=dumps_metrics(analysis.metrics),
                    phash=analysis.phash,
                    colors=analysis.colors,
                    bbox_json=json.dumps(analysis.product_bbox),
                    created_at=now(),
                )
            )
            dup_of = int(match.key) if match is not None else None
            for profile in profiles:
                a = assess(analysis, profile, other=match.label if match is not None else "")
                upsert_score(conn, vid, profile.name, a.score, a.issues, a.contributions, dup_of)
        done += 1
        if progress:
            progress(n, len(ids))
    return RemeasureReport(remeasured=done, failed=tuple(failed))
