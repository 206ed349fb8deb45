"""Encode RGB uint8 arrays to files or bytes for download and storage."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Final

import numpy as np
from PIL import Image

__all__ = ["FORMATS", "encode_image", "save_image"]

#: Extension -> (Pillow format, MIME type).
FORMATS: Final = {
    ".jpg": ("JPEG", "image/jpeg"), ".jpeg": ("JPEG", "image/jpeg"), ".png": ("PNG", "image/png"),
    ".webp": ("WEBP", "image/webp"), ".tif": ("TIFF", "image/tiff"), ".tiff": ("TIFF", "image/tiff"),
}


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
    if ext not in FORMATS:
        raise ValueError(f"cannot write '{p.name}': use one of {', '.join(sorted(FORMATS))}")
    p.write_bytes(encode_image(rgb, FORMATS[ext][0], quality=quality))
