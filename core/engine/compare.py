"""Full-reference comparison of an original and its optimized version: PSNR, SSIM, CIEDE2000.

SSIM follows Wang et al. (2004) exactly as scikit-image computes it with
``gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255``:
an 11x11 Gaussian window (truncate 3.5), K1 = 0.01, K2 = 0.03, so C1 = (K1 L)^2 and
C2 = (K2 L)^2 with L = 255, reflect padding, and the mean taken over the map cropped by the
window radius. It runs in float32 with OpenCV's separable blur, in row strips so that a 12 MP
pair costs tens of MB rather than gigabytes.
"""

from __future__ import annotations

import math
from typing import Final

import cv2
import numpy as np
from skimage.color import deltaE_ciede2000

from core.engine.foreground import channel_max, find_foreground

__all__ = [
    "BLOWN_OUT_WARN",
    "COLOUR_SHIFT_WARN",
    "SSIM_K1",
    "SSIM_K2",
    "SSIM_SIGMA",
    "blown_out_share",
    "colour_shift",
    "mean_color_difference",
    "mse",
    "psnr",
    "ssim",
    "ssim_map",
    "ssim_map_rgb",
]

SSIM_SIGMA: Final = 1.5
SSIM_K1: Final = 0.01
SSIM_K2: Final = 0.03
_RADIUS: Final = int(3.5 * SSIM_SIGMA + 0.5)  # scipy's truncate=3.5 -> 5, an 11x11 window
_KSIZE: Final = 2 * _RADIUS + 1
_STRIP_ROWS: Final = 256


