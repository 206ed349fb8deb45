"""Image optimizations: pure functions ``uint8 RGB -> uint8 RGB`` with declared parameters.

Every operation has a frozen parameter dataclass whose fields carry their range, step, default
and label in ``metadata`` (see :func:`param_specs`), so a UI builds its controls from data.
OpenCV does the pixel work: at 1024 px it is 10-300x faster than scikit-image for the same
filters (see ``bench/``), which keeps a slider preview live.

Spatial parameters (blur sigma, kernel sizes) are given in pixels of a 1024-px preview and
scaled with the image, so a recipe tuned on the preview looks the same at full resolution.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

import cv2
import numpy as np

from core.engine.foreground import channel_max, find_foreground
from core.engine.measures import photo_region, to_analysis_scale
from core.vocabulary import ANALYSIS_LONG_SIDE

__all__ = [
    "MAX_NOISE_SCALE",
    "OPERATIONS",
    "PREVIEW_SIDE",
    "AutocropParams",
    "BilateralParams",
    "BrightnessContrastParams",
    "ClaheParams",
    "ContrastStretchParams",
    "CropParams",
    "EqualizeParams",
    "GammaParams",
    "GaussianParams",
    "MedianParams",
    "NlMeansParams",
    "Operation",
    "PadSquareParams",
    "ParamSpec",
    "ResizeParams",
    "SaturationParams",
    "UnsharpParams",
    "WhiteBalanceParams",
    "WhitenParams",
    "apply_operation",
    "autocrop",
    "brightness_contrast",
    "clahe",
    "contrast_stretch",
    "crop",
    "denoise_bilateral",
    "denoise_gaussian",
    "denoise_median",
    "denoise_nlmeans",
    "equalize",
    "gamma",
    "noise_scale",
    "pad_square",
    "param_specs",
    "resize",
    "saturation",
    "unsharp_mask",
    "white_balance",
    "whiten_background",
]

#: Long side (px) of the preview a recipe is tuned on (the analysis size; see core.vocabulary).
PREVIEW_SIDE: Final = ANALYSIS_LONG_SIDE
#: A denoising strength set on the preview grows with the image at most this much.
MAX_NOISE_SCALE: Final = 3.0


def noise_scale(long_side: float) -> float:
    """How much stronger pixel noise is on an image of ``long_side`` px than on its preview
    (1 to :data:`MAX_NOISE_SCALE`): downscaling to the preview averages grain away, about in
    proportion to the scale. Denoising strengths are given as seen on the preview and scaled by this."""
    return min(MAX_NOISE_SCALE, max(1.0, long_side / PREVIEW_SIDE))


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """How a UI should present one parameter."""

    name: str
    label: str
    kind: str  # "float", "int", "bool" or "choice"
    default: Any
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""
    #: printf-style format of the value shown (e.g. "%.0f" for grey levels kept as floats for
    #: recipe compatibility); None: the UI's default for the kind.
    format: str | None = None
    #: ``(other parameter, value)``: this one has no effect while the other has that value (a UI
    #: disables its control and says why).
    unused_when: tuple[str, Any] | None = None


def _num(
    *,
    default: float,
    min: float,
    max: float,
    step: float,
    label: str,
    help: str = "",
    format: str | None = None,
    unused_when: tuple[str, Any] | None = None,
) -> Any:
    """A numeric parameter field: an ``int`` parameter when all four numbers are ints, else ``float``.
    ``format`` says how the value is shown (the default: as many decimals as ``step`` has)."""
    kind = "int" if all(isinstance(v, int) for v in (default, min, max, step)) else "float"
    if format is None and kind == "float":
        format = _decimals_of(step)
    meta = {"label": label, "kind": kind, "min": min, "max": max, "step": step, "help": help, "format": format}
    return field(default=default, metadata={**meta, "unused_when": unused_when})


def _decimals_of(step: float) -> str:
    """A format with as many decimals as ``step`` needs: 1.0 -> "%.0f", 0.5 -> "%.1f", 0.05 -> "%.2f"."""
    for places in range(4):
        if abs(step * 10**places - round(step * 10**places)) < 1e-9:
            return f"%.{places}f"
    return "%.4f"


def _choice(*, default: str, choices: tuple[str, ...], label: str, help: str = "") -> Any:
    """A parameter that takes one of ``choices``."""
    return field(default=default, metadata={"label": label, "kind": "choice", "choices": choices, "help": help})


def param_specs(params_cls: type) -> tuple[ParamSpec, ...]:
    """The :class:`ParamSpec` of each field of an operation's parameter dataclass."""
    out = []
    for f in dataclasses.fields(params_cls):
        m = f.metadata
        out.append(
            ParamSpec(
                name=f.name,
                label=m["label"],
                kind=m["kind"],
                default=f.default,
                min=m.get("min"),
                max=m.get("max"),
                step=m.get("step"),
                choices=tuple(m.get("choices", ())),
                help=m.get("help", ""),
                format=m.get("format"),
                unused_when=m.get("unused_when"),
            )
        )
    return tuple(out)


