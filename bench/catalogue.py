"""False alarms on a real catalogue, and recall on degraded copies of the same photos.

The checks are judged where it matters: on real, professionally shot product photos.

1. **False alarms.** Every file of the folder is scored under ``generic`` (as ``python -m core
   score`` does, duplicates included). A good catalogue should pass nearly untouched; the share of
   files flagged per issue is a false-alarm rate. ``low_resolution`` is reported apart (small
   files really are small), and so are files whose pixels are grey in every pixel (R = G = B: a
   true ``grayscale`` finding), byte-identical copies (a true ``duplicate``) and files flagged
   ``near_duplicate`` whose pixels are those of the file named, brought to one size (SSIM at
   least :data:`SAME_PHOTO_SSIM`: one photo reused for two products, a true finding).
2. **Recall and monotonicity.** Each distinct photo is degraded at four levels for each of
   blur, noise, JPEG, darkening, washing out, low contrast, colour cast and downscaling; apart
   from those eight, exposure gain, a camera's grain (blotchy, saved as a JPEG at quality 90),
   camera shake (a straight path of 5-25 px), brightening (values multiplied by 1.4-3, clipped)
   and midtones lifted (a gamma of 1/1.4 to 1/3).
   Recall is the share of degraded copies on which the matching issue fires (for photos that
   did not already carry it); monotonicity is the per-photo Spearman correlation
   between severity (0-4) and the score's fall.
3. **Auto-fix.** On levels 3-4 of the tonal, colour and noise degradations, the SSIM gain toward
   the original of the auto-fix, next to Pillow's ``ImageOps.autocontrast(cutoff=1)`` and to the
   gain a perfect restoration would make (SSIM 1). Do-no-harm: SSIM of each original to its own
   auto-fix.
4. **Chosen backdrop colours.** Each distinct photo shot on four pastel papers (the backdrop
   recoloured, the product untouched): a false-alarm rate for flags the white original did not have.
5. **Studio variations that are not defects.** Each distinct photo saved as a JPEG at a studio
   quality (84, 88, 92, 96 or 99, one per photo in turn) and shot on three neutral backdrops
   (light grey, grey, off-white): the same false-alarm rate, which should be zero.
   **Web exports**: each saved as a JPEG at quality 70, 75 and 80, the qualities web shops export
   at (75 is libjpeg's and Pillow's default): the same rate. The blocks a file's own save puts
   there are judged by its JPEG quality, not as blocking.
   **Web sizes**: each shrunk to 0.6 and 0.4 of its size and saved as a JPEG at 85 (what a shop
   resizes to; ``low_resolution`` set aside). **Graded sweeps**: each shot on a grey sweep whose
   light falls from top to bottom, and on one vignetted toward the corners.
   **Dark papers**: each shot on black and on charcoal paper (a low-key look): the same rate, and
   the share of those copies, darkened as level 3 above, on which ``dark`` fires.
   **Colour variants**: each photo of a coloured product with its hues turned by 60-300 degrees
   (the same shot of the item in five other colours; neutral pixels, the white backdrop and
   shadows, keep theirs), scored with the original as one upload, duplicates included: a
   product's colour is no cast, and another colour of the same shot is not the same photo.
   **Light variants**: each product made white, ivory and cream in linear light, its own shading
   kept (the same shot of a white shirt, a cream bag): a light product is not overexposed.
6. **Padding.** Level 3 of each degradation padded to a square with white and with black bands
   (as "pad to square" tools do): recall next to the unpadded copy's. Padding must hide nothing.

Run: ``python bench/catalogue.py [FOLDER] [--limit N] [--workers 2]`` (default folder
``../shared/catalogue/madison``; skipped with a message where absent). Output: Markdown on stdout
and ``bench/out/catalogue.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np
from common import OUT, ROOT, machine
from PIL import Image, ImageOps

from core.engine.assess import analyze, assess, mark_duplicates
from core.engine.autofix import auto_recipe
from core.engine.batch import assess_paths, discover
from core.engine.compare import ssim
from core.engine.duplicates import DuplicateIndex
from core.engine.loading import load_image
from core.engine.profiles import load_profile

DEFAULT_FOLDER = ROOT.parent / "shared" / "catalogue" / "madison"
LEVELS = (1, 2, 3, 4)
SET_ASIDE = {"low_resolution"}


def _clip(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def _exposure(a: np.ndarray, gain: float) -> np.ndarray:
    """Multiply linear light by ``gain`` (sRGB decoded and re-encoded with a 2.2 power law)."""
    lin = (a.astype(np.float32) / 255.0) ** 2.2 * gain
    return _clip(255.0 * np.clip(lin, 0, 1) ** (1 / 2.2))


def _wash_out(a: np.ndarray, k: float) -> np.ndarray:
    """Washed out by ``k``: every tone's distance to white divided by ``k`` (blacks lift to 255 - 255/k)."""
    return _clip(255.0 - (255.0 - a.astype(np.float32)) / k)


