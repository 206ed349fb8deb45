"""Where data lives. One environment variable, overridable per call (CLI flag)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

__all__ = [
    "DATA_DIR_ENV",
    "DATABASE_URL_ENV",
    "MAX_MEGAPIXELS_ENV",
    "SESSION_IDLE_ENV",
    "SESSION_MAX_ENV",
    "data_dir",
    "max_pixels",
    "profiles_dir",
    "session_limits",
]

DATA_DIR_ENV = "IMAGEDESK_DATA_DIR"
DATABASE_URL_ENV = "IMAGEDESK_DATABASE_URL"
SESSION_IDLE_ENV = "IMAGEDESK_SESSION_IDLE_MINUTES"
SESSION_MAX_ENV = "IMAGEDESK_SESSION_MAX_HOURS"
MAX_MEGAPIXELS_ENV = "IMAGEDESK_MAX_MEGAPIXELS"

log = logging.getLogger("imagedesk")


def _positive(name: str, default: float) -> float:
    """A positive number from the environment; a bad value is logged and the default used."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value != value or value == float("inf"):
        log.warning("%s=%r is not a positive number; using %g", name, raw, default)
        return default
    return value


def session_limits() -> tuple[float, float]:
    """(idle timeout, absolute lifetime) of a sign-in session in seconds: 30 minutes and 12 hours
    unless ``$IMAGEDESK_SESSION_IDLE_MINUTES`` / ``$IMAGEDESK_SESSION_MAX_HOURS`` say otherwise."""
    return _positive(SESSION_IDLE_ENV, 30.0) * 60.0, _positive(SESSION_MAX_ENV, 12.0) * 3600.0


def max_pixels() -> int:
    """Largest image accepted, in pixels: ``$IMAGEDESK_MAX_MEGAPIXELS`` (default 50 MP, what
    marketplaces accept)."""
    return int(_positive(MAX_MEGAPIXELS_ENV, 50.0) * 1_000_000)


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: ``override``, else ``$IMAGEDESK_DATA_DIR``, else ``./data``."""
    return Path(override or os.environ.get(DATA_DIR_ENV) or "data").resolve()


def profiles_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Folder of user-saved (reviewer-tuned) profiles inside the data folder."""
    return data_dir(override) / "profiles"