def _px(value: float, rgb: np.ndarray) -> float:
    """A length given at preview scale, converted to this image's pixels."""
    return value * max(1.0, max(rgb.shape[:2]) / PREVIEW_SIDE)


def _odd(value: float) -> int:
    k = max(1, int(round(value)))
    return k if k % 2 else k + 1


def _lut(rgb: np.ndarray, table: np.ndarray) -> np.ndarray:
    return cv2.LUT(rgb, np.clip(np.rint(table), 0, 255).astype(np.uint8))


_LEVELS = np.arange(256, dtype=np.float32)


# --- tone ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BrightnessContrastParams:
    alpha: float = _num(
        default=1.0, min=0.2, max=3.0, step=0.05, label="Contrast (gain a)", help="Output = a * input + b"
    )
    beta: float = _num(
        default=0.0, min=-128.0, max=128.0, step=1.0, label="Brightness (offset b)", help="Grey levels added"
    )


def brightness_contrast(rgb: np.ndarray, p: BrightnessContrastParams) -> np.ndarray:
    """Linear point transform ``out = a * in + b``, clipped to 0-255."""
    return _lut(rgb, p.alpha * _LEVELS + p.beta)


@dataclass(frozen=True)
class GammaParams:
    gamma: float = _num(
        default=1.0,
        min=0.2,
        max=4.0,
        step=0.05,
        label="Gamma",
        help="Power law out = 255 (in/255)^gamma: below 1 brightens",
    )


def gamma(rgb: np.ndarray, p: GammaParams) -> np.ndarray:
    """Power-law transform ``out = 255 * (in / 255) ** gamma``; gamma < 1 brightens shadows."""
    return _lut(rgb, 255.0 * (_LEVELS / 255.0) ** np.float32(p.gamma))


@dataclass(frozen=True)
class ContrastStretchParams:
    low: float = _num(
        default=2.0, min=0.0, max=20.0, step=0.5, label="Low percentile", help="Luminance mapped to black"
    )
    high: float = _num(
        default=98.0,
        min=80.0,
        max=100.0,
        step=0.5,
        label="High percentile",
        help="Brightest channel mapped to white (so no colour is clipped below this percentile)",
    )
    shadow: float = _num(
        default=0.0,
        min=0.0,
        max=64.0,
        step=1.0,
        label="Shadow level",
        help="Grey level (0-255) the low percentile is mapped to: a little above black keeps shadow detail. "
        "Not used with Low percentile 0 (black stays black), nor where the darkest tones cover 2% of the "
        "frame or more (an area that dark was black)",
        unused_when=("low", 0.0),
    )