def _jpeg_resaved(a: np.ndarray, q: int) -> np.ndarray:
    """Compressed hard at quality ``q``, decoded (the file is then saved at quality 95)."""
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "JPEG", quality=q)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def _down_up(a: np.ndarray, f: float) -> np.ndarray:
    h, w = a.shape[:2]
    small = cv2.resize(a, (max(8, round(w * f)), max(8, round(h * f))), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def _noise(a: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    return _clip(a + np.random.default_rng(seed).normal(0, sigma, a.shape))


def _grain(a: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    """A camera's grain: noise of standard deviation ``sigma`` made blotchy as demosaicing and
    noise reduction make it (blurred by a Gaussian of 0.8 px, then brought back to ``sigma``).
    The file is saved as a phone saves it, a JPEG at quality 90 (see :func:`_encode`)."""
    n = cv2.GaussianBlur(np.random.default_rng(seed).normal(0, 1, a.shape).astype(np.float32), (0, 0), 0.8)
    return _clip(a + n * np.float32(sigma / n.std()))


def _shake(a: np.ndarray, length: int, seed: int) -> np.ndarray:
    """Camera shake: a straight path of ``length`` px, at an angle that varies from photo to photo."""
    path = np.zeros((length, length), np.float32)
    path[length // 2, :] = 1
    turn = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), (seed // 100) * 37 % 180, 1)
    path = cv2.warpAffine(path, turn, (length, length))
    return cv2.filter2D(a, -1, path / path.sum())


#: degradation -> (function of (pixels, level, seed), issues that count as caught)
DEGRADATIONS: dict[str, tuple[Callable[[np.ndarray, int, int], np.ndarray], frozenset[str]]] = {
    "blur": (lambda a, k, s: cv2.GaussianBlur(a, (0, 0), (1.0, 1.8, 2.8, 4.0)[k - 1]), frozenset({"blurry"})),
    "noise": (lambda a, k, s: _noise(a, (4, 8, 14, 22)[k - 1], s), frozenset({"noisy"})),
    "jpeg": (lambda a, k, s: _jpeg_resaved(a, (40, 20, 10, 5)[k - 1]), frozenset({"compression_artifacts"})),
    "darken": (lambda a, k, s: _exposure(a, (0.6, 0.4, 0.25, 0.15)[k - 1]), frozenset({"dark"})),
    "wash_out": (lambda a, k, s: _wash_out(a, (1.4, 1.8, 2.2, 3.0)[k - 1]), frozenset({"overexposed"})),
    "low_contrast": (
        lambda a, k, s: _clip(a * (1 - (t := (0.3, 0.45, 0.6, 0.75)[k - 1])) + 128 * t),
        frozenset({"low_contrast"}),
    ),
    "color_cast": (
        lambda a, k, s: _clip(a * np.array([1.0 + 0.5 * (c := (0.04, 0.08, 0.12, 0.18)[k - 1]), 1.0, 1.0 - 1.5 * c])),
        frozenset({"color_cast"}),
    ),
    "downscale": (lambda a, k, s: _down_up(a, (0.6, 0.4, 0.28, 0.2)[k - 1]), frozenset({"blurry"})),
    # Not in the headline: more light on the sensor. Dark products barely change (a black shoe at x3
    # is a good photo of a black shoe); light ones lose detail into a white backdrop, where no
    # reference-free measure can tell blown product from backdrop. Reported to show the limit.
    "exposure_gain": (lambda a, k, s: _exposure(a, (1.4, 1.8, 2.2, 3.0)[k - 1]), frozenset({"overexposed"})),
    # Not in the headline either (it was added later, so the headline stays comparable): the
    # noise above is white and saved losslessly; a phone's grain is blotchy and saved as a JPEG.
    "grain": (lambda a, k, s: _grain(a, (4, 8, 14, 22)[k - 1], s), frozenset({"noisy"})),
    # Nor is camera shake (added later still): a blur along one path leaves the edges across it crisp.
    "shake": (lambda a, k, s: _shake(a, (5, 9, 15, 25)[k - 1], s), frozenset({"blurry"})),
    # Two more ways of "too bright", reported to show the limit (2026-12-02): the stored values
    # multiplied (a naive brightening that clips everything above 255/k), and the midtones lifted
    # by a gamma of 1/k (black stays black, a black suit turns grey). Both leave a dark product a
    # good photo of a lighter one, and a light product blown into the backdrop.
    "brightened": (
        lambda a, k, s: _clip(a.astype(np.float32) * (1.4, 1.8, 2.2, 3.0)[k - 1]),
        frozenset({"overexposed"}),
    ),
    "midtones_lifted": (
        lambda a, k, s: _clip(255.0 * (a / np.float32(255.0)) ** np.float32(1 / (1.4, 1.8, 2.2, 3.0)[k - 1])),
        frozenset({"overexposed"}),
    ),
}
#: The eight degradations the headline recall is over (exposure gain, grain, shake, brightening and
#: lifted midtones are reported apart).
HEADLINE = ("blur", "noise", "jpeg", "darken", "wash_out", "low_contrast", "color_cast", "downscale")
#: Degradations an auto-fix is expected to undo (blur and downscaling lose detail for good).
FIXABLE = ("noise", "darken", "wash_out", "low_contrast", "color_cast")
#: Degradations outside the headline whose auto-fix is reported too (not in its mean).
FIXED_APART = ("grain",)
#: Pastel papers (RGB) a product may be shot on by choice: pink, sky blue, cream and mint.
PAPERS = {"pink": (250, 224, 230), "sky": (214, 230, 250), "cream": (250, 240, 214), "mint": (222, 245, 230)}

#: Neutral backdrops (RGB) studios use instead of white, and the JPEG qualities studios export at.
NEUTRAL_PAPERS = {"light grey": (242, 242, 242), "grey": (215, 215, 215), "off-white": (246, 244, 240)}
STUDIO_QUALITIES = (84, 88, 92, 96, 99)
#: JPEG qualities web shops export at (75 is libjpeg's and Pillow's default).
WEB_QUALITIES = (70, 75, 80)
#: Web-size copies: the photo shrunk to these shares of its size and saved as a JPEG at 85.
WEB_SIZES = (0.6, 0.4)
#: Graded backdrops a studio sweep gives: light falling from 244 at the top to 210 at the
#: bottom, and a vignette from 246 in the centre to 206 in the corners.
SWEEPS = ("falling", "vignette")
#: Colour variants: the product's hues turned by these angles (degrees), for photos at least
#: :data:`COLOURED_SHARE` of whose pixels are coloured (HSV saturation over 60 of 255). A black
#: shoe or a grey suit turned keeps its colour (only a logo or the model's hands change, 5-15% of
#: the frame): that is the same photo again, rightly flagged, not another colour of the product.
HUE_TURNS = (60, 120, 180, 240, 300)
COLOURED_SHARE = 0.2
#: Dark papers (RGB) chosen for a low-key look, and the darkening (level 3 above: x0.25 light)
#: that must still be caught on them.
DARK_PAPERS = {"black": (12, 12, 12), "charcoal": (48, 48, 48)}
DARK_PAPER_DARKENED = 0.25
#: Light variants: reflectances (linear RGB, 0-1) a light product is made of: a warm studio
#: white, ivory and cream. Each sits a little off neutral, as real fabric and paper do.
LIGHT_PRODUCTS = {"white": (0.87, 0.86, 0.83), "ivory": (0.80, 0.79, 0.74), "cream": (0.85, 0.80, 0.66)}


def pad_to_square(a: np.ndarray, fill: tuple[int, int, int]) -> np.ndarray:
    """``a`` centred on a square canvas of colour ``fill`` (bands on two opposite sides)."""
    h, w = a.shape[:2]
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    return cv2.copyMakeBorder(a, top, side - h - top, left, side - w - left, cv2.BORDER_CONSTANT, value=fill)


def on_paper(a: np.ndarray, paper: tuple[int, int, int]) -> np.ndarray:
    """The product on white ``a`` shot on ``paper`` instead: the white backdrop (and its shadows,
    which keep their depth) takes the paper's colour, the product keeps its own."""
    backdrop = cv2.GaussianBlur((a.min(axis=2) >= 249).astype(np.float32), (0, 0), 1.5)[..., None]
    return _clip(a * (1.0 - backdrop * (1.0 - np.asarray(paper, np.float32) / 255.0)))


def hue_turned(a: np.ndarray, degrees: int) -> np.ndarray:
    """``a`` with the hues of its coloured pixels turned by ``degrees`` (HSV at full hue
    resolution). Near-neutral pixels keep theirs (the turn fades in from saturation 20 to 60 of
    255): a warm white backdrop turned by 120 degrees would otherwise go green, a real cast."""
    hsv = cv2.cvtColor(a, cv2.COLOR_RGB2HSV_FULL)  # hue 0-255 for the full circle
    hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + round(degrees * 256 / 360)) % 256).astype(np.uint8)
    turned = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL).astype(np.float32)
    weight = np.clip((hsv[..., 1].astype(np.float32) - 20.0) / 40.0, 0.0, 1.0)[..., None]
    return _clip(a * (1.0 - weight) + turned * weight)


def on_sweep(a: np.ndarray, sweep: str) -> np.ndarray:
    """The product on white ``a`` shot on a graded grey sweep (see :data:`SWEEPS`) instead."""
    h, w = a.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if sweep == "falling":
        grey = 244.0 - 34.0 * yy / max(1, h - 1)
    else:
        r2 = (((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2) / 2.0
        grey = 246.0 - 40.0 * r2
    backdrop = cv2.GaussianBlur((a.min(axis=2) >= 249).astype(np.float32), (0, 0), 1.5)[..., None]
    return _clip(a * (1.0 - backdrop * (1.0 - grey[..., None] / 255.0)))


def made_light(a: np.ndarray, reflectance: tuple[float, float, float]) -> np.ndarray | None:
    """The product on a plain backdrop ``a`` made of a light material instead: in linear light
    every reflectance scaled by one factor, so that the product's brightest 3% reach
    ``reflectance`` (each pixel's luminance over the product's 97th percentile, times it). Folds,
    the inside of a collar and the shadow under a bag keep their depth relative to the lit parts,
    as the same light on a lighter material gives them, where washing out would lift them. The
    backdrop (within 6 levels of the border's median) keeps its pixels. ``None`` for a photo
    without a light plain backdrop, a product of under 500 px or one whose lit parts are darker
    than a mid grey (linear 0.1, level 90)."""
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]]).min(axis=1)
    level = float(np.median(border))
    backdrop = cv2.GaussianBlur((a.min(axis=2) >= level - 6).astype(np.float32), (0, 0), 1.5)
    product = backdrop < 0.5
    if level < 200 or np.count_nonzero(product) < 500:
        return None
    linear = (a.astype(np.float32) / 255.0) ** 2.2
    lum = linear @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    top = float(np.percentile(lum[product], 97))
    if top < 0.1:
        return None  # a black product lifted to white would carry its grain x10, a white one has none
    shading = np.clip(lum / top, 0.0, 1.15)[..., None]
    light = np.clip(shading * np.asarray(reflectance, np.float32), 0.0, 1.0) ** (1 / 2.2) * 255.0
    keep = backdrop[..., None]
    return _clip(light * (1.0 - keep) + a * keep)


