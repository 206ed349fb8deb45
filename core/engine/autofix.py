"""Build a recipe from what an assessment found wrong.

Conservative by design: a check that did not fire adds no step, so a good photo gets an empty
recipe and comes back unchanged. Parameters are derived from the measured values (how dark,
how noisy) rather than fixed, so a slightly dark photo is nudged and a very dark one lifted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from core.engine.checks import Issue
from core.engine.measures import DETAIL_LONG_SIDE
from core.engine.operations import noise_scale
from core.engine.recipe import Recipe, Step

__all__ = ["auto_recipe"]

_TARGET_BRIGHTNESS = 118.0
#: Where a restored black point goes (grey level): the deepest shadows of a well-exposed photo sit
#: a little above pure black, and a stretch that sends its darkest 0.1% to 0 crushes their detail.
_SHADOW_LEVEL = 12.0
#: A black level (luma of the darkest 0.1%) this high was lifted, not scaled down by under-exposure.
_LIFTED_BLACK = 32.0


#: Non-local means strength per grey level of measured grain. 1.6 (h about the noise's sigma) left
#: product photos grainy: on 30 Madison photos with noise of sigma 14-22 (and a phone's grain) the
#: restored SSIM rose with h, +0.007 to +0.014 at 1.84; on the seven natural photos of
#: bench/degradation.py it moved by -0.002 to +0.003 (furred cats lose a little, smooth skin and
#: cups gain). 1.8 takes most of the first and none of the second's loss.
_H_PER_GRAIN = 1.8


def _clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def _preview_denoise_strength(metrics: dict[str, float]) -> float:
    """Non-local means ``h`` as the recipe states it (at preview scale) for the measured grain.

    The grain measure reads about 0.6 of the added noise's sigma (it is taken in the flattest
    tiles, where clipping trims it); non-local means needs h of a little more than that sigma
    (:data:`_H_PER_GRAIN` x the measure), in the pixels it runs on. The operation scales a
    preview strength up by :func:`noise_scale` of the image. Where grain was measured at full
    size (``detail_long_side`` >= ``long_side``) that scaling would count the size twice, so it
    is taken out (a 1600-px photo was smoothed 1.6x harder than its grain called for, losing
    0.014 SSIM). Grain measured on a reduced copy reads weaker by about that same factor (2.1x
    at 2400 px, 1.7-2.2x at 3200), so there h stays as measured.
    """
    sigma = metrics.get("noise_sigma", 8.0)
    long_side = metrics.get("long_side", math.nan)
    if not math.isfinite(long_side) or long_side <= 0:
        return _H_PER_GRAIN * sigma
    measured = metrics.get("detail_long_side", math.nan)
    if not math.isfinite(measured) or measured <= 0:
        # Stored before the measuring size was recorded: full size up to the detail limit (a
        # JPEG reduced while decoding is then taken at full size; it is re-measured anyway).
        measured = min(long_side, DETAIL_LONG_SIDE)
    if measured >= long_side:
        return _H_PER_GRAIN * sigma / noise_scale(long_side)
    return _H_PER_GRAIN * sigma


def auto_recipe(metrics: dict[str, float], issues: Iterable[Issue | str], *, geometry: bool = False) -> Recipe:
    """A recipe that addresses ``issues``, ordered so steps do not fight each other.

    Order: colour balance, noise, tone, contrast, detail, background, then geometry (only
    when ``geometry`` is true, since cropping or padding changes what a full-reference
    comparison can compare).

    Parameters
    ----------
    metrics : dict
        The image's metrics (from the same assessment).
    issues : iterable of Issue or str
        The issues to fix (objects or issue names).
    geometry : bool, keyword-only
        Also crop to the product and pad to square where those issues fired.
    """
    names = {i if isinstance(i, str) else i.name for i in issues}
    steps: list[Step] = []
    if "color_cast" in names:
        # The cast was measured on the backdrop, so the backdrop is what becomes neutral again.
        steps.append(Step("white_balance", {"method": "backdrop", "strength": 1.0}))
    if "noisy" in names:
        h = round(_clamp(_preview_denoise_strength(metrics), 3.0, 25.0) * 2) / 2
        steps.append(Step("denoise_nlmeans", {"h": h, "h_color": h}))
    elif "compression_artifacts" in names:
        steps.append(Step("denoise_bilateral", {"diameter": 5, "sigma_color": 20.0, "sigma_space": 3.0}))
    if "dark" in names:
        # Under-exposure scales every level down toward black, so a gain that restores the white
        # point and keeps black where it is undoes it exactly (stretching the darkest pixels to
        # black as well would crush shadows that were never black). A dark photo whose black is
        # lifted too (flat and dark) needs its black point restored as well. Nothing more: once
        # its brightest tones are white again the photo is no longer dark, and what dark tones
        # remain are the subject's own (a night sky, a deep red cover). Lifting them as well (a
        # gamma toward a mean level of 118) sent a darkened night sky to SSIM 0.22 against its
        # original and a red album cover to 0.55; the gain alone restores them to 0.98.
        if metrics.get("black_level", 0.0) >= _LIFTED_BLACK:
            steps.append(Step("contrast_stretch", {"low": 0.1, "high": 99.5, "shadow": _SHADOW_LEVEL}))
        else:
            steps.append(Step("contrast_stretch", {"low": 0.0, "high": 99.5}))
    elif "overexposed" in names:
        # Washed out: the black point was lifted toward white. A linear stretch that takes the
        # darkest tones back down (and leaves white where it is) inverts that, so the tone curve
        # comes back rather than the photo merely getting darker. Highlights that are blown
        # cannot come back; then only the midtones get some density back.
        if metrics.get("black_level", 0.0) >= 60.0:
            steps.append(Step("contrast_stretch", {"low": 0.1, "high": 100.0, "shadow": _SHADOW_LEVEL}))
        elif metrics.get("subject_brightness", 0.0) > _TARGET_BRIGHTNESS + 40.0:
            g = math.log(_TARGET_BRIGHTNESS / 255.0) / math.log(
                _clamp(metrics["subject_brightness"], 1.0, 250.0) / 255.0
            )
            steps.append(Step("gamma", {"gamma": round(_clamp(g, 1.05, 1.6), 2)}))
    if "low_contrast" in names and not any(s.op == "contrast_stretch" for s in steps):
        # (A dark or washed-out photo's stretch above has already restored its range.)
        steps.append(Step("contrast_stretch", {"low": 0.1, "high": 99.5, "shadow": _SHADOW_LEVEL}))
    if "blurry" in names:
        deficit = _clamp((52.0 - metrics.get("sharpness", 35.0)) / 25.0, 0.0, 1.0)
        steps.append(Step("unsharp_mask", {"radius": 1.5, "amount": round(0.6 + 0.9 * deficit, 2), "threshold": 2.0}))
    if "non_white_background" in names and metrics.get("background_luma", 0.0) >= 170.0:
        steps.append(Step("whiten_background", {"tolerance": 30, "feather": 1.5}))
    if geometry:
        if "small_product" in names:
            steps.append(Step("autocrop", {"margin": 0.04}))
        if "odd_aspect_ratio" in names or "small_product" in names:
            steps.append(Step("pad_square", {"margin": 0.0}))
    return Recipe(tuple(s.validated() for s in steps))