def contrast_stretch(rgb: np.ndarray, p: ContrastStretchParams) -> np.ndarray:
    """Stretch levels so the ``low`` percentile of luminance becomes ``shadow`` and the ``high``
    percentile of each pixel's brightest channel becomes 255.

    The same linear map is applied to all three channels, so hues do not shift. The white point
    is read on the brightest channel, not on luminance, so a saturated colour is not pushed past
    255 in its own channel (a deep red whose luminance is 100 would otherwise be clipped red by a
    gain of 2.5). ``low`` = 0 keeps black where it is (a pure gain, which is how under-exposure
    scales every level down).
    Percentiles are read inside any padding (see :func:`core.engine.measures.photo_box`): white
    bars would otherwise hold the high percentile at 255 and black ones the low at 0.
    """
    photo = photo_region(rgb)
    y = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    cdf = np.cumsum(np.bincount(y.ravel(), minlength=256)) / y.size
    lo = float(np.searchsorted(cdf, p.low / 100.0)) if p.low > 0 else 0.0
    top = channel_max(photo)
    top_cdf = np.cumsum(np.bincount(top.ravel(), minlength=256)) / top.size
    hi = float(np.searchsorted(top_cdf, min(p.high / 100.0, 1.0 - 1e-9)))
    if hi - lo < 1.0:
        return rgb.copy()
    shadow = min(float(p.shadow), lo)  # never lift the darkest tones above where they are
    darkest = int(np.searchsorted(cdf, 0.001))  # the darkest 0.1%, whatever the chosen percentile
    # 3 grey levels of the result: a stretch by 3 (a photo washed out by 3) puts a dark garment's
    # shades 19-40 within 8 input levels, and 3 of those held enough of it to pass for black.
    band = max(1, round(3.0 * (hi - lo) / (255.0 - shadow)))
    if cdf[min(255, darkest + band)] >= _BLACK_AREA:
        shadow = 0.0  # the darkest tones are an area (a black product or backdrop): it was black
    return _lut(rgb, shadow + (_LEVELS - lo) * ((255.0 - shadow) / (hi - lo)))


#: Share of the frame within 3 grey levels (of the stretched result) of its darkest 0.1% that makes
#: those tones an area, not a few deep shadows (see :func:`contrast_stretch`).
_BLACK_AREA = 0.02


@dataclass(frozen=True)
class EqualizeParams:
    amount: float = _num(
        default=1.0,
        min=0.0,
        max=1.0,
        step=0.05,
        label="Amount",
        help="Blend between original (0) and fully equalized (1)",
    )


def equalize(rgb: np.ndarray, p: EqualizeParams) -> np.ndarray:
    """Histogram equalization of luminance (Y of YCrCb), so colours do not shift.

    Maps each level through the normalised cumulative histogram (the CDF), spreading the
    levels evenly over 0-255. The histogram is the photo's, inside any padding.
    """
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    y = ycc[..., 0]
    photo = photo_region(rgb)
    if photo is rgb:
        eq = cv2.equalizeHist(y)
    else:
        counts = np.bincount(cv2.cvtColor(photo, cv2.COLOR_RGB2YCrCb)[..., 0].ravel(), minlength=256)
        cdf = np.cumsum(counts)
        first = int(cdf[np.flatnonzero(counts)[0]])
        if cdf[-1] == first:
            return rgb.copy()  # one level: nothing to spread
        # OpenCV's equalizeHist with the photo's histogram: its darkest level maps to 0.
        eq = cv2.LUT(y, np.clip(np.rint((cdf - first) * 255.0 / (cdf[-1] - first)), 0, 255).astype(np.uint8))
    if p.amount < 1.0:
        eq = cv2.addWeighted(eq, p.amount, y, 1.0 - p.amount, 0.0)
    ycc[..., 0] = eq
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)


@dataclass(frozen=True)
class ClaheParams:
    clip_limit: float = _num(
        default=2.0, min=0.5, max=8.0, step=0.1, label="Clip limit", help="Higher gives stronger local contrast"
    )
    tiles: int = _num(
        default=8, min=2, max=16, step=1, label="Tiles per side", help="Grid of regions equalized separately"
    )