def _encode(rgb: np.ndarray, degradation: str) -> bytes:
    buf = io.BytesIO()
    if degradation == "jpeg":
        Image.fromarray(rgb).save(buf, "JPEG", quality=95)
    elif degradation == "grain":
        Image.fromarray(rgb).save(buf, "JPEG", quality=90)
    else:
        Image.fromarray(rgb).save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def autocontrast(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(ImageOps.autocontrast(Image.fromarray(rgb), cutoff=1))


def _one_photo(args: tuple[str, str, int]) -> dict:
    """Every degradation of one photo, scored; auto-fix on levels 3-4 (runs in a worker)."""
    path, profile_name, seed = args
    profile = load_profile(profile_name)
    original = load_image(path)
    rgb = original.pixels
    base = assess(analyze(original), profile)
    out: dict = {"path": path, "clean": {"score": base.score, "issues": base.issue_names}}
    fixed = auto_recipe(base.metrics, base.issues).apply(rgb)
    out["clean"]["autofix_ssim"] = ssim(rgb, fixed) if fixed.shape == rgb.shape else math.nan
    for name, (fn, caught) in DEGRADATIONS.items():
        rows = []
        for k in LEVELS:
            bad = fn(rgb, k, seed * 100 + k)
            image = load_image(_encode(bad, name))
            a = assess(analyze(image), profile)
            row = {"level": k, "score": a.score, "issues": a.issue_names}
            if name in (*FIXABLE, *FIXED_APART) and k >= 3:
                decoded = image.pixels
                before = ssim(rgb, decoded)
                repaired = auto_recipe(a.metrics, a.issues).apply(decoded)
                row["ssim_before"] = before
                row["ssim_autofix"] = ssim(rgb, repaired) if repaired.shape == rgb.shape else math.nan
                row["ssim_autocontrast"] = ssim(rgb, autocontrast(decoded))
            rows.append(row)
            if k == 3:
                level3 = bad
        out[name] = rows
        if name in HEADLINE:  # level 3 again, padded
            out.setdefault("padded", {})[name] = {
                colour: bool(
                    caught
                    & set(assess(analyze(load_image(_encode(pad_to_square(level3, fill), name))), profile).issue_names)
                )
                for colour, fill in (("white", (255, 255, 255)), ("black", (0, 0, 0)))
            }
    out["paper"] = {
        colour: assess(analyze(load_image(_encode(on_paper(rgb, paper), "paper"))), profile).issue_names
        for colour, paper in PAPERS.items()
    }
    quality = STUDIO_QUALITIES[seed % len(STUDIO_QUALITIES)]
    studio = io.BytesIO()
    Image.fromarray(rgb).save(studio, "JPEG", quality=quality)
    out["studio"] = {"JPEG": assess(analyze(load_image(studio.getvalue())), profile).issue_names} | {
        colour: assess(analyze(load_image(_encode(on_paper(rgb, paper), "paper"))), profile).issue_names
        for colour, paper in NEUTRAL_PAPERS.items()
    }
    out["dark_paper"] = {}
    out["dark_paper_darkened"] = {}
    for colour, paper in DARK_PAPERS.items():
        shot = on_paper(rgb, paper)
        out["dark_paper"][colour] = assess(analyze(load_image(_encode(shot, "paper"))), profile).issue_names
        darker = _exposure(shot, DARK_PAPER_DARKENED)
        out["dark_paper_darkened"][colour] = assess(analyze(load_image(_encode(darker, "paper"))), profile).issue_names
    web = {}
    for q in WEB_QUALITIES:
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, "JPEG", quality=q)
        web[f"JPEG {q}"] = assess(analyze(load_image(buf.getvalue())), profile).issue_names
    out["web"] = web
    out["web_size"] = {}
    for f in WEB_SIZES:
        small = cv2.resize(rgb, (round(rgb.shape[1] * f), round(rgb.shape[0] * f)), interpolation=cv2.INTER_AREA)
        buf = io.BytesIO()
        Image.fromarray(small).save(buf, "JPEG", quality=85)
        out["web_size"][f"x{f}"] = assess(analyze(load_image(buf.getvalue())), profile).issue_names
    seen = DuplicateIndex()  # the original and its colour variants, uploaded together
    mark_duplicates(base.analysis, "original", seen)
    out["variants"] = {}
    coloured = np.count_nonzero(cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)[..., 1] > 60) / (rgb.shape[0] * rgb.shape[1])
    for turn in HUE_TURNS if coloured >= COLOURED_SHARE else ():
        variant, _ = mark_duplicates(analyze(load_image(_encode(hue_turned(rgb, turn), "paper"))), f"hue {turn}", seen)
        out["variants"][f"hue +{turn}"] = assess(variant, profile).issue_names
    out["sweep"] = {
        sweep: assess(analyze(load_image(_encode(on_sweep(rgb, sweep), "paper"))), profile).issue_names
        for sweep in SWEEPS
    }
    out["light"] = {}
    for material, reflectance in LIGHT_PRODUCTS.items():
        light = made_light(rgb, reflectance)
        if light is not None:
            out["light"][material] = assess(analyze(load_image(_encode(light, "paper"))), profile).issue_names
    return out