def _check_pair(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    if a.dtype != np.uint8 or b.dtype != np.uint8:
        raise TypeError("images must be uint8")
    if a.size == 0:
        raise ValueError("images are empty")


def mse(a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared error between two uint8 images, in squared grey levels (0 to 65025)."""
    _check_pair(a, b)
    return float(cv2.norm(a, b, cv2.NORM_L2SQR)) / a.size


def psnr(a: np.ndarray, b: np.ndarray, *, data_range: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB: ``10 log10(data_range^2 / MSE)``.

    Returns ``inf`` for identical images. For MSE = 10 and range 255 this is 38.13 dB.
    """
    err = mse(a, b)
    if err == 0.0:
        return math.inf
    return 10.0 * math.log10(data_range * data_range / err)


def _blur(x: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(x, (_KSIZE, _KSIZE), SSIM_SIGMA, borderType=cv2.BORDER_REFLECT)


def _ssim_plane_strip(x: np.ndarray, y: np.ndarray, c1: float, c2: float) -> np.ndarray:
    mx, my = _blur(x), _blur(y)
    mxx, myy, mxy = mx * mx, my * my, mx * my
    vx = _blur(x * x) - mxx
    vy = _blur(y * y) - myy
    cxy = _blur(x * y) - mxy
    num = (2.0 * mxy + c1) * (2.0 * cxy + c2)
    den = (mxx + myy + c1) * (vx + vy + c2)
    return num / den


def ssim_map(a: np.ndarray, b: np.ndarray, *, data_range: float = 255.0) -> np.ndarray:
    """Local SSIM for every pixel, float32 (H, W) in [-1, 1], averaged over colour channels.

    Parameters
    ----------
    a, b : ndarray
        uint8 images of equal shape, (H, W) or (H, W, C).
    data_range : float, keyword-only
        Dynamic range L of the pixel values (255 for uint8).
    """
    _check_pair(a, b)
    a3 = a if a.ndim == 3 else a[..., None]
    b3 = b if b.ndim == 3 else b[..., None]
    h = a3.shape[0]
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    out = np.empty(a3.shape[:2], np.float32)
    for top in range(0, h, _STRIP_ROWS):
        bottom = min(h, top + _STRIP_ROWS)
        lo, hi = max(0, top - _RADIUS), min(h, bottom + _RADIUS)
        acc = np.zeros((bottom - top, a3.shape[1]), np.float32)
        for ch in range(a3.shape[2]):
            x = a3[lo:hi, :, ch].astype(np.float32)
            y = b3[lo:hi, :, ch].astype(np.float32)
            acc += _ssim_plane_strip(x, y, c1, c2)[top - lo : top - lo + bottom - top]
        out[top:bottom] = acc / np.float32(a3.shape[2])
    return out


def ssim(a: np.ndarray, b: np.ndarray, *, data_range: float = 255.0) -> float:
    """Mean structural similarity, in [-1, 1] (1 = identical).

    Agrees with ``skimage.metrics.structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=255, channel_axis=-1)`` to about 1e-6, at a
    fraction of its time and memory.
    """
    smap = ssim_map(a, b, data_range=data_range)
    r = _RADIUS
    if smap.shape[0] <= 2 * r or smap.shape[1] <= 2 * r:
        raise ValueError(f"images must be larger than {2 * r + 1} px on each side for SSIM")
    return float(smap[r:-r, r:-r].mean(dtype=np.float64))


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.astype(np.float32) / np.float32(255.0), cv2.COLOR_RGB2LAB)


def _reduced(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """``rgb`` area-averaged so its long side is at most ``max_side`` px."""
    long_side = max(rgb.shape[:2])
    if long_side <= max_side:
        return rgb
    f = max_side / long_side
    size = (max(1, round(rgb.shape[1] * f)), max(1, round(rgb.shape[0] * f)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def mean_color_difference(a: np.ndarray, b: np.ndarray, *, max_side: int = 512) -> float:
    """Mean CIEDE2000 colour difference (Delta E 2000) between two RGB images.

    About 1 is the threshold of a visible difference; above 5 colours clearly differ.
    Both images are first reduced (area average) so their long side is at most ``max_side``
    px: colour difference is a property of regions, not of single pixels.
    """
    _check_pair(a, b)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError("mean_color_difference needs RGB images (H, W, 3)")
    a, b = _reduced(a, max_side), _reduced(b, max_side)
    return float(np.mean(deltaE_ciede2000(_lab(a), _lab(b), channel_axis=-1)))


def ssim_map_rgb(smap: np.ndarray, *, low: float = 0.5) -> np.ndarray:
    """Render an SSIM map for display: white where unchanged (1.0), through yellow to dark red
    where structure changed most (``low`` or below). Returns RGB uint8 (H, W, 3)."""
    t = np.clip((1.0 - smap.astype(np.float32)) / np.float32(1.0 - low), 0.0, 1.0)
    lut_in = np.rint(t * 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(255 - lut_in, cv2.COLORMAP_HOT), cv2.COLOR_BGR2RGB)


#: A channel at or above this level carries no detail any more (clipped) ...
_CLIPPED: Final = 254
#: ... and a pixel with every channel below this one still had some.
_HAD_DETAIL: Final = 250
#: :func:`blown_out_share` from which a change visibly blows the product out. Restoring a dark or
#: flat photo gives back what the original itself had clipped: auto-fix on a third of Madison's
#: darkened and flattened copies (levels 2-4) blows out 0.1% of the product typically, 9% in
#: one photo of 100 and 39% in one whose original has 45% of its product at a full channel
#: (a saturated print); a backdrop white balance at most 18%. A contrast gain of just 1.2 blows
#: out a quarter of the product in half of those photos, and more than 60% in one of ten.
BLOWN_OUT_WARN: Final = 0.10


def blown_out_share(before: np.ndarray, after: np.ndarray) -> float:
    """Share (0-1) of the product that a change from ``before`` to ``after`` blew out.

    Counted are the product's pixels that still had detail (every channel below 250) in
    ``before`` and have a channel at 254-255 in ``after``: a highlight pushed to white, or a
    colour pushed into a full channel, where no detail is left. Only the product counts (what is
    not the plain backdrop of ``before``, see :func:`core.engine.foreground.find_foreground`;
    the whole frame without one): whitening a backdrop blows nothing out. Both RGB uint8 and of
    one shape (pixels must correspond; a crop or pad has no pixel-by-pixel answer). NaN with
    fewer than 100 such pixels.
    """
    _check_pair(a=before, b=after)
    fg = find_foreground(before)
    had_detail = channel_max(before) < _HAD_DETAIL
    if fg.has_backdrop:
        had_detail &= fg.mask
    n = int(np.count_nonzero(had_detail))
    if n < 100:
        return math.nan
    return int(np.count_nonzero(had_detail & (channel_max(after) >= _CLIPPED))) / n


#: :func:`colour_shift` (mean CIEDE2000 over the product) from which a change visibly alters the
#: product's colours. Measured on the bundled samples' 1024-px previews: auto-fix gives 0.15-0.8
#: (a colour-cast fix 0.42, exposure and contrast fixes 0.38-0.76 although their plain mean
#: Delta E to the original is 16-40), and 2.28 for non-local-means denoising of a grainy print
#: (texture, not colour); saturation 1.3 gives 1.8-3.7, saturation 1.5 gives 2.4-5.1, saturation
#: 2.1 gives 3.4-7.6, a grey-world balance of a coloured product on white 5.5 and of a full-frame
#: scene 13. The walkthrough's recipe on cup_underexposed.jpg (contrast stretch low 14, shadow 45,
#: sharpen 2.1, saturation 2.1) gives 4.24: its white cup turns cream-orange.
COLOUR_SHIFT_WARN: Final = 4.0
#: A pixel of the result with chroma (CIELAB C*) below this, and not near black, counts as neutral.
_NEUTRAL_CHROMA: Final = 5.0


def _tone_curve(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """The one tone curve (256 levels, the same for R, G and B) that best maps ``before`` onto
    ``after``: for each level, the mean level it became, pooled over the three channels; levels
    that do not occur are interpolated."""
    counts = np.bincount(before.ravel(), minlength=256).astype(np.float64)
    sums = np.bincount(before.ravel(), weights=after.ravel().astype(np.float64), minlength=256)
    seen = counts > 0
    levels = np.arange(256, dtype=np.float64)
    return np.interp(levels, levels[seen], sums[seen] / counts[seen])


def colour_shift(before: np.ndarray, after: np.ndarray, *, max_side: int = 256) -> float:
    """How much a change from ``before`` to ``after`` altered the product's colours beyond its
    brightness, contrast and white balance: the mean CIEDE2000 over the product between ``after``
    and ``before`` given the best single tone curve and white balance towards ``after``.

    A plain mean Delta E to the original cannot tell a colour change from an exposure fix: the
    auto-fix of an under-exposed photo differs from it by 40, more than an oversaturated recipe.
    Here those are taken out first, because they keep the product's colours what they are:

    * white balance: per-channel gains that turn what is neutral in ``after`` (chroma below 5, not
      near black) back from what it was in ``before`` (a cast removed is not a colour changed);
    * tone: one curve for all three channels (brightness, contrast, gamma, levels and stretches
      are such curves), fitted level by level.

    What is left is what shoppers would see as another colour: saturation, hue shifts, a white
    balance that tints the neutrals, local contrast. Measured on the product only (see
    :func:`core.engine.foreground.find_foreground`; the whole frame without a plain backdrop),
    both images reduced to ``max_side`` px as in :func:`mean_color_difference`. NaN with fewer
    than 100 product pixels.
    """
    _check_pair(before, after)
    if before.ndim != 3 or before.shape[2] != 3:
        raise ValueError("colour_shift needs RGB images (H, W, 3)")
    before, after = _reduced(before, max_side), _reduced(after, max_side)
    fg = find_foreground(before)
    product = fg.mask if fg.has_backdrop else np.ones(before.shape[:2], bool)
    if np.count_nonzero(product) < 100:
        return math.nan
    lab_after = _lab(after)
    neutral = (np.hypot(lab_after[..., 1], lab_after[..., 2]) < _NEUTRAL_CHROMA) & (lab_after[..., 0] > 20)
    balanced = before
    if np.count_nonzero(neutral) >= 100:
        was = before[neutral].astype(np.float64).mean(axis=0)
        now = after[neutral].astype(np.float64).mean(axis=0)
        gains = now / np.maximum(was, 1.0)
        gains /= gains.max()
        balanced = np.clip(np.rint(before * gains), 0, 255).astype(np.uint8)
    curve = np.clip(np.rint(_tone_curve(balanced, after)), 0, 255).astype(np.uint8)
    expected = cv2.LUT(balanced, curve)
    diff = deltaE_ciede2000(_lab(expected), lab_after, channel_axis=-1)
    return float(diff[product].mean())