def clahe(rgb: np.ndarray, p: ClaheParams) -> np.ndarray:
    """Contrast-limited adaptive histogram equalization on L of CIELAB."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    engine = cv2.createCLAHE(clipLimit=float(p.clip_limit), tileGridSize=(int(p.tiles), int(p.tiles)))
    lab[..., 0] = engine.apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


# --- colour ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhiteBalanceParams:
    method: str = _choice(
        default="white_patch",
        choices=("white_patch", "gray_world", "backdrop"),
        label="Method",
        help="white_patch: the brightest unclipped pixels become neutral; gray_world: the average "
        "does; backdrop: the plain backdrop does (white_patch if there is none)",
    )
    strength: float = _num(
        default=1.0, min=0.0, max=1.0, step=0.05, label="Strength", help="0 leaves the image as it is"
    )


def white_balance(rgb: np.ndarray, p: WhiteBalanceParams) -> np.ndarray:
    """Scale the channels so a neutral reference becomes grey.

    ``white_patch`` uses the brightest 5% of pixels not clipped on every channel;
    ``gray_world`` uses the mean of the image; ``backdrop`` the plain backdrop's colour (what the
    colour-cast check measures), falling back to ``white_patch`` when there is no backdrop.
    Gains are normalised to the largest channel's so whites stay white.
    """
    flat = rgb.reshape(-1, 3)
    # The reference is read inside any padding: white or black bars are neutral by construction.
    photo = photo_region(to_analysis_scale(rgb, long_side=512))
    small = photo.reshape(-1, 3).astype(np.float32)
    fg = find_foreground(photo) if p.method == "backdrop" else None
    if p.method == "gray_world":
        ref = small.mean(axis=0)
    elif fg is not None and fg.has_backdrop:
        # The backdrop is what should be neutral: its colour is exactly the cast to undo.
        ref = np.array(fg.backdrop_rgb, np.float32)
    else:
        pool = small[small.min(axis=1) < 250]
        if pool.shape[0] < 100:
            return rgb.copy()
        lum = pool @ np.array([0.299, 0.587, 0.114], np.float32)
        ref = pool[lum >= np.percentile(lum, 95)].mean(axis=0)
    if np.any(ref < 1.0):
        return rgb.copy()
    gains = ref.max() / ref
    gains = 1.0 + p.strength * (gains - 1.0)
    tables = [np.clip(np.rint(_LEVELS * g), 0, 255).astype(np.uint8) for g in gains]
    out = np.empty_like(flat)
    for c in range(3):
        out[:, c] = tables[c][flat[:, c]]
    return out.reshape(rgb.shape)


@dataclass(frozen=True)
class SaturationParams:
    factor: float = _num(
        default=1.0, min=0.0, max=3.0, step=0.05, label="Saturation", help="0 is greyscale, 1 unchanged"
    )


def saturation(rgb: np.ndarray, p: SaturationParams) -> np.ndarray:
    """Scale colour saturation (the S of HSV) by ``factor``."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hsv[..., 1] = _lut(hsv[..., 1], _LEVELS * p.factor)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


# --- noise and detail --------------------------------------------------------------------------


@dataclass(frozen=True)
class MedianParams:
    ksize: int = _num(
        default=3,
        min=3,
        max=7,
        step=2,
        label="Filter size",
        help="Width in pixels of the patch each pixel takes the median of, on the 1024-px preview (scaled "
        "with the image when saving). Odd; 7 is much slower than 5",
    )


def denoise_median(rgb: np.ndarray, p: MedianParams) -> np.ndarray:
    """Median filter: removes salt-and-pepper noise, keeps edges."""
    k = _odd(_px(p.ksize, rgb))
    if k > 5:
        # OpenCV switches uint8 medians above 5 to a slow path; a 3-pass cascade is much faster
        # and close to the true median for noise removal.
        return cv2.medianBlur(cv2.medianBlur(rgb, 5), 5) if k <= 9 else cv2.medianBlur(rgb, k)
    return cv2.medianBlur(rgb, k)


