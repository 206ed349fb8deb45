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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar

import cv2
import numpy as np

from core.engine.foreground import find_foreground
from core.engine.measures import to_analysis_scale
from core.vocabulary import ANALYSIS_LONG_SIDE

__all__ = ["OPERATIONS", "Operation", "ParamSpec", "apply_operation", "param_specs"]

PREVIEW_SIDE: Final = ANALYSIS_LONG_SIDE


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


def _num(default: float, lo: float, hi: float, step: float, label: str, help: str = "") -> Any:
    kind = "int" if all(isinstance(v, int) for v in (default, lo, hi, step)) else "float"
    return field(default=default, metadata={"label": label, "kind": kind, "min": lo, "max": hi, "step": step,
                                            "help": help})


def _choice(default: str, choices: tuple[str, ...], label: str, help: str = "") -> Any:
    return field(default=default, metadata={"label": label, "kind": "choice", "choices": choices, "help": help})


def param_specs(params_cls: type) -> tuple[ParamSpec, ...]:
    """The :class:`ParamSpec` of each field of an operation's parameter dataclass."""
    out = []
    for f in dataclasses.fields(params_cls):
        m = f.metadata
        out.append(ParamSpec(name=f.name, label=m["label"], kind=m["kind"], default=f.default, min=m.get("min"),
                             max=m.get("max"), step=m.get("step"), choices=tuple(m.get("choices", ())),
                             help=m.get("help", "")))
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
    alpha: float = _num(1.0, 0.2, 3.0, 0.05, "Contrast (gain a)", "Output = a * input + b")
    beta: float = _num(0.0, -128.0, 128.0, 1.0, "Brightness (offset b)", "Grey levels added")


def brightness_contrast(rgb: np.ndarray, p: BrightnessContrastParams) -> np.ndarray:
    """Linear point transform ``out = a * in + b``, clipped to 0-255."""
    return _lut(rgb, p.alpha * _LEVELS + p.beta)


@dataclass(frozen=True)
class GammaParams:
    gamma: float = _num(1.0, 0.2, 4.0, 0.05, "Gamma", "Power law out = 255 (in/255)^gamma: below 1 brightens")


def gamma(rgb: np.ndarray, p: GammaParams) -> np.ndarray:
    """Power-law transform ``out = 255 * (in / 255) ** gamma``; gamma < 1 brightens shadows."""
    return _lut(rgb, 255.0 * (_LEVELS / 255.0) ** np.float32(p.gamma))


@dataclass(frozen=True)
class ContrastStretchParams:
    low: float = _num(2.0, 0.0, 20.0, 0.5, "Low percentile", "Luminance mapped to black")
    high: float = _num(98.0, 80.0, 100.0, 0.5, "High percentile", "Luminance mapped to white")


def contrast_stretch(rgb: np.ndarray, p: ContrastStretchParams) -> np.ndarray:
    """Stretch luminance so the ``low``/``high`` percentiles become 0/255.

    The same linear map is applied to all three channels, so hues do not shift.
    """
    y = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    cdf = np.cumsum(np.bincount(y.ravel(), minlength=256)) / y.size
    lo = float(np.searchsorted(cdf, p.low / 100.0))
    hi = float(np.searchsorted(cdf, min(p.high / 100.0, 1.0 - 1e-9)))
    if hi - lo < 1.0:
        return rgb.copy()
    return _lut(rgb, (_LEVELS - lo) * (255.0 / (hi - lo)))


@dataclass(frozen=True)
class EqualizeParams:
    amount: float = _num(1.0, 0.0, 1.0, 0.05, "Amount", "Blend between original (0) and fully equalized (1)")


def equalize(rgb: np.ndarray, p: EqualizeParams) -> np.ndarray:
    """Histogram equalization of luminance (Y of YCrCb), so colours do not shift.

    Maps each level through the normalised cumulative histogram (the CDF), spreading the
    levels evenly over 0-255.
    """
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    y = ycc[..., 0]
    eq = cv2.equalizeHist(y)
    if p.amount < 1.0:
        eq = cv2.addWeighted(eq, p.amount, y, 1.0 - p.amount, 0.0)
    ycc[..., 0] = eq
    return cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB)


@dataclass(frozen=True)
class ClaheParams:
    clip_limit: float = _num(2.0, 0.5, 8.0, 0.1, "Clip limit", "Higher gives stronger local contrast")
    tiles: int = _num(8, 2, 16, 1, "Tiles per side", "Grid of regions equalized separately")


