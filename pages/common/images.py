"""Cached image access for the pages. Keys are sha256 strings (cheap to hash), never bytes."""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import streamlit as st

from core.engine.export_image import encode_image
from core.engine.measures import to_analysis_scale
from core.engine.operations import PREVIEW_SIDE
from core.services.catalog import preview_pixels
from pages.common.session import get_store


@st.cache_data(max_entries=8, show_spinner=False)
def preview(sha256: str, blob_path: str) -> np.ndarray:
    """RGB uint8 at most PREVIEW_SIDE px on the long side (reduced JPEG decode where possible).

    Kept in memory for the few images being worked on (up to ~2.4 MB each); any other process or
    later call reads the PNG the store keeps on disk instead of decoding the file again."""
    return preview_pixels(get_store(), sha256=sha256, blob_path=blob_path, side=PREVIEW_SIDE)  # decoded once, kept


@st.cache_data(max_entries=16, show_spinner=False)
def recipe_preview(sha256: str, blob_path: str, recipe_json: str) -> np.ndarray:
    """The preview with the recipe applied, every prefix of the recipe kept: moving a late step's
    slider runs only that step and those after it, not a denoising before it again (non-local
    means takes over a second on a preview). Raises RecipeError as :meth:`Recipe.apply` does."""
    from core.engine.recipe import Recipe

    recipe = Recipe.from_json(recipe_json)
    if not recipe.steps:
        return preview(sha256, blob_path)
    k = len(recipe.steps) - 1
    before = recipe_preview(sha256, blob_path, Recipe(recipe.steps[:k]).to_json()) if k else preview(sha256, blob_path)
    return recipe.apply(before, start=k)


@st.cache_data(max_entries=64, show_spinner=False)
def preview_url(sha256: str, blob_path: str) -> str:
    """The preview as a JPEG data URL (cached: the "before" side of a comparison never changes)."""
    return data_url(preview(sha256, blob_path))


@st.cache_data(max_entries=2000, show_spinner=False)
def thumbnail_url(sha256: str, blob_path: str, side: int = 96) -> str:
    """A small JPEG thumbnail as a data URL (for table image columns)."""
    # From the stored preview, not the file, and not through preview(): a table of thumbnails
    # would otherwise keep a full-size preview in memory for each of its rows.
    pixels = preview_pixels(get_store(), sha256=sha256, blob_path=blob_path, side=PREVIEW_SIDE)
    small = to_analysis_scale(pixels, long_side=side)
    return data_url(small, quality=80)


#: Long side (px) of the images on the Review page: about the column they are shown in, so each
#: keypress sends two ~100 kB JPEGs instead of full previews.
REVIEW_SIDE = 800


@st.cache_data(max_entries=256, show_spinner=False)
def display_url(sha256: str, blob_path: str, recipe_json: str = "", side: int = REVIEW_SIDE) -> str:
    """The preview (with ``recipe_json`` applied, if given) at ``side`` px as a JPEG data URL.

    Cached per image and recipe, so a reviewer moving through the queue (and the prefetch of the
    next item) computes each image once, at the size it is shown."""
    pix = preview(sha256, blob_path)
    if recipe_json:
        from core.engine.recipe import Recipe

        pix = Recipe.from_json(recipe_json).apply(pix)
    return data_url(to_analysis_scale(pix, long_side=side))


_prefetch_lock = threading.Lock()
_in_flight: dict[Hashable, Future[Any]] = {}
#: One background worker for the whole server: prefetching never takes more than one core from
#: the people waiting for a page, and each item is prepared once however many sessions ask.
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="imagedesk-prefetch")


def prefetch(key: Hashable, fn: Callable[..., Any], *args: object) -> None:
    """Run ``fn(*args)`` (which fills a cache) in the background, once per ``key`` at a time."""
    from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

    ctx = get_script_run_ctx()

    def run() -> Any:
        add_script_run_ctx(threading.current_thread(), ctx)
        try:
            return fn(*args)
        finally:
            with _prefetch_lock:
                _in_flight.pop(key, None)

    with _prefetch_lock:
        if key in _in_flight:
            return
        _in_flight[key] = _worker.submit(run)


def await_prefetch(key: Hashable, *, timeout: float = 10.0) -> None:
    """If ``key`` is being prepared in the background, wait for it instead of doing it twice."""
    with _prefetch_lock:
        future = _in_flight.get(key)
    if future is not None:
        with contextlib.suppress(Exception):
            future.result(timeout=timeout)


def data_url(rgb: np.ndarray, *, quality: int = 88) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(encode_image(rgb, "JPEG", quality=quality)).decode("ascii")