@dataclass(frozen=True)
class GaussianParams:
    sigma: float = _num(
        default=1.0,
        min=0.3,
        max=5.0,
        step=0.1,
        label="Blur amount",
        help="Blur radius (sigma) in pixels of the 1024-px preview, scaled with the image when saving",
    )


def denoise_gaussian(rgb: np.ndarray, p: GaussianParams) -> np.ndarray:
    """Gaussian blur of standard deviation ``sigma``."""
    return cv2.GaussianBlur(rgb, (0, 0), _px(p.sigma, rgb))


@dataclass(frozen=True)
class BilateralParams:
    diameter: int = _num(
        default=7,
        min=3,
        max=15,
        step=2,
        label="Area smoothed",
        help="Width in pixels of the area smoothed together, on the 1024-px preview (scaled with the image "
        "when saving)",
    )
    sigma_color: float = _num(
        default=30.0,
        min=5.0,
        max=150.0,
        step=1.0,
        label="Colour tolerance",
        help="Grey levels: larger smooths across edges",
    )
    sigma_space: float = _num(
        default=5.0,
        min=1.0,
        max=30.0,
        step=0.5,
        label="Reach",
        help="How far neighbours count (sigma), in pixels of the 1024-px preview, scaled with the image when saving",
    )


def denoise_bilateral(rgb: np.ndarray, p: BilateralParams) -> np.ndarray:
    """Edge-preserving bilateral filter."""
    return cv2.bilateralFilter(rgb, _odd(_px(p.diameter, rgb)), float(p.sigma_color), _px(p.sigma_space, rgb))


@dataclass(frozen=True)
class NlMeansParams:
    h: float = _num(
        default=7.0,
        min=1.0,
        max=30.0,
        step=0.5,
        label="Strength (luminance)",
        help="About the noise sigma in grey levels at preview size",
    )
    h_color: float = _num(default=7.0, min=1.0, max=30.0, step=0.5, label="Strength (colour)")


def denoise_nlmeans(rgb: np.ndarray, p: NlMeansParams) -> np.ndarray:
    """Non-local means (Buades et al.), OpenCV's coloured variant, 5x5 patches, 13x13 search.

    Strengths are given as seen on a 1024-px preview; a larger image carries proportionally
    stronger pixel noise (downscaling averages it away), so they scale with the image (at most 3x).
    """
    f = noise_scale(max(rgb.shape[:2]))
    return cv2.fastNlMeansDenoisingColored(rgb, None, float(p.h) * f, float(p.h_color) * f, 5, 13)


@dataclass(frozen=True)
class UnsharpParams:
    radius: float = _num(
        default=1.5,
        min=0.3,
        max=5.0,
        step=0.1,
        label="Edge width",
        help="Width of the edges sharpened (a blur sigma in pixels of the 1024-px preview, scaled with the "
        "image when saving): small for fine detail, larger for broad contours",
    )
    amount: float = _num(default=0.8, min=0.0, max=3.0, step=0.05, label="Amount")
    threshold: float = _num(
        default=2.0,
        min=0.0,
        max=30.0,
        step=1.0,
        label="Threshold",
        help="Grey levels; smaller differences are left alone",
    )


def unsharp_mask(rgb: np.ndarray, p: UnsharpParams) -> np.ndarray:
    """Unsharp mask: ``out = in + amount * (in - blur(in))`` where the detail exceeds ``threshold``."""
    f = rgb.astype(np.float32)
    detail = f - cv2.GaussianBlur(f, (0, 0), _px(p.radius, rgb))
    if p.threshold > 0:
        detail[np.abs(detail) < p.threshold] = 0.0
    return np.clip(np.rint(f + np.float32(p.amount) * detail), 0, 255).astype(np.uint8)


# --- background and geometry ---------------------------------------------------------------