def clahe(rgb: np.ndarray, p: ClaheParams) -> np.ndarray:
    """Contrast-limited adaptive histogram equalization on L of CIELAB."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    engine = cv2.createCLAHE(clipLimit=float(p.clip_limit), tileGridSize=(int(p.tiles), int(p.tiles)))
    lab[..., 0] = engine.apply(lab[..., 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


# --- colour ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class WhiteBalanceParams:
    method: str = _choice("white_patch", ("white_patch", "gray_world"), "Method",
                          "white_patch: the brightest unclipped pixels become neutral; gray_world: the average does")
    strength: float = _num(1.0, 0.0, 1.0, 0.05, "Strength", "0 leaves the image as it is")


def white_balance(rgb: np.ndarray, p: WhiteBalanceParams) -> np.ndarray:
    """Scale the channels so a neutral reference becomes grey.

    ``white_patch`` uses the brightest 5% of pixels not clipped on every channel (the same
    reference the colour-cast measurement uses); ``gray_world`` uses the mean of the image.
    Gains are normalised to the largest channel's so whites stay white.
    """
    flat = rgb.reshape(-1, 3)
    small = to_analysis_scale(rgb, long_side=512).reshape(-1, 3).astype(np.float32)
    if p.method == "gray_world":
        ref = small.mean(axis=0)
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
    factor: float = _num(1.0, 0.0, 3.0, 0.05, "Saturation", "0 is greyscale, 1 unchanged")


def saturation(rgb: np.ndarray, p: SaturationParams) -> np.ndarray:
    """Scale colour saturation (the S of HSV) by ``factor``."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hsv[..., 1] = _lut(hsv[..., 1], _LEVELS * p.factor)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


# --- noise and detail --------------------------------------------------------------------------

@dataclass(frozen=True)
class MedianParams:
    ksize: int = _num(3, 3, 7, 2, "Kernel size (px at preview)", "Odd; 7 is much slower than 5")


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
    sigma: float = _num(1.0, 0.3, 5.0, 0.1, "Sigma (px at preview)")


def denoise_gaussian(rgb: np.ndarray, p: GaussianParams) -> np.ndarray:
    """Gaussian blur of standard deviation ``sigma``."""
    return cv2.GaussianBlur(rgb, (0, 0), _px(p.sigma, rgb))


@dataclass(frozen=True)
class BilateralParams:
    diameter: int = _num(7, 3, 15, 2, "Diameter (px at preview)")
    sigma_color: float = _num(30.0, 5.0, 150.0, 1.0, "Colour sigma", "Grey levels: larger smooths across edges")
    sigma_space: float = _num(5.0, 1.0, 30.0, 0.5, "Space sigma (px at preview)")


def denoise_bilateral(rgb: np.ndarray, p: BilateralParams) -> np.ndarray:
    """Edge-preserving bilateral filter."""
    return cv2.bilateralFilter(rgb, _odd(_px(p.diameter, rgb)), float(p.sigma_color), _px(p.sigma_space, rgb))


@dataclass(frozen=True)
class NlMeansParams:
    h: float = _num(7.0, 1.0, 30.0, 0.5, "Strength (luminance)", "About the noise sigma in grey levels at preview size")
    h_color: float = _num(7.0, 1.0, 30.0, 0.5, "Strength (colour)")


def denoise_nlmeans(rgb: np.ndarray, p: NlMeansParams) -> np.ndarray:
    """Non-local means (Buades et al.), OpenCV's coloured variant, 5x5 patches, 13x13 search.

    Strengths are given as seen on a 1024-px preview; a larger image carries proportionally
    stronger pixel noise (downscaling averages it away), so they scale with the image (at most 3x).
    """
    f = min(3.0, _px(1.0, rgb))
    return cv2.fastNlMeansDenoisingColored(rgb, None, float(p.h) * f, float(p.h_color) * f, 5, 13)


@dataclass(frozen=True)
class UnsharpParams:
    radius: float = _num(1.5, 0.3, 5.0, 0.1, "Radius (sigma, px at preview)")
    amount: float = _num(0.8, 0.0, 3.0, 0.05, "Amount")
    threshold: float = _num(2.0, 0.0, 30.0, 1.0, "Threshold", "Grey levels; smaller differences are left alone")


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
    tolerance: int = _num(30, 5, 80, 1, "Tolerance", "How far (grey levels) from the backdrop colour still counts as backdrop")
    feather: float = _num(1.5, 0.0, 6.0, 0.5, "Edge softness (px at preview)")


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
    margin: float = _num(0.05, 0.0, 0.3, 0.01, "Margin", "Space around the product, as a share of its size")


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
    left: float = _num(0.0, 0.0, 0.45, 0.01, "Left", "Share of the width removed")
    top: float = _num(0.0, 0.0, 0.45, 0.01, "Top", "Share of the height removed")
    right: float = _num(0.0, 0.0, 0.45, 0.01, "Right")
    bottom: float = _num(0.0, 0.0, 0.45, 0.01, "Bottom")


