"""Content-addressed blob storage: each file stored once under ``blobs/`` by its sha256, never changed."""

from __future__ import annotations

import re

import cv2
import numpy as np

from core.engine.loading import load_image
from core.engine.measures import to_analysis_scale
from core.store.database import Store, private_folder, write_private

__all__ = ["blob_path_for", "display_pixels", "read_blob", "write_blob"]

_SHA = re.compile(r"^[0-9a-f]{64}$")


def blob_path_for(sha: str, ext: str) -> str:
    """The blob path (relative to the blob folder) of content ``sha`` stored with extension ``ext``."""
    return f"{sha[:2]}/{sha}{ext}"


def write_blob(store: Store, rel: str, data: bytes) -> bool:
    """Write a content-addressed file atomically; False if it already existed."""
    path = store.blob_dir / rel
    if path.exists():
        return False
    private_folder(path.parent)
    write_private(path, data)  # owner-only (0600), atomic
    return True


def read_blob(store: Store, rel: str) -> bytes:
    """The stored bytes of a version (``blob_path`` from the database)."""
    root = store.blob_dir.resolve()
    path = (root / rel).resolve()
    if root not in path.parents:
        raise ValueError("blob path escapes the data folder")
    return path.read_bytes()


def display_pixels(store: Store, sha: str, rel: str, *, side: int) -> np.ndarray:
    """The image at display size (long side at most ``side`` px), decoded from its file only once.

    The first call decodes the stored file (reduced in the DCT domain for JPEGs) and keeps a
    lossless PNG under ``previews/``; every later call, in any process, reads that instead.
    """
    cache = None
    if _SHA.match(sha or ""):
        cache = store.root / "previews" / sha[:2] / f"{sha}_{int(side)}.png"
        if cache.exists():
            arr = cv2.imread(str(cache), cv2.IMREAD_COLOR)
            if arr is not None:
                return cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)
    pixels = to_analysis_scale(load_image(read_blob(store, rel), reduce_to=side).pixels, long_side=side)
    if cache is not None:
        ok, png = cv2.imencode(".png", cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if ok:
            private_folder(cache.parent)
            write_private(cache, png.tobytes())
    return np.ascontiguousarray(pixels)