@dataclass(frozen=True)
class WhitenParams:
    tolerance: int = _num(
        default=30,
        min=5,
        max=80,
        step=1,
        label="Tolerance",
        help="How far (grey levels) from the backdrop colour still counts as backdrop",
    )
    feather: float = _num(
        default=1.5,
        min=0.0,
        max=6.0,
        step=0.5,
        label="Edge softness",
        help="Width of the soft edge in pixels of the 1024-px preview, scaled with the image when saving",
    )


def whiten_background(rgb: np.ndarray, p: WhitenParams) -> np.ndarray:
    """Push a near-uniform, light backdrop to pure white (255, 255, 255).

    Only backdrop-coloured pixels connected to the image border change, so a white label or
    highlight inside the product stays as it was. A soft edge avoids a cut-out look. Images
    without a plain, light border are returned unchanged.
    """
    small = to_analysis_scale(rgb)
    fg = find_foreground(small, tolerance=int(p.tolerance))
    if not fg.has_backdrop or np.mean(fg.backdrop_rgb) < 150:
        return rgb.copy()
    backdrop = (~fg.mask).astype(np.uint8)
    n, labels = cv2.connectedComponents(backdrop, connectivity=4)
    edge_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    edge_labels = edge_labels[edge_labels > 0]
    region: np.ndarray = np.isin(labels, edge_labels).astype(np.float32)
    if region.shape != rgb.shape[:2]:
        region = cv2.resize(region, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
    if p.feather > 0:
        region = cv2.GaussianBlur(region, (0, 0), _px(p.feather, rgb))
    alpha = region[..., None]
    out = rgb.astype(np.float32) * (1.0 - alpha) + 255.0 * alpha
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class AutocropParams:
    margin: float = _num(
        default=0.05,
        min=0.0,
        max=0.3,
        step=0.01,
        label="Margin",
        help="Space around the product, as a share of its size",
    )


def autocrop(rgb: np.ndarray, p: AutocropParams) -> np.ndarray:
    """Crop to the product's bounding box plus a margin (unchanged if there is no backdrop)."""
    small = to_analysis_scale(rgb)
    fg = find_foreground(small)
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = fg.bbox
    if not fg.has_backdrop or x1 <= x0 or y1 <= y0:
        return rgb.copy()
    sx, sy = w / small.shape[1], h / small.shape[0]
    mx, my = p.margin * (x1 - x0) * sx, p.margin * (y1 - y0) * sy
    left, top = max(0, int(x0 * sx - mx)), max(0, int(y0 * sy - my))
    right, bottom = min(w, int(np.ceil(x1 * sx + mx))), min(h, int(np.ceil(y1 * sy + my)))
    return np.ascontiguousarray(rgb[top:bottom, left:right])


@dataclass(frozen=True)
class CropParams:
    left: float = _num(default=0.0, min=0.0, max=0.45, step=0.01, label="Left", help="Share of the width removed")
    top: float = _num(default=0.0, min=0.0, max=0.45, step=0.01, label="Top", help="Share of the height removed")
    right: float = _num(default=0.0, min=0.0, max=0.45, step=0.01, label="Right")
    bottom: float = _num(default=0.0, min=0.0, max=0.45, step=0.01, label="Bottom")


def crop(rgb: np.ndarray, p: CropParams) -> np.ndarray:
    """Remove the given shares of the width/height from each side."""
    h, w = rgb.shape[:2]
    x0, x1 = int(round(p.left * w)), w - int(round(p.right * w))
    y0, y1 = int(round(p.top * h)), h - int(round(p.bottom * h))
    return np.ascontiguousarray(rgb[y0 : max(y0 + 1, y1), x0 : max(x0 + 1, x1)])


@dataclass(frozen=True)
class PadSquareParams:
    margin: float = _num(
        default=0.0,
        min=0.0,
        max=0.3,
        step=0.01,
        label="Extra margin",
        help="White border added around, as a share of the long side",
    )


def pad_square(rgb: np.ndarray, p: PadSquareParams) -> np.ndarray:
    """Pad with white to a square canvas, the image centred."""
    h, w = rgb.shape[:2]
    side = int(round(max(h, w) * (1.0 + 2.0 * p.margin)))
    top, left = (side - h) // 2, (side - w) // 2
    return cv2.copyMakeBorder(
        rgb, top, side - h - top, left, side - w - left, cv2.BORDER_CONSTANT, value=(255, 255, 255)
    )


@dataclass(frozen=True)
class ResizeParams:
    long_side: int = _num(default=2000, min=64, max=10000, step=1, label="Long side (px)")


def resize(rgb: np.ndarray, p: ResizeParams) -> np.ndarray:
    """Scale so the long side is ``long_side`` px: area averaging down, Lanczos up."""
    h, w = rgb.shape[:2]
    f = p.long_side / max(h, w)
    if abs(f - 1.0) < 1e-9:
        return rgb.copy()
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LANCZOS4)


