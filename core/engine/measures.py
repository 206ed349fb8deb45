"""No-reference measurements of a single product photo.

Scale matters: sharpness and noise change with image size (a Laplacian at 12 MP measures
noise, not focus), so they are measured at one analysis scale, the long side reduced to
:data:`ANALYSIS_LONG_SIDE` px with area averaging, which is also roughly how shoppers see the
photo. Resolution uses the true size; blockiness uses the original 8x8 JPEG grid.
"""

from __future__ import annotations

import math
from typing import Final

import cv2
import numpy as np

from core.engine.foreground import Foreground, find_foreground
from core.engine.loading import LoadedImage
from core.vocabulary import ANALYSIS_LONG_SIDE

__all__ = [
    "METRIC_INFO",
    "blockiness",
    "color_cast",
    "colorfulness",
    "entropy",
    "luma",
    "measure",
    "noise_sigma",
    "sharpness",
    "to_analysis_scale",
]


#: Every metric :func:`measure` returns: (unit or range, one-line meaning). The UI and the CSV
#: export take their column order and help text from here.
METRIC_INFO: Final[dict[str, tuple[str, str]]] = {
    "sharpness": ("0-100", "Edge crispness on the product (higher is sharper)"),
    "laplacian_var": ("grey levels^2", "Variance of the Laplacian inside the product box, at 1024 px"),
    "noise_sigma": ("grey levels", "Estimated noise standard deviation at 1024 px"),
    "brightness": ("0-255", "Mean luminance of the whole image"),
    "subject_brightness": ("0-255", "Mean luminance of the product (whole image if no backdrop)"),
    "shadow_clip": ("0-1", "Share of pixels crushed to black (luma <= 8)"),
    "highlight_clip": ("0-1", "Share of product pixels blown to white (luma >= 250)"),
    "highlight_level": ("0-255", "Brightest tones (99th percentile luma); low means nothing in the photo is bright"),
    "contrast": ("0-1", "Luminance spread of the product between its 2nd and 98th percentiles"),
    "black_level": ("0-255", "Darkest tones of the product (2nd percentile luma); high means washed out"),
    "color_cast": ("Delta E", "Tint of the image's whites and greys (a*b* distance from neutral)"),
    "colorfulness": ("0-150", "Hasler-Suesstrunk colourfulness"),
    "gray_chroma": ("0-255", "99th percentile of per-pixel channel spread (near 0 means greyscale)"),
    "blockiness": ("ratio", "Step across 8x8 JPEG block edges vs inside blocks (1 = none)"),
    "jpeg_quality": ("1-100", "Encoder quality read from the JPEG quantization tables"),
    "entropy": ("bits, 0-8", "Information in the product's luminance histogram (0 if blank)"),
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
    "exact_duplicate": ("0 or 1", "1 if the same bytes were seen earlier in the set"),
    "hash_distance": ("bits, 0-64", "Perceptual-hash distance to the most similar earlier image"),
}


#: Short words for a metric inside a merchant-facing sentence.
METRIC_LABELS: Final[dict[str, str]] = {
    "highlight_level": "brightest tones", "subject_brightness": "product brightness", "black_level": "darkest tones",
    "highlight_clip": "share of blown-out product pixels", "jpeg_quality": "JPEG quality", "file_mb": "file size (MB)",
    "long_side": "long side (px)", "megapixels": "megapixels", "noise_sigma": "noise", "aspect_ratio": "aspect ratio",
}


def to_analysis_scale(rgb: np.ndarray, *, long_side: int = ANALYSIS_LONG_SIDE) -> np.ndarray:
    """Area-average ``rgb`` down so its long side is at most ``long_side`` px (never upscales)."""
    h, w = rgb.shape[:2]
    if max(h, w) <= long_side:
        return rgb
    f = long_side / max(h, w)
    return cv2.resize(rgb, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)