def _spearman(x: list[float], y: list[float]) -> float:
    rx = np.argsort(np.argsort(x)).astype(float)
    ry = np.array([sorted(y).index(v) + (sorted(y).count(v) - 1) / 2 for v in y])  # average ranks for ties
    if rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def false_alarms(folder: Path, profile_name: str, workers: int) -> dict:
    profile = load_profile(profile_name)
    rows = list(assess_paths([folder], profile, workers=workers))
    n = len(rows)
    counts: Counter[str] = Counter()
    flagged_files = 0
    unreadable = [r.path for r in rows if r.assessment is None]
    true_gray = 0
    true_copies = 0
    same_photo: list[tuple[str, str]] = []
    other_photo: list[tuple[str, str]] = []
    examples: dict[str, list[str]] = {}
    for r in rows:
        a = r.assessment
        if a is None:
            continue
        issues = set(a.issue_names) - SET_ASIDE
        # Findings that are true by construction: every pixel grey, or the same bytes again.
        if "grayscale" in issues and _saved_without_colour(r.path):
            issues.discard("grayscale")
            true_gray += 1
        if a.metrics.get("exact_duplicate") == 1.0 and "duplicate" in issues:
            issues.discard("duplicate")
            true_copies += 1
        if "near_duplicate" in issues and a.duplicate_of:
            # True when the two files hold the same pixels once brought to one size; otherwise it
            # counts as a flag (other angles and colour variants of a product measure SSIM 0.6-0.75).
            pair = (Path(r.path).name, Path(a.duplicate_of).name)
            if _same_pixels(r.path, a.duplicate_of):
                issues.discard("near_duplicate")
                same_photo.append(pair)
            else:
                other_photo.append(pair)
        for i in issues:
            counts[i] += 1
            examples.setdefault(i, []).append(Path(r.path).name)
        flagged_files += bool(issues)
    return {
        "files": n,
        "unreadable": unreadable,
        "clean_share": 1 - flagged_files / max(n, 1),
        "rate": {k: v / max(n, 1) for k, v in counts.most_common()},
        "examples": {k: v[:8] for k, v in examples.items()},
        "true_grayscale": true_gray,
        "byte_identical_copies": true_copies,
        "same_photo_pairs": same_photo,
        "near_duplicate_other_photo": other_photo,
    }


