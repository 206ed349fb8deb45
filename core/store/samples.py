"""First start: load the bundled sample images into an empty store."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from core.store.database import Store
from core.store.intake import IngestReport, ingest_folder
from core.store.queries import count_images

__all__ = ["SAMPLE_DIR", "seed_samples"]

SAMPLE_DIR: Final = Path(__file__).resolve().parents[2] / "sample_data"


def seed_samples(store: Store, folder: Path = SAMPLE_DIR) -> IngestReport | None:
    """Ingest ``sample_data/`` (with its manifest) if the store has no images; else do nothing."""
    if count_images(store) > 0 or not folder.is_dir():
        return None
    return ingest_folder(store, folder, merchant_id="samples", uploaded_by="sample-data")