def luma(rgb: np.ndarray) -> np.ndarray:
    """Rec. 601 luminance as uint8 (H, W)."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def sharpness(y: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Edge crispness on a 0-100 scale, independent of how much of the frame is backdrop.

    At each strong edge the steepest gradient is compared with the local contrast across the
    edge (13x13 window). A crisp step scores about 100; a step blurred by a Gaussian of sigma s
    px scores about 80/s. Only pixels inside ``mask`` (the product) count, so an empty white
    backdrop does not dilute the score. The 95th percentile is used so that a photo with the
    product in focus and a soft background still reads sharp.

    Parameters
    ----------
    y : ndarray
        uint8 luminance at analysis scale.
    mask : ndarray of bool, optional
        Where to measure; default everywhere.
    """
    y = cv2.medianBlur(y, 3)  # keeps edges, removes salt-and-pepper and single-pixel noise
    yf = y.astype(np.float32)
    gx = cv2.Sobel(yf, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(yf, cv2.CV_32F, 0, 1, ksize=3)
    grad = cv2.magnitude(gx, gy) / np.float32(8.0)  # per-pixel step in grey levels
    kernel = np.ones((13, 13), np.uint8)
    local_range = (cv2.dilate(y, kernel).astype(np.float32) - cv2.erode(y, kernel).astype(np.float32))
    # "Strong" is relative to the image's own tonal range, so lowering contrast alone does not
    # change which edges are measured (the ratio itself is contrast-invariant).
    lo, hi = np.percentile(y, [1, 99])
    strong = local_range >= max(8.0, 0.12 * float(hi - lo))
    if mask is not None:
        strong &= mask
    if np.count_nonzero(strong) < 50:
        return 0.0
    ratio = grad[strong] / local_range[strong]
    return float(np.clip(200.0 * np.percentile(ratio, 95), 0.0, 100.0))


def laplacian_variance(y: np.ndarray, bbox: tuple[int, int, int, int] | None = None) -> float:
    """Variance of the 3x3 Laplacian (grey levels^2) inside ``bbox``. Scale-dependent."""
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        if x1 - x0 >= 3 and y1 - y0 >= 3:
            y = y[y0:y1, x0:x1]
    lap = cv2.Laplacian(y.astype(np.float32), cv2.CV_32F, ksize=1)
    return float(lap.var(dtype=np.float64))


_IMMERKAER = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def noise_sigma(y: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Noise standard deviation in grey levels (Immerkaer 1996, edges excluded).

    The Laplacian-difference kernel cancels smooth image structure; the 20% of pixels with the
    strongest gradients are excluded so edges are not read as noise (Tai and Yang 2008).
    Clipped pixels (<= 2 or >= 253) carry no noise and are skipped too.
    """
    yf = y.astype(np.float32)
    resp = np.abs(cv2.filter2D(yf, cv2.CV_32F, _IMMERKAER, borderType=cv2.BORDER_REFLECT))
    gx = cv2.Sobel(yf, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(yf, cv2.CV_32F, 0, 1, ksize=3)
    grad = np.abs(gx) + np.abs(gy)
    valid = (y > 2) & (y < 253)
    if mask is not None and np.count_nonzero(mask & valid) >= 1000:
        valid &= mask
    inner = np.zeros_like(valid)
    inner[1:-1, 1:-1] = True
    valid &= inner
    if np.count_nonzero(valid) < 100:
        return 0.0
    g = grad[valid]
    flat = g <= np.percentile(g, 80)
    r = resp[valid][flat]
    if r.size == 0:
        return 0.0
    return float(math.sqrt(math.pi / 2.0) * r.mean(dtype=np.float64) / 6.0)


def color_cast(rgb: np.ndarray) -> float:
    """Tint of what should be white, as the a*b* distance from neutral (CIELAB Delta E units).

    White-patch assumption: the brightest 5% of pixels that are not clipped on every channel
    should be neutral (on a product shot, the backdrop; in a scene, highlights). About 0-8 is
    neutral, 12+ a visible cast. A tinted white backdrop is exactly what this catches; a scene
    whose brightest parts are genuinely coloured (a blue sky) can read as a cast.
    """
    rgb = to_analysis_scale(rgb, long_side=512)  # a property of regions: half size is plenty
    lab = cv2.cvtColor(rgb.astype(np.float32) / np.float32(255.0), cv2.COLOR_RGB2LAB).reshape(-1, 3)
    pool = lab[_channel_min(rgb).ravel() < 250]
    if pool.shape[0] < 100:
        return 0.0  # (almost) everything clipped white: nothing tinted is left to see
    bright = pool[pool[:, 0] >= np.percentile(pool[:, 0], 95)]
    return math.hypot(float(bright[:, 1].mean()), float(bright[:, 2].mean()))


def colorfulness(rgb: np.ndarray) -> float:
    """Hasler and Suesstrunk (2003) colourfulness: 0 for grey, ~100+ for vivid images."""
    f = rgb.astype(np.float32)
    rg = f[..., 0] - f[..., 1]
    yb = 0.5 * (f[..., 0] + f[..., 1]) - f[..., 2]
    return float(math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean()))


def gray_chroma(rgb: np.ndarray) -> float:
    """99th percentile of max-minus-min channel value per pixel (0 for a true greyscale photo)."""
    spread = cv2.subtract(_channel_max(rgb), _channel_min(rgb))
    return float(percentile_u8(spread, 99))


def percentile_u8(values: np.ndarray, q: float) -> int:
    """The q-th percentile (lower value) of uint8 data, from a histogram: O(n), no sort."""
    cdf = np.cumsum(np.bincount(values.ravel(), minlength=256))
    return int(np.searchsorted(cdf, q / 100.0 * cdf[-1]))


def _channel_max(rgb: np.ndarray) -> np.ndarray:
    r, g, b = cv2.split(rgb)
    return cv2.max(cv2.max(r, g), b)


def _channel_min(rgb: np.ndarray) -> np.ndarray:
    r, g, b = cv2.split(rgb)
    return cv2.min(cv2.min(r, g), b)


def entropy(y: np.ndarray) -> float:
    """Shannon entropy of the 256-bin luminance histogram, in bits (0-8)."""
    hist = np.bincount(y.ravel(), minlength=256).astype(np.float64)
    p = hist[hist > 0] / hist.sum()
    return float(-(p * np.log2(p)).sum())


def blockiness(y: np.ndarray, *, grid: int = 8) -> float:
    """JPEG blocking: the step across block boundaries relative to the steps beside them.

    For every boundary column (and row) of the ``grid``, the mean absolute step across it is
    divided by the mean of the steps one pixel either side; the median over all boundaries is
    taken, so a few real edges that happen to sit on the grid do not count. Steps are clipped
    at 20 grey levels for the same reason. 1.0 means no blocking; heavy compression gives 1.5+.
    Only meaningful on the grid the encoder used (original pixels, or ``grid=4`` on a 1/2 draft).
    """
    yf = y.astype(np.float32)
    ratios = []
    for axis in (1, 0):
        d = np.minimum(np.abs(np.diff(yf, axis=axis)), 20.0)
        prof = d.mean(axis=1 - axis)  # mean step at each column (axis=1) or row (axis=0)
        b = np.arange(grid - 1, prof.size - 1, grid)
        if b.size < 2:
            continue
        ratios.append(np.median((prof[b] + 0.5) / (0.5 * (prof[b - 1] + prof[b + 1]) + 0.5)))
    return float(np.mean(ratios)) if ratios else 1.0


def measure(image: LoadedImage) -> tuple[dict[str, float], Foreground, np.ndarray]:
    """Every no-reference metric of one decoded image.

    Returns
    -------
    metrics : dict
        Name -> value, keys as in :data:`METRIC_INFO` (``jpeg_quality`` is NaN for non-JPEGs).
    foreground : Foreground
        Product mask and box at analysis scale.
    analysis : ndarray
        The RGB uint8 image at analysis scale that the metrics were computed on.
    """
    info = image.info
    pixels = image.pixels
    grid = round(8 * image.scale)
    y_full = luma(pixels)
    block = blockiness(y_full, grid=grid) if grid >= 4 and abs(8 * image.scale - grid) < 1e-6 else math.nan
    analysis = to_analysis_scale(pixels)
    y = luma(analysis) if analysis is not pixels else y_full
    fg = find_foreground(analysis)
    mask = fg.mask if fg.has_backdrop else None
    if fg.has_backdrop:
        # A backdrop with (almost) nothing on it is a blank image: no subject at all.
        subject = y[fg.mask] if np.count_nonzero(fg.mask) >= 100 else np.zeros(0, np.uint8)
    else:
        subject = y.ravel()
    tone = subject if subject.size >= 100 else y.ravel()
    p2, p98 = np.percentile(tone, [2, 98])
    bg = fg.backdrop_rgb
    metrics: dict[str, float] = {
        "sharpness": sharpness(y, mask),
        "laplacian_var": laplacian_variance(y, fg.bbox if fg.has_backdrop else None),
        "noise_sigma": noise_sigma(y, mask),
        "brightness": float(y.mean()),
        "shadow_clip": float(np.mean(y <= 8)),
        "subject_brightness": float(subject.mean()) if subject.size else float(y.mean()),
        "highlight_clip": float(np.mean(subject >= 250)) if subject.size else 0.0,
        "highlight_level": float(np.percentile(y, 99)),
        "contrast": float((p98 - p2) / 255.0),
        "black_level": float(p2),
        "color_cast": color_cast(analysis),
        "colorfulness": colorfulness(analysis),
        "gray_chroma": gray_chroma(analysis),
        "blockiness": block,
        "jpeg_quality": float(info.jpeg_quality) if info.jpeg_quality is not None else math.nan,
        "entropy": entropy(subject) if subject.size else 0.0,
        "width": float(info.width),
        "height": float(info.height),
        "long_side": float(max(info.width, info.height)),
        "megapixels": info.width * info.height / 1e6,
        "aspect_ratio": max(info.width, info.height) / max(1, min(info.width, info.height)),
        "file_mb": info.file_size / 1e6,
        "background_white": fg.border_white_ratio,
        "background_luma": 0.299 * bg[0] + 0.587 * bg[1] + 0.114 * bg[2],
        "product_fill": fg.fill,
        "product_extent": fg.extent,
    }
    return metrics, fg, analysis