#: SSIM from which two files, brought to the smaller one's size, hold the same photo. The same
#: photo reused or resized measures 0.95-0.99 on Madison; other angles and colour variants of one
#: product shot on one set measure 0.6-0.75.
SAME_PHOTO_SSIM = 0.9


def _same_pixels(path: str, other: str) -> bool:
    """Whether two files hold the same photo: the same aspect ratio (within 2%) and SSIM at least
    :data:`SAME_PHOTO_SSIM` once the larger is reduced to the smaller's size."""
    a, b = load_image(path).pixels, load_image(other).pixels
    if abs(a.shape[1] / a.shape[0] - b.shape[1] / b.shape[0]) > 0.02 * a.shape[1] / a.shape[0]:
        return False
    if a.size > b.size:
        a, b = b, a
    b = cv2.resize(b, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_AREA)
    return ssim(a, b) >= SAME_PHOTO_SSIM


def _saved_without_colour(path: str) -> bool:
    """Every pixel R = G = B (within the encoder's chroma rounding): a file saved without colour."""
    rgb = load_image(path).pixels.astype(np.int16)
    return int((rgb.max(axis=2) - rgb.min(axis=2)).max()) <= 2


def degradations(paths: list[str], profile_name: str, workers: int) -> dict:
    with ProcessPoolExecutor(max_workers=workers) as pool:
        per_photo = list(pool.map(_one_photo, [(p, profile_name, i) for i, p in enumerate(paths)], chunksize=2))
    result: dict = {"photos": len(per_photo), "by_degradation": {}}
    all_hits = all_n = 0
    for name, (_, caught) in DEGRADATIONS.items():
        hits = {k: 0 for k in LEVELS}
        n = 0
        rhos = []
        gains: dict[str, list[float]] = {"autofix": [], "autocontrast": []}
        improved = fixed_n = 0
        for ph in per_photo:
            if caught & set(ph["clean"]["issues"]):
                continue  # already flagged before degrading: nothing to catch
            n += 1
            rows = ph[name]
            for row in rows:
                hits[row["level"]] += bool(caught & set(row["issues"]))
            scores = [ph["clean"]["score"]] + [r["score"] for r in rows]
            rho = _spearman([0, 1, 2, 3, 4], [-s for s in scores])
            rhos.append(1.0 if math.isnan(rho) else rho)  # a constant score (all 0) is not a rise
            for row in rows:
                if "ssim_autofix" in row:
                    gains["autofix"].append(row["ssim_autofix"] - row["ssim_before"])
                    gains["autocontrast"].append(row["ssim_autocontrast"] - row["ssim_before"])
                    fixed_n += 1
                    improved += row["ssim_autofix"] > row["ssim_before"] + 0.005
        if name in HEADLINE:
            all_hits += hits[3] + hits[4]
            all_n += 2 * n
        result["by_degradation"][name] = {
            "photos": n,
            "recall": {k: hits[k] / max(n, 1) for k in LEVELS},
            "recall_severe": (hits[3] + hits[4]) / max(2 * n, 1),
            "spearman_mean": statistics.fmean(rhos) if rhos else math.nan,
            "autofix_gain_mean": statistics.fmean(gains["autofix"]) if gains["autofix"] else None,
            "autocontrast_gain_mean": statistics.fmean(gains["autocontrast"]) if gains["autocontrast"] else None,
            "autofix_improved_share": improved / fixed_n if fixed_n else None,
        }
    result["recall_severe_overall"] = all_hits / max(all_n, 1)
    keep = [ph["clean"]["autofix_ssim"] for ph in per_photo if not math.isnan(ph["clean"]["autofix_ssim"])]
    result["do_no_harm_ssim_min"] = min(keep) if keep else None
    result["do_no_harm_ssim_mean"] = statistics.fmean(keep) if keep else None
    result["do_no_harm_share_ge_0985"] = sum(k >= 0.985 for k in keep) / max(len(keep), 1)
    fixes = [g for d in FIXABLE for g in _gains(per_photo, d)]
    result["autofix_gain_mean"] = statistics.fmean(g for g, _, _ in fixes) if fixes else None
    result["autocontrast_gain_mean"] = statistics.fmean(g for _, g, _ in fixes) if fixes else None
    result["perfect_gain_mean"] = statistics.fmean(p for _, _, p in fixes) if fixes else None
    result["autofix_improved_share"] = sum(g > 0.005 for g, _, _ in fixes) / max(len(fixes), 1)
    padded: dict[str, dict[str, float]] = {}
    for name in HEADLINE:
        caught = DEGRADATIONS[name][1]
        rows = [ph for ph in per_photo if not caught & set(ph["clean"]["issues"])]
        plain = [bool(caught & set(r["issues"])) for ph in rows for r in ph[name] if r["level"] == 3]
        padded[name] = {"photos": len(rows), "plain": sum(plain) / max(len(rows), 1)} | {
            colour: sum(ph["padded"][name][colour] for ph in rows) / max(len(rows), 1) for colour in ("white", "black")
        }
    result["padded"] = padded
    result["paper"] = _new_flags(per_photo, "paper")
    result["studio"] = _new_flags(per_photo, "studio")
    result["dark_paper"] = _new_flags(per_photo, "dark_paper")
    darkened = [
        "dark" in issues
        for ph in per_photo
        if "dark" not in ph["clean"]["issues"]
        for issues in ph["dark_paper_darkened"].values()
    ]
    result["dark_paper"]["darkened_recall"] = sum(darkened) / max(1, len(darkened))
    result["web"] = _new_flags(per_photo, "web")
    result["web_size"] = _new_flags(per_photo, "web_size")
    result["sweep"] = _new_flags(per_photo, "sweep")
    result["variants"] = _new_flags(per_photo, "variants")
    result["light"] = _new_flags(per_photo, "light")
    return result


