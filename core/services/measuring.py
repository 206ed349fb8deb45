"""Keeping stored scores in step with the engine (what the CLI's ``rescore`` and app start ask for)."""

from __future__ import annotations

from collections.abc import Callable

from core.engine import ENGINE_VERSION
from core.store.database import Store
from core.store.remeasure import RemeasureReport, count_stale, measured_by, remeasure_stale

__all__ = [
    "ENGINE_VERSION",
    "SMALL_STORE",
    "RemeasureReport",
    "remeasure",
    "remeasure_if_small",
    "stale_catalogue_note",
    "stale_count",
    "stale_note",
]

#: What a stale score means and how to bring it up to date, for the pages.
REMEASURE_HINT = "an administrator brings it up to date with `python -m core rescore --remeasure`"

#: Up to this many stale measurements are redone when the app starts (a few seconds); larger
#: stores are re-measured with ``python -m core rescore --remeasure`` and shown as stale until then.
SMALL_STORE = 200


def stale_count(store: Store) -> int:
    """How many stored images were measured by an older engine (their scores are stale)."""
    return count_stale(store)


def stale_catalogue_note(store: Store, *, merchant_id: str | None) -> str | None:
    """A sentence for the catalogue when some stored images were measured by an older engine, for
    staff (``merchant_id`` is ``None``); merchants, who cannot re-measure, are not told. ``None``
    when nothing is stale."""
    if merchant_id is not None:
        return None
    stale = count_stale(store)
    if not stale:
        return None
    return (
        f"{stale} image(s) were measured by an older engine version than {ENGINE_VERSION}: their scores are "
        "stale until an administrator runs `python -m core rescore --remeasure`."
    )


def stale_note(store: Store, version_id: int) -> str | None:
    """A sentence for a version measured by an older engine (its score is stale), else None."""
    v = measured_by(store, version_id)
    if v is None or v == ENGINE_VERSION:
        return None
    return (
        f"This score is stale: it was measured by engine {v}, and the checks have changed since "
        f"(now {ENGINE_VERSION}); {REMEASURE_HINT}."
    )


def remeasure(
    store: Store, *, limit: int | None = None, progress: Callable[[int, int], None] | None = None
) -> RemeasureReport:
    """Re-measure stale images from their stored originals and re-score them (resumable)."""
    return remeasure_stale(store, limit=limit, progress=progress)


def remeasure_if_small(store: Store, *, max_items: int = SMALL_STORE) -> RemeasureReport | None:
    """On app start: re-measure everything stale when there is little of it; None when there is
    nothing stale or too much (then the pages show those scores as stale)."""
    n = count_stale(store)
    if n == 0 or n > max_items:
        return None
    return remeasure_stale(store)
