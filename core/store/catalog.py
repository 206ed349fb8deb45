"""The catalog as a table: one row per image version with score, issues and review status,
and the filters the overview offers."""

from __future__ import annotations

import pandas as pd

from core.store.database import Store, copied_files
from core.store.queries import CatalogFilter, list_images
from core.store.reviews import latest_decisions
from core.store.textfold import fold_text

__all__ = ["CatalogFilter", "catalog_frame", "filter_catalog", "issue_counts"]

COLUMNS = (
    "version_id",
    "image_id",
    "kind",
    "file_name",
    "merchant_id",
    "sku",
    "score",
    "issues",
    "status",
    "width",
    "height",
    "created_at",
    "sha256",
    "blob_path",
)


def catalog_frame(
    store: Store, *, profile: str, merchant_id: str | None = None, include_optimized: bool = False
) -> pd.DataFrame:
    """Every image (and optionally optimized version) with its score under ``profile``: the
    :data:`COLUMNS`, and ``copied`` (whether another merchant stored the very same file)."""
    records = list_images(
        store,
        profile=profile,
        merchant_id=merchant_id,
        kind=None if include_optimized else "original",
        with_metrics=False,
    )
    decisions = latest_decisions(store)
    with store.read() as conn:
        copied = set(conn.execute(copied_files()).scalars())
    rows = [
        {
            "version_id": r.version_id,
            "image_id": r.image_id,
            "kind": r.kind,
            "file_name": r.file_name,
            "merchant_id": r.merchant_id,
            "sku": r.sku,
            "score": r.score,
            "issues": list(r.issues),
            "status": decisions.get(r.version_id, "unreviewed"),
            "width": r.width,
            "height": r.height,
            "created_at": r.created_at,
            "sha256": r.sha256,
            "blob_path": r.blob_path,
            "copied": r.sha256 in copied,
        }
        for r in records
    ]
    return pd.DataFrame(rows, columns=[*COLUMNS, "copied"])


def filter_catalog(frame: pd.DataFrame, flt: CatalogFilter) -> pd.DataFrame:
    """Rows of ``frame`` that pass every filter that is set."""
    keep = pd.Series(True, index=frame.index)
    if flt.merchants:
        keep &= frame["merchant_id"].isin(list(flt.merchants))
    if flt.statuses:
        keep &= frame["status"].isin(list(flt.statuses))
    if flt.issues:
        wanted = set(flt.issues)
        keep &= frame["issues"].map(lambda xs: bool(wanted.intersection(xs)))
    score = frame["score"].fillna(0.0)
    keep &= (score >= flt.score_min) & (score <= flt.score_max)
    if flt.text:  # folded as the database's search folds them (every letter's case)
        t = fold_text(flt.text)
        name, sku = (frame[c].map(fold_text).str.contains(t, regex=False) for c in ("file_name", "sku"))
        keep &= name | sku
    if flt.copied:
        keep &= frame["copied"].astype(bool)
    return frame[keep]


def issue_counts(frame: pd.DataFrame) -> pd.Series:
    """How many rows have each issue, most frequent first."""
    exploded = frame["issues"].explode().dropna()
    return exploded.value_counts()