# --- registry --------------------------------------------------------------------------------

P = TypeVar("P")


@dataclass(frozen=True, kw_only=True)
class Operation(Generic[P]):
    """An optimization: its name, label, parameter class and function."""

    name: str
    label: str
    #: One plain sentence for the people choosing steps (the docstring is for developers).
    summary: str
    group: str
    params: type[P]
    func: Callable[[np.ndarray, P], np.ndarray]
    geometry: bool = False  # changes the image size (full-reference metrics need care)

    @functools.cached_property
    def specs(self) -> tuple[ParamSpec, ...]:
        """The parameters' UI specs (read from the dataclass once per operation)."""
        return param_specs(self.params)

    @property
    def description(self) -> str:
        """The first line of the function's docstring (developer wording; users see :attr:`summary`)."""
        return (self.func.__doc__ or "").strip().split("\n")[0]

    def make_params(self, values: dict[str, Any] | None = None) -> P:
        """Validated parameters; raises ``ValueError`` naming the bad parameter."""
        values = dict(values or {})
        known = {s.name: s for s in self.specs}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"{self.name}: unknown parameter(s) {', '.join(sorted(unknown))}")
        clean: dict[str, Any] = {}
        for name, value in values.items():
            s = known[name]
            if s.kind == "choice":
                if value not in s.choices:
                    raise ValueError(f"{self.name}.{name} must be one of {', '.join(s.choices)}")
                clean[name] = value
                continue
            try:
                num = float(value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{self.name}.{name} must be a number, got {value!r}") from exc
            if s.min is not None and s.max is not None and not (s.min <= num <= s.max):
                raise ValueError(f"{self.name}.{name} = {num:g} is outside {s.min:g}..{s.max:g}")
            clean[name] = int(round(num)) if s.kind == "int" else num
        return self.params(**clean)

    def __call__(self, rgb: np.ndarray, values: dict[str, Any] | None = None) -> np.ndarray:
        return self.func(rgb, self.make_params(values))

    def run(self, rgb: np.ndarray, params: P) -> np.ndarray:
        """Apply already validated parameters (from :meth:`make_params`): no second validation."""
        _check_rgb(rgb)
        return self.func(rgb, params)


OPERATIONS: Final[dict[str, Operation[Any]]] = {
    op.name: op
    for op in (
        Operation(
            name="brightness_contrast",
            label="Brightness / contrast (linear)",
            group="Tone",
            summary="Makes the whole photo brighter or darker and gives it more or less contrast, evenly across all tones.",
            params=BrightnessContrastParams,
            func=brightness_contrast,
        ),
        Operation(
            name="gamma",
            label="Gamma (power law)",
            group="Tone",
            summary="Brightens the midtones with a gamma below 1 or darkens them above 1, leaving pure black and pure white as they are.",
            params=GammaParams,
            func=gamma,
        ),
        Operation(
            name="contrast_stretch",
            label="Contrast stretch",
            group="Tone",
            summary="Spreads the photo's tones over the full range from near black to white, without shifting its colours.",
            params=ContrastStretchParams,
            func=contrast_stretch,
        ),
        Operation(
            name="equalize",
            label="Histogram equalization",
            group="Tone",
            summary="Evens out how much of the photo is dark, middle and light, which lifts contrast in flat photos without shifting colours.",
            params=EqualizeParams,
            func=equalize,
        ),
        Operation(
            name="clahe",
            label="CLAHE (local contrast)",
            group="Tone",
            summary="Raises contrast area by area, bringing out detail in flat or shadowed parts of the photo.",
            params=ClaheParams,
            func=clahe,
        ),
        Operation(
            name="white_balance",
            label="White balance",
            group="Colour",
            summary="Removes a colour tint so that whites and greys look neutral again.",
            params=WhiteBalanceParams,
            func=white_balance,
        ),
        Operation(
            name="saturation",
            label="Saturation",
            group="Colour",
            summary="Makes colours more vivid or more muted, down to black and white at 0.",
            params=SaturationParams,
            func=saturation,
        ),
        Operation(
            name="denoise_median",
            label="Denoise: median",
            group="Noise",
            summary="Removes scattered specks and dots while keeping edges crisp.",
            params=MedianParams,
            func=denoise_median,
        ),
        Operation(
            name="denoise_gaussian",
            label="Denoise: Gaussian",
            group="Noise",
            summary="Smooths out grain by softening the whole photo slightly, fine detail included.",
            params=GaussianParams,
            func=denoise_gaussian,
        ),
        Operation(
            name="denoise_bilateral",
            label="Denoise: bilateral",
            group="Noise",
            summary="Smooths grain and JPEG blocking in even areas while keeping edges sharp.",
            params=BilateralParams,
            func=denoise_bilateral,
        ),
        Operation(
            name="denoise_nlmeans",
            label="Denoise: non-local means",
            group="Noise",
            summary="Removes grain thoroughly while keeping texture and edges, but is the slowest noise filter.",
            params=NlMeansParams,
            func=denoise_nlmeans,
        ),
        Operation(
            name="unsharp_mask",
            label="Sharpen (unsharp mask)",
            group="Detail",
            summary="Sharpens edges and fine detail so a slightly soft photo looks crisper.",
            params=UnsharpParams,
            func=unsharp_mask,
        ),
        Operation(
            name="whiten_background",
            label="Whiten background",
            group="Background",
            summary="Turns a plain, light backdrop pure white and leaves the product as it is.",
            params=WhitenParams,
            func=whiten_background,
        ),
        Operation(
            name="autocrop",
            label="Crop to product",
            group="Geometry",
            summary="Crops close around the product, keeping the chosen margin on every side.",
            params=AutocropParams,
            func=autocrop,
            geometry=True,
        ),
        Operation(
            name="crop",
            label="Crop (manual)",
            group="Geometry",
            summary="Trims the chosen share of the photo from each side.",
            params=CropParams,
            func=crop,
            geometry=True,
        ),
        Operation(
            name="pad_square",
            label="Pad to square (white)",
            group="Geometry",
            summary="Adds white borders to make the photo square, with the product in the centre.",
            params=PadSquareParams,
            func=pad_square,
            geometry=True,
        ),
        Operation(
            name="resize",
            label="Resize",
            group="Geometry",
            summary="Scales the photo so that its longest side has the chosen number of pixels.",
            params=ResizeParams,
            func=resize,
            geometry=True,
        ),
    )
}


def apply_operation(rgb: np.ndarray, name: str, values: dict[str, Any] | None = None) -> np.ndarray:
    """Run the operation called ``name`` with parameter ``values`` (defaults for the rest)."""
    if name not in OPERATIONS:
        raise ValueError(f"unknown operation '{name}' (known: {', '.join(OPERATIONS)})")
    _check_rgb(rgb)
    return OPERATIONS[name](rgb, values)


def _check_rgb(rgb: np.ndarray) -> None:
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise TypeError("operations take RGB uint8 images of shape (H, W, 3)")
