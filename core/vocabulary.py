"""The shared vocabulary: names and constants every floor of ``core`` (and the pages) agree on.

The bottom floor: it imports nothing from ``core``. A name lives here when more than one module
needs it; a module-private constant stays in its module.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ANALYSIS_LONG_SIDE",
    "DECISIONS",
    "EXPORT_FORMATS",
    "FORMAT_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "ISSUE_NAMES",
    "ISSUE_REASONS",
    "QUEUE_ORDERS",
    "REASONS",
    "ROLES",
    "ROLE_LABELS",
    "SUPPORTED_FORMATS",
    "UNSUPPORTED_IMAGE_EXTENSIONS",
    "VERSION_KINDS",
]

#: Long side (px) of the working copy the scale-dependent measures and the previews use.
ANALYSIS_LONG_SIDE: Final = 1024

#: The issue a check reports when it fails (one per check), shared by the engine, the store, the CSV
#: and the UI. A profile's ``checks`` are keyed by these names.
ISSUE_NAMES: Final = (
    "blurry", "noisy", "compression_artifacts", "dark", "overexposed", "low_contrast", "color_cast",
    "low_resolution", "too_large", "odd_aspect_ratio", "grayscale", "low_information",
    "non_white_background", "small_product", "duplicate", "near_duplicate",
)

#: A reviewer's decision on an image version.
DECISIONS: Final = ("approved", "rejected", "needs_changes")

#: Reasons a reviewer may give for rejecting or sending back an image.
REASONS: Final = (
    "blurry", "too dark", "too bright", "background not white", "product too small", "low resolution",
    "watermark/text", "wrong product", "other",
)

#: The reason a detected issue suggests to the reviewer (so the keyboard flow needs no clicking).
ISSUE_REASONS: Final = {
    "blurry": "blurry", "dark": "too dark", "overexposed": "too bright", "non_white_background": "background not white",
    "small_product": "product too small", "low_resolution": "low resolution",
}

#: Orders the review queue can be worked in.
QUEUE_ORDERS: Final = ("lowest_score", "oldest", "merchant", "issue")

#: Account roles, and how the interface names them.
ROLES: Final = ("admin", "reviewer", "merchant")
ROLE_LABELS: Final = {"admin": "Administrator", "reviewer": "Reviewer", "merchant": "Merchant"}

#: Kinds of stored image version: the merchant's upload, and a rendering of a recipe.
VERSION_KINDS: Final = ("original", "optimized")

#: File name extensions (lower case, with the dot) read as images.
IMAGE_EXTENSIONS: Final = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".mpo"})

#: Image file types a merchant may send that the engine cannot read: found in a folder or a zip,
#: they are reported with the reason (never skipped silently).
UNSUPPORTED_IMAGE_EXTENSIONS: Final = frozenset({".svg", ".svgz", ".heic", ".heif", ".avif", ".jxl", ".psd", ".eps",
                                                 ".raw", ".cr2", ".nef", ".arw", ".dng", ".ico"})

#: Pillow formats the loader decodes (MPO is a multi-picture JPEG).
SUPPORTED_FORMATS: Final = ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF", "MPO")

#: File name extension -> (Pillow format, MIME type) an image can be written as.
EXPORT_FORMATS: Final = {
    ".jpg": ("JPEG", "image/jpeg"), ".jpeg": ("JPEG", "image/jpeg"), ".png": ("PNG", "image/png"),
    ".webp": ("WEBP", "image/webp"), ".tif": ("TIFF", "image/tiff"), ".tiff": ("TIFF", "image/tiff"),
}

#: Pillow format name -> the extension a stored file of that format gets.
FORMAT_EXTENSIONS: Final = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "TIFF": ".tif", "BMP": ".bmp", "GIF": ".gif"}
