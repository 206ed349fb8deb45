"""Opening the desk: where its data lives, and what the first start of a server does.

The pages open one store per server process (``pages.common.session.get_store``) through
:func:`open_desk`; what it did is returned so the page layer can print the administrator's first
password to the server console, once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from core.services.measuring import remeasure_if_small
from core.store.accounts import AdminSetup, ensure_default_admin
from core.store.database import Store, open_store
from core.store.samples import SAMPLE_DIR, seed_samples
from core.store.settings import DATABASE_URL_ENV, data_dir

__all__ = ["AdminSetup", "DeskStart", "Store", "open_desk", "store_location"]


def store_location() -> tuple[str, str]:
    """(data folder, database URL) this server uses: ``$IMAGEDESK_DATA_DIR`` (default ``./data``,
    made absolute) and ``$IMAGEDESK_DATABASE_URL`` ("" for SQLite in the data folder)."""
    return str(data_dir()), os.environ.get(DATABASE_URL_ENV, "")


@dataclass(frozen=True, kw_only=True, slots=True)
class DeskStart:
    """An opened store and what opening it did: the administrator account it made (if none was
    active), how many sample images it loaded into an empty store (``None``: none loaded), and how
    many images measured by an older engine it re-measured (``None``: none, or too many to do now)."""

    store: Store
    admin: AdminSetup
    samples_added: int | None
    remeasured: int | None


def open_desk(data_folder: str, *, database_url: str | None = None, samples: Path = SAMPLE_DIR) -> DeskStart:
    """Open the store (creating and migrating it if needed), then make the first start usable:
    an active administrator always exists, an empty store gets the sample catalogue from
    ``samples``, and a few stale scores are re-measured at once (many are left to
    ``python -m core rescore --remeasure`` and shown as stale until then)."""
    store = open_store(data_folder, database_url=database_url or None)
    admin = ensure_default_admin(store)
    report = seed_samples(store, samples)
    redone = remeasure_if_small(store)
    return DeskStart(
        store=store,
        admin=admin,
        samples_added=None if report is None else len(report.added),
        remeasured=None if redone is None else redone.remeasured,
    )
