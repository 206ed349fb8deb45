"""The shared vocabulary: names and constants every floor of ``core`` (and the pages) agree on.

The bottom floor: it imports nothing from ``core``. A name lives here when more than one module
needs it; a module-private constant stays in its module.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = [
    "ANALYSIS_LONG_SIDE",
    "ANY_CHOICE",
    "CATALOG_ORDERS",
    "COPIED_FILTER_LABEL",
    "DECISIONS",
    "DECISION_LABELS",
    "DUPLICATE_ISSUES",
    "EXPORT_FORMATS",
    "FORMAT_EXTENSIONS",
    "FORMAT_LABELS",
    "HEIF_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "ISSUE_LABELS",
    "ISSUE_NAMES",
    "ISSUE_REASONS",
    "METRIC_INFO",
    "METRIC_LABELS",
    "QUEUE_ORDERS",
    "REASONS",
    "REASON_LABELS",
    "ROLES",
    "ROLE_LABELS",
    "SUPPORTED_FORMATS",
    "UNSUPPORTED_IMAGE_EXTENSIONS",
    "VERSION_KINDS",
    "decision_label",
    "issue_label",
    "issue_labels",
    "metric_title",
    "reason_label",
    "reason_labels",
    "role_label",
]

#: Long side (px) of the working copy the scale-dependent measures and the previews use.
ANALYSIS_LONG_SIDE: Final = 1024

#: Every metric :func:`core.engine.measures.measure` returns: (unit or range, one-line meaning). The UI and the CSV
#: export take their column order and help text from here.
METRIC_INFO: Final[dict[str, tuple[str, str]]] = {
    "sharpness": (
        "0-100",
        "Edge crispness on the product at up to 2048 px, as a zoom shows it (higher is sharper), "
        "in its second-softest of four directions, so camera shake counts; "
        "where one part of a photo is far crisper than the rest (a shallow depth of field), that part; "
        "blank if the photo has too few edges to judge, or only smooth ramps",
    ),
    "laplacian_var": ("grey levels^2", "Variance of the Laplacian inside the product box, at 1024 px"),
    "noise_sigma": (
        "grey levels",
        "Grain in the flattest tenth of the photo, at up to 2048 px (texture, whose detail does not fade at coarser scales or repeats every few pixels like a weave, does not count)",
    ),
    "detail_long_side": ("px", "Long side of the image that focus and grain were measured on (at most 2048)"),
    "brightness": ("0-255", "Mean luminance of the whole image"),
    "subject_brightness": ("0-255", "Mean luminance of the product (whole image if no backdrop)"),
    "shadow_clip": ("0-1", "Share of pixels crushed to black (luma <= 8)"),
    "highlight_clip": (
        "0-1",
        (
            "Share of the product's silhouette blown to pure white (blank without a plain backdrop, "
            "and in a drawn graphic or on a drawn colour backdrop: a graphic's white is design)"
        ),
    ),
    "channel_clip": (
        "0-1",
        "Share of coloured product pixels with a colour channel at 255 (information: saturated products clip too)",
    ),
    "highlight_level": (
        "0-255",
        (
            "Brightest tones (99th percentile of each pixel's brightest channel, so a vivid blue at full "
            "strength counts as bright; of the product alone on a dark plain backdrop); low means "
            "nothing in the photo is bright (blank in a drawn graphic or on a drawn colour backdrop: its tones are chosen)"
        ),
    ),
    "contrast": (
        "0-1",
        "Tonal range of the whole photo (1st to 99th percentile of luma, or of one colour channel where wider, "
        "as for orange against blue); at least 0.6 once it reaches white "
        "(blank in a drawn graphic or on a drawn colour backdrop)",
    ),
    "black_level": (
        "0-255",
        "Black point: the darkest tones of the whole photo (0.1th percentile of each pixel's darkest channel, "
        "so a deep yellow is dark); high means washed out "
        "(blank in a drawn graphic or on a drawn colour backdrop)",
    ),
    "color_cast": (
        "Delta E",
        "Tint of the plain backdrop (a*b* distance from neutral); blank without a light plain backdrop, "
        "in a drawn graphic, and where the product's greys do not share the tint (a chosen backdrop colour; "
        "a backdrop more colourful than 45 counts only when they do)",
    ),
    "colorfulness": ("0-150", "Hasler-Suesstrunk colourfulness"),
    "gray_chroma": (
        "0-255",
        "Channel spread of the most colourful 0.1% of the photo (0-1 means saved without colour; "
        "blank in a drawn graphic)",
    ),
    "blockiness": (
        "0-50",
        "JPEG blocking: mean extra step on the 8x8 grid in flat areas, x10, beyond what the file's own "
        "quality puts there (0 = none): blocks kept from an earlier, harder save",
    ),
    "jpeg_quality": ("1-100", "Encoder quality read from the JPEG quantization tables (how this file was saved)"),
    "entropy": ("bits, 0-8", "Information in the product's luminance histogram (0 if blank)"),
    "detail": (
        "grey levels",
        "Spread of the whole photo's luminance (standard deviation; below 2 it is blank, one colour edge to edge, "
        "and its exposure, colour and background are not judged)",
    ),
    "width": ("px", "True width"),
    "height": ("px", "True height"),
    "long_side": ("px", "Longer side"),
    "megapixels": ("MP", "Width x height / 1e6"),
    "aspect_ratio": (">= 1", "Longer side / shorter side"),
    "file_mb": ("MB", "File size"),
    "background_white": ("0-1", "Share of the border that is pure white (every channel >= 250)"),
    "background_luma": ("0-255", "Luminance of the backdrop colour"),
    "product_fill": ("0-1", "Share of the frame's area the product's bounding box covers"),
    "product_extent": ("0-1", "How far the product spans the frame along its better-filled side"),
    "palette_share": (
        "0-1",
        (
            "Share of the product's flat areas in its 8 commonest exact colours: 0.88 or more is a drawn "
            "graphic (a logo, a chart), whose tones and colours are not judged; photos measure 0.1-0.7, "
            "at most 0.86 once flattened (blank without an exactly flat backdrop)"
        ),
    ),
    "padding": (
        "0-1",
        (
            "Share of the canvas covered by padding: flat bands added on two opposite sides of the photo "
            "(pad to square, letterbox). Exposure, colour, focus, grain and blocking are measured on the "
            "photo inside them; where the product sits, on the whole canvas (0 = not padded)"
        ),
    ),
    "frame": (
        "0-1",
        (
            "Share of the canvas covered by a drawn frame: a thin dark rule of one colour on all four sides "
            "around a light, flat field (a card's black border, a keyline). Everything but where the "
            "product sits is measured inside it, where the field is the backdrop (0 = no frame)"
        ),
    ),
    "neutral_tint_share": (
        "0-1",
        (
            "Share of the product's near-neutral surfaces (greys, whites, metal) that carry the backdrop's "
            "tint: near 1 for a colour cast, which tints everything; below 0.2 the tint is the backdrop's "
            "own colour and is not judged (blank when the product has too few greys to tell)"
        ),
    ),
    "exact_duplicate": ("0 or 1", "1 if the same bytes were seen earlier in the set"),
    "hash_distance": ("bits, 0-64", "Perceptual-hash distance to the most similar earlier image"),
    "color_distance": ("Delta E", "Colour difference to that most similar earlier image (0 = the same colours)"),
}


#: Short words for a metric inside a merchant-facing sentence.
METRIC_LABELS: Final[dict[str, str]] = {
    "highlight_level": "brightest tones",
    "subject_brightness": "product brightness",
    "highlight_clip": "share of the product blown to white",
    "channel_clip": "share of product colours blown out",
    "black_level": "black point",
    "jpeg_quality": "JPEG quality",
    "file_mb": "file size (MB)",
    "blockiness": "blocking",
    "long_side": "long side (px)",
    "megapixels": "megapixels",
    "noise_sigma": "noise",
    "aspect_ratio": "aspect ratio",
    # The rest, as the Feedback page names them (no check's message uses these):
    "sharpness": "sharpness",
    "laplacian_var": "edge strength (Laplacian)",
    "detail_long_side": "size focus was measured at (px)",
    "brightness": "brightness",
    "shadow_clip": "share crushed to black",
    "contrast": "tonal range",
    "color_cast": "backdrop tint",
    "colorfulness": "colourfulness",
    "gray_chroma": "colour spread",
    "entropy": "tonal information",
    "detail": "tonal spread",
    "width": "width (px)",
    "height": "height (px)",
    "background_white": "share of the border that is white",
    "background_luma": "backdrop brightness",
    "product_fill": "product's share of the frame",
    "product_extent": "product's span of the frame",
    "palette_share": "share in 8 flat colours",
    "padding": "share of padding",
    "frame": "share of drawn frame",
    "neutral_tint_share": "greys carrying the backdrop's tint",
    "exact_duplicate": "same file as an earlier one",
    "hash_distance": "difference from the most similar photo",
    "color_distance": "colour difference from that photo",
}


def metric_title(metric: str) -> str:
    """What a metric is called on screen ("tonal spread"): its label in :data:`METRIC_LABELS`,
    else its name in words."""
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


#: The issue a check reports when it fails (one per check), shared by the engine, the store, the CSV
#: and the UI. A profile's ``checks`` are keyed by these names.
ISSUE_NAMES: Final = (
    "blurry",
    "noisy",
    "compression_artifacts",
    "dark",
    "overexposed",
    "low_contrast",
    "color_cast",
    "low_resolution",
    "too_large",
    "odd_aspect_ratio",
    "grayscale",
    "low_information",
    "non_white_background",
    "small_product",
    "duplicate",
    "near_duplicate",
)

#: The issues that say an image repeats an earlier one (the same bytes, or the same photo).
DUPLICATE_ISSUES: Final = frozenset({"duplicate", "near_duplicate"})

#: What each issue is called on screen (the names above stay in data: CSV, profiles, filters in URLs).
ISSUE_LABELS: Final[dict[str, str]] = {
    "blurry": "Blurry",
    "noisy": "Grainy",
    "compression_artifacts": "JPEG blocking",
    "dark": "Too dark",
    "overexposed": "Overexposed",
    "low_contrast": "Flat (low contrast)",
    "color_cast": "Colour cast",
    "low_resolution": "Low resolution",
    "too_large": "File too large",
    "odd_aspect_ratio": "Unusual shape",
    "grayscale": "Saved without colour",
    "low_information": "Almost blank",
    "non_white_background": "Background not white",
    "small_product": "Product small in frame",
    "duplicate": "Duplicate file",
    "near_duplicate": "Same photo as another",
}


def issue_label(name: str) -> str:
    """The on-screen name of issue ``name`` (an unknown name is shown as it is)."""
    return ISSUE_LABELS.get(name, name)


def issue_labels(names: Iterable[str]) -> list[str]:
    """:func:`issue_label` of each name, in order."""
    return [issue_label(n) for n in names]


#: A reviewer's decision on an image version.
DECISIONS: Final = ("approved", "rejected", "needs_changes")

#: What a decision (or the lack of one) is called on screen. "unreviewed": in the review queue
#: and not decided yet; "not_submitted": never put in the queue.
DECISION_LABELS: Final[dict[str, str]] = {
    "approved": "Approved",
    "rejected": "Rejected",
    "needs_changes": "Needs changes",
    "unreviewed": "Waiting for review",
    "not_submitted": "Not submitted for review",
}


def decision_label(name: str) -> str:
    """The on-screen name of decision or review status ``name`` (unknown names as they are)."""
    return DECISION_LABELS.get(name, name)


#: Reasons a reviewer may give for rejecting or sending back an image.
REASONS: Final = (
    "blurry",
    "too dark",
    "too bright",
    "background not white",
    "product too small",
    "low resolution",
    "watermark/text",
    "wrong product",
    "grainy",
    "compression artifacts",
    "colour cast",
    "flat (low contrast)",
    "no colour",
    "duplicate",
    "odd shape",
    "file too large",
    "nothing to see",
    # A file another merchant stored first (see COPIED_FILTER_LABEL): no check flags it.
    "copied",
    "other",
)

#: The reason a detected issue suggests to the reviewer (every issue has one, so the keyboard flow
#: needs no clicking and the feedback figures keep what was wrong).
ISSUE_REASONS: Final = {
    "blurry": "blurry",
    "noisy": "grainy",
    "compression_artifacts": "compression artifacts",
    "dark": "too dark",
    "overexposed": "too bright",
    "low_contrast": "flat (low contrast)",
    "color_cast": "colour cast",
    "low_resolution": "low resolution",
    "too_large": "file too large",
    "odd_aspect_ratio": "odd shape",
    "grayscale": "no colour",
    "low_information": "nothing to see",
    "non_white_background": "background not white",
    "small_product": "product too small",
    "duplicate": "duplicate",
    "near_duplicate": "duplicate",
}

#: How the interface names each reason: as the issue it stands for is named (the reviewer picks
#: "JPEG blocking" for an image flagged "JPEG blocking"), the rest in sentence case. The stored
#: values (and the CSV exports) keep the names above.
REASON_LABELS: Final = {
    "blurry": "Blurry",
    "too dark": "Too dark",
    "too bright": "Overexposed",
    "background not white": "Background not white",
    "product too small": "Product small in frame",
    "low resolution": "Low resolution",
    "watermark/text": "Watermark or text",
    "wrong product": "Wrong product",
    "grainy": "Grainy",
    "compression artifacts": "JPEG blocking",
    "colour cast": "Colour cast",
    "flat (low contrast)": "Flat (low contrast)",
    "no colour": "Saved without colour",
    # One reason for both duplicate issues ("Duplicate file", "Same photo as another"): a photo
    # either way. ("Duplicate or same photo" was cut in the reasons box at 800 px.)
    "duplicate": "Duplicate photo",
    "odd shape": "Unusual shape",
    "file too large": "File too large",
    "nothing to see": "Almost blank",
    "copied": "Copied photo",
    "other": "Other",
}


#: What a filter shows while it narrows nothing (Overview, Review and Feedback alike).
ANY_CHOICE: Final = "Any"


def reason_label(name: str) -> str:
    """The on-screen name of review reason ``name`` (an unknown name is shown as it is)."""
    return REASON_LABELS.get(name, name)


def reason_labels(names: Iterable[str]) -> str:
    """The on-screen names of reasons ``names``, as one list ("Blurry, Too dark")."""
    return ", ".join(reason_label(n) for n in names)


#: Orders the review queue can be worked in.
#: The filter (Overview, Review) for images whose very file another merchant stored too: a seller's
#: photo copied by another. Staff only; no check flags it, as its pixels are fine.
COPIED_FILTER_LABEL: Final = "Also stored by another merchant"

QUEUE_ORDERS: Final = ("lowest_score", "oldest", "merchant", "issue")

#: Orders the whole catalogue (the Overview's table) can be listed in.
CATALOG_ORDERS: Final = ("lowest_score", "highest_score", "newest", "name")

#: Account roles, and how the interface names them.
ROLES: Final = ("admin", "reviewer", "merchant")
ROLE_LABELS: Final = {"admin": "Administrator", "reviewer": "Reviewer", "merchant": "Merchant"}


def role_label(name: str) -> str:
    """The on-screen name of account role ``name`` ("Administrator"; unknown names as they are)."""
    return ROLE_LABELS.get(name, name)


#: Kinds of stored image version: the merchant's upload, and a rendering of a recipe.
VERSION_KINDS: Final = ("original", "optimized")

#: File name extensions (lower case, with the dot) read as images.
IMAGE_EXTENSIONS: Final = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".jpe",
        ".jfif",  # what Windows browsers name a saved JPEG
        ".pjpeg",
        ".pjp",
        ".png",
        ".webp",
        ".heic",
        ".heif",
        ".hif",
        ".avif",
        ".tif",
        ".tiff",
        ".bmp",
        ".gif",
        ".mpo",
    }
)

#: The extensions of HEIC/HEIF files (phone photos), read where pillow-heif is installed.
HEIF_EXTENSIONS: Final = frozenset({".heic", ".heif", ".hif"})

#: Image file types a merchant may send that the engine cannot read: found in a folder or a zip,
#: they are reported with the reason (never skipped silently).
UNSUPPORTED_IMAGE_EXTENSIONS: Final = frozenset(
    {
        ".svg",
        ".svgz",
        ".jxl",
        ".jp2",
        ".psd",
        ".eps",
        ".ai",
        ".pdf",
        ".tga",
        ".raw",
        ".cr2",
        ".nef",
        ".arw",
        ".dng",
        ".ico",
    }
)

#: Pillow formats the loader decodes (MPO is a multi-picture JPEG; HEIF, phones' HEIC, through
#: pillow-heif; AVIF through Pillow's own libavif).
SUPPORTED_FORMATS: Final = ("JPEG", "PNG", "WEBP", "HEIF", "AVIF", "TIFF", "BMP", "GIF", "MPO")

#: File name extension -> (Pillow format, MIME type) an image can be written as.
EXPORT_FORMATS: Final = {
    ".jpg": ("JPEG", "image/jpeg"),
    ".jpeg": ("JPEG", "image/jpeg"),
    ".png": ("PNG", "image/png"),
    ".webp": ("WEBP", "image/webp"),
    ".tif": ("TIFF", "image/tiff"),
    ".tiff": ("TIFF", "image/tiff"),
}

#: Pillow format name -> what people call that file type.
FORMAT_LABELS: Final = {
    "JPEG": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "HEIF": "HEIC",
    "AVIF": "AVIF",
    "TIFF": "TIFF",
    "BMP": "BMP",
    "GIF": "GIF",
}

#: Pillow format name -> the extension a stored file of that format gets.
FORMAT_EXTENSIONS: Final = {
    "JPEG": ".jpg",
    "PNG": ".png",
    "WEBP": ".webp",
    "HEIF": ".heic",
    "AVIF": ".avif",
    "TIFF": ".tif",
    "BMP": ".bmp",
    "GIF": ".gif",
}
