"""Where data lives. One environment variable, overridable per call (CLI flag)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_DIR_ENV", "DATABASE_URL_ENV", "data_dir", "profiles_dir"]

DATA_DIR_ENV = "IMAGEDESK_DATA_DIR"
DATABASE_URL_ENV = "IMAGEDESK_DATABASE_URL"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: ``override``, else ``$IMAGEDESK_DATA_DIR``, else ``./data``."""
    return Path(override or os.environ.get(DATA_DIR_ENV) or "data").resolve()


def profiles_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Folder of user-saved (reviewer-tuned) profiles inside the data folder."""
    return data_dir(override) / "profiles"
