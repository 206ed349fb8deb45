"""Read queries: image versions with their scores, issue details, counts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, literal, select

from core.store.database import Store, analyses, images, scores, versions
from core.store.scores import loads_metrics

__all__ = [
    "ImageRecord",
    "count_images",
    "get_image",
    "issue_details",
    "list_images",
    "scores_for_version",
    "versions_of",
]


@dataclass(frozen=True, slots=True)
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


def _record_query(profile: str, *, with_metrics: bool = True):  # type: ignore[no-untyped-def]
    cols = [images.c.id.label("image_id"), versions.c.id.label("version_id"), versions.c.kind, images.c.merchant_id,
            images.c.sku, images.c.file_name, versions.c.sha256, versions.c.width, versions.c.height,
            versions.c.created_at, versions.c.blob_path, versions.c.recipe_json, scores.c.score, scores.c.issues]
    q = (select(*cols, analyses.c.metrics_json if with_metrics else literal("{}").label("metrics_json"))
         .select_from(versions.join(images, images.c.id == versions.c.image_id))
         .join(scores, and_(scores.c.version_id == versions.c.id, scores.c.profile == profile), isouter=True))
    return q.join(analyses, analyses.c.version_id == versions.c.id, isouter=True) if with_metrics else q


def _record(row: Any, profile: str) -> ImageRecord:
    return ImageRecord(
        image_id=row.image_id, version_id=row.version_id, kind=row.kind, merchant_id=row.merchant_id, sku=row.sku,
        file_name=row.file_name, sha256=row.sha256, width=row.width, height=row.height, created_at=row.created_at,
        blob_path=row.blob_path, recipe_json=row.recipe_json or "", score=row.score,
        issues=tuple(i for i in (row.issues or "").split(";") if i), metrics=loads_metrics(row.metrics_json or "{}"),
        profile=profile,
    )


def list_images(store: Store, *, profile: str = "generic", merchant_id: str | None = None,
                kind: str | None = "original", with_metrics: bool = True) -> list[ImageRecord]:
    """Every image version (originals by default) with its score under ``profile``.

    ``with_metrics=False`` skips reading the metrics (``metrics`` is then empty): the catalogue
    table of a large library needs only scores and issues.
    """
    q = _record_query(profile, with_metrics=with_metrics)
    if merchant_id is not None:
        q = q.where(images.c.merchant_id == merchant_id)
    if kind is not None:
        q = q.where(versions.c.kind == kind)
    with store.read() as conn:
        return [_record(r, profile) for r in conn.execute(q.order_by(versions.c.id)).all()]


def get_image(store: Store, version_id: int, *, profile: str = "generic", merchant_id: str | None = None) -> ImageRecord | None:
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
        row = conn.execute(select(scores.c.issues_json, scores.c.contributions_json).where(
            and_(scores.c.version_id == version_id, scores.c.profile == profile))).first()
    if row is None:
        return [], {}
    return json.loads(row.issues_json), json.loads(row.contributions_json)


def count_images(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(images)).scalar() or 0)


def scores_for_version(store: Store, version_id: int) -> dict[str, tuple[float, tuple[str, ...]]]:
    """profile -> (score, issue names) for every profile the version was scored under."""
    with store.read() as conn:
        rows = conn.execute(select(scores.c.profile, scores.c.score, scores.c.issues)
                            .where(scores.c.version_id == version_id)).all()
    return {r.profile: (float(r.score), tuple(i for i in r.issues.split(";") if i)) for r in rows}
