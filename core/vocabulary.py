"""The shared vocabulary: names and constants every floor of ``core`` (and the pages) agree on.

The bottom floor: it imports nothing from ``core``. A name lives here when more than one module
needs it; a module-private constant stays in its module.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ANALYSIS_LONG_SIDE",
    "DECISIONS",
    "FORMAT_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "UNSUPPORTED_IMAGE_EXTENSIONS",
    "ROLES",
    "VERSION_KINDS",
]

#: Long side (px) of the working copy the scale-dependent measures and the previews use.
ANALYSIS_LONG_SIDE: Final = 1024

#: A reviewer's decision on an image version.
DECISIONS: Final = ("approved", "rejected", "needs_changes")

#: Account roles.
ROLES: Final = ("admin", "reviewer", "merchant")

#: Kinds of stored image version: the merchant's upload, and a rendering of a recipe.
VERSION_KINDS: Final = ("original", "optimized")

#: File name extensions (lower case, with the dot) read as images.
IMAGE_EXTENSIONS: Final = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".mpo"})

#: Image file types a merchant may send that the engine cannot read: found in a folder or a zip,
#: they are reported with the reason (never skipped silently).
UNSUPPORTED_IMAGE_EXTENSIONS: Final = frozenset({".svg", ".svgz", ".heic", ".heif", ".avif", ".jxl", ".psd", ".eps",
                                                 ".raw", ".cr2", ".nef", ".arw", ".dng", ".ico"})

#: Pillow format name -> the extension a stored file of that format gets.
FORMAT_EXTENSIONS: Final = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "TIFF": ".tif", "BMP": ".bmp", "GIF": ".gif"}