def crop(rgb: np.ndarray, p: CropParams) -> np.ndarray:
    """Remove the given shares of the width/height from each side."""
    h, w = rgb.shape[:2]
    x0, x1 = int(round(p.left * w)), w - int(round(p.right * w))
    y0, y1 = int(round(p.top * h)), h - int(round(p.bottom * h))
    return np.ascontiguousarray(rgb[y0:max(y0 + 1, y1), x0:max(x0 + 1, x1)])


@dataclass(frozen=True)
class PadSquareParams:
    margin: float = _num(0.0, 0.0, 0.3, 0.01, "Extra margin", "White border added around, as a share of the long side")


def pad_square(rgb: np.ndarray, p: PadSquareParams) -> np.ndarray:
    """Pad with white to a square canvas, the image centred."""
    h, w = rgb.shape[:2]
    side = int(round(max(h, w) * (1.0 + 2.0 * p.margin)))
    top, left = (side - h) // 2, (side - w) // 2
    return cv2.copyMakeBorder(rgb, top, side - h - top, left, side - w - left, cv2.BORDER_CONSTANT,
                              value=(255, 255, 255))


@dataclass(frozen=True)
class ResizeParams:
    long_side: int = _num(2000, 64, 10000, 1, "Long side (px)")


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


@dataclass(frozen=True)
class Operation(Generic[P]):
    """An optimization: its name, label, parameter class and function."""

    name: str
    label: str
    group: str
    params: type[P]
    func: Callable[[np.ndarray, P], np.ndarray]
    geometry: bool = False  # changes the image size (full-reference metrics need care)

    @property
    def specs(self) -> tuple[ParamSpec, ...]:
        return param_specs(self.params)

    @property
    def description(self) -> str:
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


OPERATIONS: Final[dict[str, Operation[Any]]] = {
    op.name: op
    for op in (
        Operation("brightness_contrast", "Brightness / contrast (linear)", "Tone", BrightnessContrastParams, brightness_contrast),
        Operation("gamma", "Gamma (power law)", "Tone", GammaParams, gamma),
        Operation("contrast_stretch", "Contrast stretch", "Tone", ContrastStretchParams, contrast_stretch),
        Operation("equalize", "Histogram equalization", "Tone", EqualizeParams, equalize),
        Operation("clahe", "CLAHE (local contrast)", "Tone", ClaheParams, clahe),
        Operation("white_balance", "White balance", "Colour", WhiteBalanceParams, white_balance),
        Operation("saturation", "Saturation", "Colour", SaturationParams, saturation),
        Operation("denoise_median", "Denoise: median", "Noise", MedianParams, denoise_median),
        Operation("denoise_gaussian", "Denoise: Gaussian", "Noise", GaussianParams, denoise_gaussian),
        Operation("denoise_bilateral", "Denoise: bilateral", "Noise", BilateralParams, denoise_bilateral),
        Operation("denoise_nlmeans", "Denoise: non-local means", "Noise", NlMeansParams, denoise_nlmeans),
        Operation("unsharp_mask", "Sharpen (unsharp mask)", "Detail", UnsharpParams, unsharp_mask),
        Operation("whiten_background", "Whiten background", "Background", WhitenParams, whiten_background),
        Operation("autocrop", "Crop to product", "Geometry", AutocropParams, autocrop, geometry=True),
        Operation("crop", "Crop (manual)", "Geometry", CropParams, crop, geometry=True),
        Operation("pad_square", "Pad to square (white)", "Geometry", PadSquareParams, pad_square, geometry=True),
        Operation("resize", "Resize", "Geometry", ResizeParams, resize, geometry=True),
    )
}


def apply_operation(rgb: np.ndarray, name: str, values: dict[str, Any] | None = None) -> np.ndarray:
    """Run the operation called ``name`` with parameter ``values`` (defaults for the rest)."""
    if name not in OPERATIONS:
        raise ValueError(f"unknown operation '{name}' (known: {', '.join(OPERATIONS)})")
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise TypeError("operations take RGB uint8 images of shape (H, W, 3)")
    return OPERATIONS[name](rgb, values)