def _new_flags(per_photo: list[dict], key: str) -> dict:
    """Share of the copies under ``key`` that gain a flag their original did not have, per issue."""
    new_flags: Counter[str] = Counter()
    flagged = copies = 0
    examples: list[str] = []
    for ph in per_photo:
        for variant, issues in ph[key].items():
            new = set(issues) - set(ph["clean"]["issues"]) - SET_ASIDE
            new_flags.update(new)
            flagged += bool(new)
            copies += 1
            if new and len(examples) < 5:
                examples.append(f"{Path(ph['path']).name} ({variant}: {', '.join(sorted(new))})")
    return {
        "copies": copies,
        "flagged_share": flagged / max(copies, 1),
        "rate": {k: v / max(copies, 1) for k, v in new_flags.most_common()},
        "examples": examples,
    }


def _gained(rates: dict, original: str = "the original") -> str:
    """One sentence of :func:`_new_flags`' figures: the share, per issue, and a few examples."""
    per_issue = ", ".join(f"{k} {v:.1%}" for k, v in rates["rate"].items()) or "none"
    examples = f"; e.g. {'; '.join(rates['examples'])}" if rates["examples"] else ""
    return f"**{rates['flagged_share']:.1%}** gain a flag {original} did not have ({per_issue}){examples}."


