"""The Optimize page's questions: what would the score be, how much did the image change, and
rendering, downloading or saving the result at full resolution."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

import numpy as np

from core.engine.assess import Analysis, PreviewDetail, analyze_preview, assess, preview_detail
from core.engine.autofix import auto_recipe
from core.engine.compare import mean_color_difference, psnr, ssim, ssim_map, ssim_map_rgb
from core.engine.export_image import encode_image
from core.engine.loading import ImageInfo, load_image
from core.engine.profiles import Profile
from core.engine.recipe import MAX_OUTPUT_PIXELS, Recipe
from core.store.blobs import read_blob
from core.store.database import Store
from core.store.intake import save_optimized
from core.store.queries import ImageRecord

__all__ = [
    "ScoreEstimate",
    "Similarity",
    "auto_fix",
    "difference_image",
    "estimate_score",
    "full_resolution",
    "full_size_problem",
    "render_jpeg",
    "save_fixed_version",
    "similarity",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class ScoreEstimate:
    """The score before and after a recipe, measured the same way, their difference, and the issues
    still flagged after it."""

    before: float
    score: float
    change: float
    still_flagged: tuple[str, ...]


def _stored_analysis(record: ImageRecord) -> Analysis:
    info = ImageInfo(
        format="",
        mode="RGB",
        width=record.width,
        height=record.height,
        file_size=int(record.metrics.get("file_mb", 0) * 1e6),
        bit_depth=8,
        had_transparency=False,
        exif_orientation=1,
        jpeg_quality=None,
        sha256=record.sha256,
        icc_converted=False,
        frames=1,
    )
    return Analysis(
        info=info, metrics=dict(record.metrics), phash="", product_bbox=(0.0, 0.0, 1.0, 1.0), has_backdrop=True
    )


#: The untouched preview's measurement and its grain and focus, per stored version (and stored
#: metrics): every slider move re-estimates "after", but "before" is the same each time.
_ORIGINALS: dict[tuple[int, str, tuple[int, ...]], tuple[Analysis, PreviewDetail]] = {}
_ORIGINALS_KEPT = 16
_ORIGINALS_LOCK = threading.Lock()


def _preview_analysis(record: ImageRecord, preview: np.ndarray, stored: Analysis) -> tuple[Analysis, PreviewDetail]:
    key = (record.version_id, json.dumps(record.metrics, sort_keys=True), preview.shape)
    with _ORIGINALS_LOCK:  # sessions run in threads
        found = _ORIGINALS.get(key)
    if found is None:
        found = analyze_preview(preview, stored), preview_detail(preview)
        with _ORIGINALS_LOCK:
            while len(_ORIGINALS) >= _ORIGINALS_KEPT:
                _ORIGINALS.pop(next(iter(_ORIGINALS)))
            _ORIGINALS[key] = found
    return found


def estimate_score(record: ImageRecord, *, preview: np.ndarray, result: np.ndarray, profile: Profile) -> ScoreEstimate:
    """Score ``preview`` (the stored image at analysis scale) and ``result`` (it after a recipe)
    the way the stored score was measured.

    Both are measured with :func:`core.engine.assess.analyze_preview`: the pixel metrics at the
    analysis scale every stored measurement is made at, and the stored file facts (JPEG quality,
    blocking, focus, grain, file size, duplicates), focus and grain scaled by what the recipe did
    to them. The resolution checks see the stored image's size scaled as the recipe scaled the
    preview (a crop or pad changes it). So an empty recipe changes nothing (+0.0), and ``before`` is the stored
    score whenever the stored measurement is current.
    """
    stored = _stored_analysis(record)
    sy, sx = result.shape[0] / preview.shape[0], result.shape[1] / preview.shape[1]
    original, detail = _preview_analysis(record, preview, stored)
    if result.shape == preview.shape and np.array_equal(result, preview):
        fixed = original  # nothing changed: the same measurement, not a second one
    else:
        fixed = analyze_preview(
            result,
            stored,
            original_preview=preview,
            original_detail=detail,
            width=max(1, round(record.width * sx)),
            height=max(1, round(record.height * sy)),
        )
    before, after = assess(original, profile), assess(fixed, profile)
    return ScoreEstimate(
        before=before.score,
        score=after.score,
        change=after.score - before.score,
        still_flagged=tuple(after.issue_names),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Similarity:
    """How far the result is from the original: SSIM (1 = same), PSNR in dB (inf = identical)
    and the mean CIEDE2000 colour difference."""

    ssim: float
    psnr: float
    delta_e: float


def similarity(before: np.ndarray, after: np.ndarray, *, reframed: bool = False) -> Similarity | None:
    """``None`` when the recipe changed the framing (``reframed``: it has a crop, pad or resize
    step, which can also give back the same size, e.g. a crop then a pad to square, or the shapes
    differ): pixels no longer correspond, so there is no pixel-by-pixel comparison."""
    if reframed or before.shape != after.shape:
        return None
    return Similarity(
        ssim=ssim(before, after), psnr=psnr(before, after), delta_e=mean_color_difference(before, after, max_side=256)
    )


def difference_image(before: np.ndarray, after: np.ndarray, *, reframed: bool = False) -> np.ndarray | None:
    """The SSIM map as an RGB picture (white: unchanged, red: structure changed), or ``None``
    when the framing changed (see :func:`similarity`)."""
    if reframed or before.shape != after.shape:
        return None
    return ssim_map_rgb(ssim_map(before, after))


def auto_fix(record: ImageRecord, *, geometry: bool = False) -> Recipe:
    """The recipe the engine proposes for the issues stored for ``record``."""
    return auto_recipe(record.metrics, record.issues, geometry=geometry)


def full_size_problem(record: ImageRecord, *, preview: np.ndarray, result: np.ndarray) -> str | None:
    """Why ``result`` (``preview`` after a recipe) cannot be rendered at full resolution, or None.

    The full-size output is the stored image's size scaled as the recipe scaled the preview; a
    recipe that fits the preview can still exceed the pixel limit at full size (a large upscale).
    """
    sy, sx = result.shape[0] / preview.shape[0], result.shape[1] / preview.shape[1]
    pixels = round(record.width * sx) * round(record.height * sy)
    if pixels > MAX_OUTPUT_PIXELS:
        return (
            f"at full resolution this recipe makes a {pixels / 1e6:.0f} MP image; the limit is "
            f"{MAX_OUTPUT_PIXELS / 1e6:g} MP"
        )
    return None


def full_resolution(store: Store, record: ImageRecord) -> np.ndarray:
    """The stored image's pixels at full size (large: for rendering, not for previews)."""
    return load_image(read_blob(store, record.blob_path)).pixels


def render_jpeg(store: Store, record: ImageRecord, recipe: Recipe, *, quality: int = 92) -> bytes:
    """``recipe`` applied at full resolution, as a JPEG file (for download)."""
    return encode_image(recipe.apply(full_resolution(store, record)), "JPEG", quality=quality)


def save_fixed_version(store: Store, record: ImageRecord, recipe: Recipe, *, created_by: str) -> int:
    """Render ``recipe`` at full resolution, store it as a new version of the image and put it in
    the review queue; returns the new version id."""
    pixels = recipe.apply(full_resolution(store, record))
    return save_optimized(store, record.version_id, pixels, recipe, created_by=created_by, submit=True)
