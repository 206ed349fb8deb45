"""Cached image access for the pages. Keys are sha256 strings (cheap to hash), never bytes."""

from __future__ import annotations

import base64

import numpy as np
import streamlit as st

from core.engine.export_image import encode_image
from core.engine.loading import load_image
from core.engine.measures import to_analysis_scale
from core.engine.operations import PREVIEW_SIDE
from core.store.blobs import display_pixels, read_blob
from pages.common.session import get_store


@st.cache_data(max_entries=64, show_spinner=False)
def preview(sha256: str, blob_path: str) -> np.ndarray:
    """RGB uint8 at most PREVIEW_SIDE px on the long side (reduced JPEG decode where possible)."""
    return display_pixels(get_store(), sha256, blob_path, side=PREVIEW_SIDE)  # decoded once, kept at this size


@st.cache_data(max_entries=64, show_spinner=False)
def preview_url(sha256: str, blob_path: str) -> str:
    """The preview as a JPEG data URL (cached: the "before" side of a comparison never changes)."""
    return data_url(preview(sha256, blob_path))


@st.cache_data(max_entries=2000, show_spinner=False)
def thumbnail_url(sha256: str, blob_path: str, side: int = 96) -> str:
    """A small JPEG thumbnail as a data URL (for table image columns)."""
    small = to_analysis_scale(preview(sha256, blob_path), long_side=side)  # from the preview, not the file
    return data_url(small, quality=80)


def full_resolution(blob_path: str) -> np.ndarray:
    """Full-size pixels: only for saving and downloading (not cached: large)."""
    return load_image(read_blob(get_store(), blob_path)).pixels


def data_url(rgb: np.ndarray, *, quality: int = 88) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(encode_image(rgb, "JPEG", quality=quality)).decode("ascii")