def _gains(per_photo: list[dict], name: str) -> list[tuple[float, float, float]]:
    """(auto-fix, autocontrast, perfect restoration) SSIM gains on levels 3-4 of ``name``."""
    caught = DEGRADATIONS[name][1]
    return [
        (r["ssim_autofix"] - r["ssim_before"], r["ssim_autocontrast"] - r["ssim_before"], 1.0 - r["ssim_before"])
        for ph in per_photo
        if not caught & set(ph["clean"]["issues"])
        for r in ph[name]
        if "ssim_autofix" in r
    ]


def distinct_photos(folder: Path) -> list[str]:
    """One path per distinct file content (byte-identical copies would count twice)."""
    seen: set[bytes] = set()
    out = []
    for p in discover([folder]):
        import hashlib

        h = hashlib.sha256(p.read_bytes()).digest()
        if h not in seen:
            seen.add(h)
            out.append(str(p))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", default=str(DEFAULT_FOLDER))
    ap.add_argument("--profile", default="generic")
    ap.add_argument("--limit", type=int, default=0, help="degrade at most N photos (evenly spread); 0 = all")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-degradations", action="store_true")
    args = ap.parse_args(argv)
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"Catalogue folder {folder} not found: nothing to measure (see ../shared/catalogue/README.md).")
        return 0
    t0 = time.perf_counter()
    fa = false_alarms(folder, args.profile, args.workers)
    results = {"machine": machine(), "folder": str(folder), "profile": args.profile, "false_alarms": fa}
    print(f"# Catalogue benchmark: {folder.name} ({fa['files']} files, profile {args.profile}; {machine()})\n")
    print(
        f"Clean (no flag besides {', '.join(sorted(SET_ASIDE))}): **{fa['clean_share']:.1%}**. "
        f"Set aside as true findings: {fa['true_grayscale']} files grey in every pixel, "
        f"{fa['byte_identical_copies']} byte-identical copies of another file, "
        f"{len(fa['same_photo_pairs'])} files flagged `near_duplicate` that hold the same photo as the "
        f"file named (SSIM at least {SAME_PHOTO_SSIM} at one size).\n"
    )
    print("| issue | files flagged | examples |\n|---|---|---|")
    for issue, rate in fa["rate"].items():
        print(f"| {issue} | {rate:.1%} | {', '.join(fa['examples'][issue][:4])} |")
    for key, what in (
        ("same_photo_pairs", "the same photo (set aside)"),
        ("near_duplicate_other_photo", "not the same pixels (counted as false alarms)"),
    ):
        if fa[key]:
            print(f"\nNear-duplicate pairs, {what}: " + "; ".join(f"{a} = {b}" for a, b in fa[key]))
    if not args.skip_degradations:
        photos = distinct_photos(folder)
        if args.limit and args.limit < len(photos):
            step = len(photos) / args.limit
            photos = [photos[int(i * step)] for i in range(args.limit)]
        deg = degradations(photos, args.profile, args.workers)
        results["degradations"] = deg
        print(f"\n## Degraded copies ({deg['photos']} distinct photos x {len(DEGRADATIONS)} degradations x 4 levels)\n")
        print(
            "| degradation | recall L1 | L2 | L3 | L4 | score Spearman | auto-fix SSIM gain (L3-4) | autocontrast | "
            "improved |\n|---|---|---|---|---|---|---|---|---|"
        )
        for name, r in deg["by_degradation"].items():
            rc = r["recall"]
            fx = (
                (
                    f"{r['autofix_gain_mean']:+.3f} | {r['autocontrast_gain_mean']:+.3f} | "
                    f"{r['autofix_improved_share']:.0%}"
                )
                if r["autofix_gain_mean"] is not None
                else "- | - | -"
            )
            print(
                f"| {name} | {rc[1]:.0%} | {rc[2]:.0%} | {rc[3]:.0%} | {rc[4]:.0%} | {r['spearman_mean']:.2f} | {fx} |"
            )
        print(
            f"\nRecall at levels 3-4 over {', '.join(HEADLINE)}: **{deg['recall_severe_overall']:.1%}**. "
            f"Auto-fix on levels 3-4 ({', '.join(FIXABLE)}): mean SSIM gain {deg['autofix_gain_mean']:+.3f} "
            f"(autocontrast {deg['autocontrast_gain_mean']:+.3f}; a perfect restoration {deg['perfect_gain_mean']:+.3f}), "
            f"improved {deg['autofix_improved_share']:.0%}. "
            f"Do-no-harm on the originals: mean SSIM {deg['do_no_harm_ssim_mean']:.4f}, "
            f"min {deg['do_no_harm_ssim_min']:.4f}, {deg['do_no_harm_share_ge_0985']:.0%} at >= 0.985."
        )
        print("\n| level 3 of | recall | padded with white | padded with black |\n|---|---|---|---|")
        for name, r in deg["padded"].items():
            print(f"| {name} | {r['plain']:.0%} | {r['white']:.0%} | {r['black']:.0%} |")
        paper, studio, dark, web = deg["paper"], deg["studio"], deg["dark_paper"], deg["web"]
        print(
            f"\nOn pastel papers ({', '.join(PAPERS)}; {paper['copies']} copies): {_gained(paper, 'the white original')}"
        )
        print(
            f"\nStudio variations ({studio['copies']} copies: JPEG at quality "
            f"{'/'.join(map(str, STUDIO_QUALITIES))}, and on {', '.join(NEUTRAL_PAPERS)} backdrops): {_gained(studio)}"
        )
        print(
            f"\nOn dark papers ({', '.join(DARK_PAPERS)}; {dark['copies']} copies): {_gained(dark, 'the white original')} "
            f"Darkened on them (x{DARK_PAPER_DARKENED} light): `dark` caught in {dark['darkened_recall']:.0%}."
        )
        print(
            f"\nWeb exports ({web['copies']} copies: JPEG at quality {'/'.join(map(str, WEB_QUALITIES))}): {_gained(web)}"
        )
        sizes, sweeps = deg["web_size"], deg["sweep"]
        print(
            f"\nWeb sizes ({sizes['copies']} copies: shrunk to {'/'.join(map(str, WEB_SIZES))} of the size, JPEG 85; "
            f"low_resolution set aside): {_gained(sizes)}"
        )
        print(
            f"\nOn graded grey sweeps ({', '.join(SWEEPS)}; {sweeps['copies']} copies): {_gained(sweeps, 'the white original')}"
        )
        variants = deg["variants"]
        print(
            f"\nColour variants (hues turned by {'/'.join(map(str, HUE_TURNS))} degrees, scored with the original "
            f"as one upload; {variants['copies']} copies): {_gained(variants)}"
        )
        light = deg["light"]
        print(
            f"\nLight variants (each product made {', '.join(LIGHT_PRODUCTS)} in linear light, its shading kept; "
            f"{light['copies']} copies): {_gained(light)}"
        )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "catalogue.json").write_text(json.dumps(results, indent=2))
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
