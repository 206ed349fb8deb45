"""The catalogue overview at any size: what the Overview page shows, computed in the database.

Counts, the score histogram and the issue counts are SQL aggregates and only the rows on screen
are read, so a catalogue of 100,000 images opens as fast as one of 100 and no server process
holds the whole catalogue in memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Final

from core.store.catalog import COLUMNS
from core.store.database import Store
from core.store.queries import (
    CatalogFilter,
    CatalogScope,
    catalog_bins_and_count,
    catalog_issue_counts,
    catalog_page,
    catalog_status_counts,
    merchant_ids,
)
from core.vocabulary import DECISIONS

__all__ = [
    "COLUMNS",
    "HISTOGRAM_BIN",
    "PAGE_SIZE",
    "REVIEW_STATUSES",
    "CatalogFilter",
    "CatalogScope",
    "Overview",
    "merchant_ids",
    "overview",
]

PAGE_SIZE: Final = 50
HISTOGRAM_BIN: Final = 5

#: What the catalogue counts and filters by: not reviewed yet, then each decision.
REVIEW_STATUSES: Final = ("unreviewed", *DECISIONS)


@dataclass(frozen=True, slots=True)
class Overview:
    """One screen of the overview."""

    total: int  # versions in scope, before filters
    status_counts: dict[str, int]  # in scope, before filters
    shown: int  # versions passing the filters
    score_bins: dict[int, int]  # bin start -> versions passing the filters
    issue_counts: dict[str, int]  # most frequent first
    rows: list[dict[str, Any]]  # the page on screen
    page: int
    pages: int
    merchants: list[str] = field(default_factory=list)  # choices for the merchant filter (staff only)

    @property
    def review_status(self) -> dict[str, int]:
        """Versions in scope per review status, every one of :data:`REVIEW_STATUSES` listed in
        that order (0 where there is none)."""
        return {status: int(self.status_counts.get(status, 0)) for status in REVIEW_STATUSES}


def overview(
    store: Store, scope: CatalogScope, flt: CatalogFilter | None = None, *, page: int = 1, page_size: int = PAGE_SIZE
) -> Overview:
    """Totals, aggregates and page ``page`` (1-based, clamped) of the filtered catalogue."""
    flt = flt or CatalogFilter()
    status = catalog_status_counts(store, scope)
    total = sum(status.values())
    bins, shown = catalog_bins_and_count(store, scope, flt, width=HISTOGRAM_BIN) if total else ({}, 0)
    pages = max(1, math.ceil(shown / page_size))
    page = min(max(1, int(page)), pages)
    rows = catalog_page(store, scope, flt, offset=(page - 1) * page_size, limit=page_size) if shown else []
    return Overview(
        total=total,
        status_counts=status,
        shown=shown,
        score_bins=bins,
        issue_counts=catalog_issue_counts(store, scope, flt) if shown else {},
        rows=rows,
        page=page,
        pages=pages,
        merchants=merchant_ids(store) if scope.merchant_id is None else [scope.merchant_id],
    )
