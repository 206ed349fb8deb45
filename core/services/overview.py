"""The catalogue overview at any size: what the Overview page shows, computed in the database.

The counters, the score histogram and the issue counts are SQL aggregates and only the rows on screen
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
    catalog_status_bins_and_count,
    catalog_status_counts,
    merchant_ids,
)
from core.vocabulary import CATALOG_ORDERS, COPIED_FILTER_LABEL, DECISIONS

__all__ = [
    "CATALOG_ORDERS",
    "COLUMNS",
    "HISTOGRAM_BIN",
    "ORDER_LABELS",
    "PAGE_SIZE",
    "REVIEW_STATUSES",
    "CatalogFilter",
    "CatalogScope",
    "Overview",
    "filters_active",
    "narrowing_filters",
    "merchant_ids",
    "overview",
    "table_columns",
]

PAGE_SIZE: Final = 50
HISTOGRAM_BIN: Final = 5

#: What the catalogue counts and filters by: not reviewed yet, then each decision.
REVIEW_STATUSES: Final = ("unreviewed", *DECISIONS)

#: How the Overview names each of :data:`CATALOG_ORDERS` (its "Sort by" choices).
ORDER_LABELS: Final = {
    "lowest_score": "Worst score first",
    "highest_score": "Best score first",
    "newest": "Newest first",
    "name": "Name (A-Z)",
}


def table_columns(*, merchant_view: bool, with_versions: bool = False) -> list[str]:
    """The Overview table's columns, in order: what a row is and the link to open it first, so the
    link stays on screen at 1280 px (it was the last column, scrolled out of view); details last.
    A merchant's own table has no merchant column (it would say their shop on every row). With
    optimized versions listed (``with_versions``), which version a row is comes beside its name:
    among the details, off screen at 1400 px, an original and its fix of one name looked alike."""
    cols = [
        "thumbnail",
        "file_name",
        *(["kind"] if with_versions else []),
        "open",
        "score",
        "issues",
        "status",
        "merchant_id",
        "sku",
        *([] if with_versions else ["kind"]),
        "width",
        "height",
    ]
    return [c for c in cols if not (merchant_view and c == "merchant_id")]


def narrowing_filters(flt: CatalogFilter) -> tuple[str, ...]:
    """The filters of ``flt`` that narrow the catalogue, by the labels of the Overview's controls
    ("Merchant", "Has issue", "Decision", "Score", "Search file name or SKU", then
    :data:`~core.vocabulary.COPIED_FILTER_LABEL`), in the order they stand on the page."""
    named = (
        ("Merchant", bool(flt.merchants)),
        ("Has issue", bool(flt.issues)),
        ("Decision", bool(flt.statuses)),
        ("Score", not (flt.score_min <= 0 and flt.score_max >= 100)),
        ("Search file name or SKU", bool(flt.text.strip())),
        (COPIED_FILTER_LABEL, flt.copied),
    )
    return tuple(name for name, on in named if on)


def filters_active(flt: CatalogFilter) -> bool:
    """Whether ``flt`` narrows anything (empty lists, no text and the full 0-100 score range do not)."""
    return bool(flt.merchants or flt.issues or flt.statuses or flt.text.strip() or flt.copied) or not (
        flt.score_min <= 0 and flt.score_max >= 100
    )


@dataclass(frozen=True, slots=True)
class Overview:
    """One screen of the overview. Every number on it but ``total`` follows the filters: the
    counters, the charts and the table describe the same images."""

    total: int  # versions in scope, before filters (the whole catalogue, or the merchant's)
    status_counts: dict[str, int]  # versions passing the filters, per review status
    shown: int  # versions passing the filters
    score_bins: dict[int, int]  # bin start -> versions passing the filters
    issue_counts: dict[str, int]  # most frequent first
    rows: list[dict[str, Any]]  # the page on screen
    page: int
    pages: int
    merchants: list[str] = field(default_factory=list)  # choices for the merchant filter (staff only)
    filtered: bool = False  # whether any filter narrows the scope
    page_size: int = PAGE_SIZE
    order: str = "lowest_score"  # one of CATALOG_ORDERS: how the whole filtered catalogue is sorted
    narrowed_by: tuple[str, ...] = ()  # the filters that are set, by their controls' labels

    @property
    def empty_note(self) -> str:
        """What to say when no image passes the filters, naming the controls that narrow it, e.g.
        'No images match these filters (71 in all). To widen the selection, clear or loosen
        "Merchant" and "Has issue".'."""
        named = [f'"{name}"' for name in self.narrowed_by]
        which = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1] if named else "them"
        return f"No images match these filters ({self.total} in all). To widen the selection, clear or loosen {which}."

    @property
    def review_status(self) -> dict[str, int]:
        """Versions passing the filters per review status, every one of :data:`REVIEW_STATUSES`
        listed in that order (0 where there is none)."""
        return {status: int(self.status_counts.get(status, 0)) for status in REVIEW_STATUSES}

    @property
    def count_label(self) -> str:
        """The label of the first counter: all images, or those matching the filters."""
        return "Matching images" if self.filtered else "Images"

    @property
    def heading(self) -> str:
        """Which rows the table shows, e.g. "Images 51-71 of 71", "Images 1-14 of 14 matching the
        filters (71 in all)", "Image 1 of 1 matching the filters (71 in all)"."""
        if self.shown == 0:
            return f"No images match the filters ({self.total} in all)"
        first = (self.page - 1) * self.page_size + 1
        last = min(self.shown, self.page * self.page_size)
        of = f"{self.shown} matching the filters ({self.total} in all)" if self.filtered else f"{self.total}"
        # One row (a search for one SKU, a last page of one) is not a range: "Images 1-1 of 1" read oddly.
        rows = f"Image {first}" if first == last else f"Images {first}-{last}"
        return f"{rows} of {of}"

    @property
    def page_note(self) -> str:
        """Where the page box stands, e.g. "page 2 of 2"."""
        return f"page {self.page} of {self.pages}"


def overview(
    store: Store,
    scope: CatalogScope,
    flt: CatalogFilter | None = None,
    *,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    order: str = "lowest_score",
) -> Overview:
    """Totals, aggregates and page ``page`` (1-based, clamped) of the filtered catalogue, sorted
    as a whole by ``order`` (one of :data:`CATALOG_ORDERS`) before it is cut into pages.

    Every number is an aggregate query; with a filter, the status counts are counted once over
    the scope (for the total) and once, with the histogram, over the matching versions.
    """
    if order not in CATALOG_ORDERS:
        raise ValueError(f"order must be one of {', '.join(CATALOG_ORDERS)}, not {order!r}")
    flt = flt or CatalogFilter()
    filtered = filters_active(flt)
    if not filtered:
        flt = CatalogFilter()  # the scope's counts come from the decisions, the fast path
    scope_status = catalog_status_counts(store, scope)
    total = sum(scope_status.values())
    bins: dict[int, int] = {}
    if not total:
        status, shown = scope_status, 0
    elif filtered:  # one pass over the matching versions for the counters and the histogram
        status, bins, shown = catalog_status_bins_and_count(store, scope, flt, width=HISTOGRAM_BIN)
    else:
        status = scope_status
        bins, shown = catalog_bins_and_count(store, scope, flt, width=HISTOGRAM_BIN)
    pages = max(1, math.ceil(shown / page_size))
    page = min(max(1, int(page)), pages)
    offset = (page - 1) * page_size
    rows = catalog_page(store, scope, flt, offset=offset, limit=page_size, order=order) if shown else []
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
        filtered=filtered,
        page_size=page_size,
        order=order,
        narrowed_by=narrowing_filters(flt),
    )
