"""Encode RGB uint8 arrays to files or bytes for download and storage."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from core.vocabulary import EXPORT_FORMATS

__all__ = ["encode_image", "save_image"]


def encode_image(rgb: np.ndarray, fmt: str = "JPEG", *, quality: int = 92) -> bytes:
    """Encode as ``fmt`` (JPEG at ``quality`` with 4:4:4 chroma, lossless WebP/PNG/TIFF)."""
    buf = io.BytesIO()
    img = Image.fromarray(rgb, "RGB")
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=quality, subsampling=0, optimize=True)
    elif fmt == "WEBP":
        img.save(buf, "WEBP", quality=quality)
    else:
        img.save(buf, fmt)
    return buf.getvalue()


def save_image(rgb: np.ndarray, path: str | os.PathLike[str], *, quality: int = 92) -> None:
    """Write ``rgb`` to ``path``; the extension picks the format. Raises ValueError if unknown."""
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in EXPORT_FORMATS:
        raise ValueError(f"cannot write '{p.name}': use one of {', '.join(sorted(EXPORT_FORMATS))}")
    p.write_bytes(encode_image(rgb, EXPORT_FORMATS[ext][0], quality=quality))
