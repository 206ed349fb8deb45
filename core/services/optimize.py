"""The Optimize page's questions: what would the score be, how much did the image change, and
rendering, downloading or saving the result at full resolution."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace

import numpy as np

from core.engine.assess import (
    DUPLICATE_METRICS,
    Analysis,
    PreviewDetail,
    analyze_preview,
    assess,
    at_source_resolution,
    judged_long_side,
    preview_detail,
)
from core.engine.autofix import auto_recipe
from core.engine.compare import (
    BLOWN_OUT_WARN,
    COLOUR_SHIFT_WARN,
    blown_out_share,
    colour_shift,
    mean_color_difference,
    psnr,
    ssim,
    ssim_map,
    ssim_map_rgb,
)
from core.engine.export_image import encode_image
from core.engine.loading import ImageInfo, load_image
from core.engine.operations import PREVIEW_SIDE
from core.engine.profiles import Profile
from core.engine.recipe import MAX_OUTPUT_PIXELS, Recipe, max_resize_long_side
from core.engine.wording import format_score
from core.store.blobs import read_blob
from core.store.database import Store
from core.store.intake import SavedVersion, save_optimized
from core.store.queries import ImageRecord
from core.vocabulary import DUPLICATE_ISSUES, issue_label

__all__ = [
    "AutoFix",
    "SavedVersion",
    "ScoreEstimate",
    "Similarity",
    "auto_fix",
    "difference_image",
    "estimate_score",
    "full_resolution",
    "full_size_problem",
    "measured_part",
    "preview_recipe",
    "propose_fix",
    "render_jpeg",
    "resize_limit",
    "save_fixed_version",
    "recipe_similarity",
    "similarity",
]


@dataclass(frozen=True, kw_only=True, slots=True)
class ScoreEstimate:
    """The score before and after a recipe, measured the same way, their difference, and the issues
    still flagged after it."""

    before: float
    score: float
    #: What the recipe itself changed: ``score`` less :attr:`baseline`.
    change: float
    still_flagged: tuple[str, ...]
    #: The upload's duplicate finding was left out of ``score``: a saved fix is not compared with
    #: the catalogue (the finding belongs to the upload it was made from).
    duplicate_left_out: bool = False
    #: The score ``change`` is counted from: ``before``, or the original scored without its
    #: duplicate finding when that was left out, so that dropping the finding is not credited to
    #: the recipe (a sharpened duplicate is no better for being a fix).
    baseline: float | None = None

    @property
    def compared_with(self) -> float:
        return self.before if self.baseline is None else self.baseline

    @property
    def shown_change(self) -> str:
        """The change as the difference of the two scores as written (one decimal), so the figures
        add up on screen: 39.4 and 62.9 show +23.5, not +23.4."""
        return f"{float(format_score(self.score)) - float(format_score(self.compared_with)):+.1f}"


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


def _full_size(
    record: ImageRecord, *, preview: np.ndarray, result: np.ndarray, recipe: Recipe | None
) -> tuple[int, int]:
    """(width, height) of ``recipe``'s output at full resolution, from its output on the preview
    (``result``, made by :func:`preview_recipe`).

    Crops and pads scale with the image, so without a resize the stored size scales as the
    preview did. A resize sets an absolute long side, which the preview gets reduced (see
    :meth:`Recipe.on_reduced_copy`): from it on, the full-size output is the preview's output
    scaled by that reduction.
    """
    if recipe is not None and any(step.op == "resize" for step in recipe.steps):
        _, scale = recipe.on_reduced_copy(scale=_preview_scale(record, preview), max_side=PREVIEW_SIDE)
        return max(1, round(result.shape[1] / scale)), max(1, round(result.shape[0] / scale))
    sy, sx = result.shape[0] / preview.shape[0], result.shape[1] / preview.shape[1]
    return max(1, round(record.width * sx)), max(1, round(record.height * sy))


def _preview_scale(record: ImageRecord, preview: np.ndarray) -> float:
    """How much smaller ``preview`` is than the stored image (1 for an image no larger)."""
    return min(1.0, float(max(preview.shape[:2])) / max(1, record.width, record.height))


def preview_recipe(record: ImageRecord, recipe: Recipe, *, preview: np.ndarray) -> Recipe:
    """``recipe`` as it runs on ``preview`` (the stored image at preview size): a resize there
    keeps the preview's reduction instead of setting its full-size side on the preview."""
    return recipe.on_reduced_copy(scale=_preview_scale(record, preview), max_side=PREVIEW_SIDE)[0]


def _without_duplicate_findings(analysis: Analysis) -> Analysis:
    """``analysis`` without what comparing with the catalogue found (a saved fix is not compared)."""
    return replace(analysis, metrics={k: v for k, v in analysis.metrics.items() if k not in DUPLICATE_METRICS})


def estimate_score(
    record: ImageRecord, *, preview: np.ndarray, result: np.ndarray, profile: Profile, recipe: Recipe | None = None
) -> ScoreEstimate:
    """Score ``preview`` (the stored image at analysis scale) and ``result`` (it after a recipe)
    the way the stored score was measured.

    Both are measured with :func:`core.engine.assess.analyze_preview`: the pixel metrics at the
    analysis scale every stored measurement is made at, and the stored file facts (JPEG quality,
    blocking, focus, grain, file size, duplicates), focus and grain scaled by what the recipe did
    to them. The resolution checks see the stored image's size scaled as the recipe scaled the
    preview (a crop or pad changes it), or the size a resize in ``recipe`` sets. So an empty
    recipe changes nothing (+0.0), and ``before`` is the stored score whenever the stored
    measurement is current.
    """
    stored = _stored_analysis(record)
    width, height = _full_size(record, preview=preview, result=result, recipe=recipe)
    original, detail = _preview_analysis(record, preview, stored)
    if result.shape == preview.shape and np.array_equal(result, preview):
        fixed = original  # nothing changed: the same measurement, not a second one
    else:
        fixed = analyze_preview(
            result,
            stored,
            original_preview=preview,
            original_detail=detail,
            width=width,
            height=height,
        )
        # As saving judges it (core.store.intake.save_optimized): enlarging adds no detail, and
        # a fix is not compared with the catalogue, so the upload's duplicate finding is not its.
        source = judged_long_side(record.metrics, width=record.width, height=record.height)
        fixed = at_source_resolution(fixed, source_long_side=source)
        fixed = _without_duplicate_findings(fixed)
    before, after = assess(original, profile), assess(fixed, profile)
    left_out = fixed is not original and any(i.name in DUPLICATE_ISSUES for i in before.issues)
    baseline = assess(_without_duplicate_findings(original), profile).score if left_out else None
    return ScoreEstimate(
        before=before.score,
        score=after.score,
        change=after.score - (before.score if baseline is None else baseline),
        still_flagged=tuple(after.issue_names),
        duplicate_left_out=left_out,
        baseline=baseline,
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Similarity:
    """How far the result is from the original: SSIM (1 = same), PSNR in dB (inf = identical),
    the mean CIEDE2000 colour difference, the share (0-1) of the product the recipe blew out
    (see :func:`core.engine.compare.blown_out_share`; NaN where it cannot tell) and how much it
    changed the product's colours beyond brightness, contrast and white balance
    (:func:`core.engine.compare.colour_shift`, a CIEDE2000; NaN where it cannot tell).

    ``before_framing``: measured on the recipe without its crops, pads and resizes (see
    :func:`measured_part`), as the framed result has no pixel-by-pixel answer.
    """

    ssim: float
    psnr: float
    delta_e: float
    blown_out: float
    colour_shift: float
    before_framing: bool = False

    @property
    def blows_out(self) -> bool:
        """The recipe visibly blows the product out (:data:`~core.engine.compare.BLOWN_OUT_WARN`)."""
        return self.blown_out >= BLOWN_OUT_WARN

    @property
    def shifts_colours(self) -> bool:
        """The recipe visibly changes the product's colours (:data:`~core.engine.compare.COLOUR_SHIFT_WARN`)."""
        return self.colour_shift >= COLOUR_SHIFT_WARN


def measured_part(recipe: Recipe) -> Recipe:
    """The part of ``recipe`` the full-reference figures are measured on: all of it when it keeps
    the framing, else its steps without the crops, pads and resizes (see
    :meth:`Recipe.without_geometry` for why, and what that means for steps after a crop)."""
    return recipe.without_geometry() if recipe.changes_geometry else recipe


def similarity(before: np.ndarray, after: np.ndarray, *, before_framing: bool = False) -> Similarity | None:
    """The full-reference figures of ``after`` against ``before`` (pixels must correspond:
    ``None`` when the shapes differ). ``after`` is the result of :func:`measured_part` of a
    recipe, and ``before_framing`` says whether that left out its geometry steps.

    The one measurement of a recipe's effect: the Optimize page and the Review page's warning on
    a submitted fix both come here (see :func:`recipe_similarity`)."""
    if before.shape != after.shape:
        return None
    return Similarity(
        ssim=ssim(before, after),
        psnr=psnr(before, after),
        delta_e=mean_color_difference(before, after, max_side=256),
        blown_out=blown_out_share(before, after),
        colour_shift=colour_shift(before, after),
        before_framing=before_framing,
    )


def recipe_similarity(before: np.ndarray, recipe: Recipe) -> Similarity | None:
    """:func:`similarity` of ``recipe`` run on ``before`` (a preview): its :func:`measured_part`
    applied to ``before`` and compared with it.

    Measured on the recipe's own result, not on a stored rendering of it: a saved fix is a JPEG,
    whose ringing moves near-white pixels across the blow-out level (a fix the merchant saw
    blow out 42% of the product read 40% from its file), and the merchant and the reviewer
    must see one figure."""
    part = measured_part(recipe)
    return similarity(before, part.apply(before), before_framing=recipe.changes_geometry)


def difference_image(before: np.ndarray, after: np.ndarray) -> np.ndarray | None:
    """The SSIM map as an RGB picture (white: unchanged, red: structure changed) of ``after``
    against ``before`` (as for :func:`similarity`), or ``None`` when their shapes differ."""
    if before.shape != after.shape:
        return None
    return ssim_map_rgb(ssim_map(before, after))


def auto_fix(record: ImageRecord, *, geometry: bool = False) -> Recipe:
    """The recipe the engine proposes for the issues stored for ``record``."""
    return auto_recipe(record.metrics, record.issues, geometry=geometry)


@dataclass(frozen=True, kw_only=True, slots=True)
class AutoFix:
    """Auto-fix's recipe, and when it is empty, why (``note``; empty when there is nothing to say)."""

    recipe: Recipe
    note: str = ""


#: Why auto-fix leaves an issue alone, worded to follow the issue's label. Issues missing here
#: get the general reason in :func:`propose_fix`.
_WHY_NOT_AUTOMATIC: dict[str, str] = {
    "low_resolution": "cannot be fixed by editing (enlarging adds no detail) — upload a larger original",
    "grayscale": "cannot be fixed by editing (the colour was not saved) — upload the colour original",
    "low_information": "cannot be fixed by editing — check that the right file was uploaded",
    "duplicate": "cannot be fixed by editing — keep one of the copies",
    "near_duplicate": "cannot be fixed by editing — keep one of the copies",
    "overexposed": "cannot be fixed by editing where the highlights are blown — retake with less light",
    "too_large": "is not fixed automatically — add a Resize step to make the image smaller",
    "non_white_background": "is not fixed automatically on a backdrop this dark — try Whiten background "
    "by hand or reshoot on white",
}
#: Issues auto-fix handles only with cropping and padding allowed.
_NEEDS_GEOMETRY = frozenset({"small_product", "odd_aspect_ratio"})


def propose_fix(record: ImageRecord, *, profile: Profile, geometry: bool = False) -> AutoFix:
    """:func:`auto_fix`, with a plain note naming each flagged issue it could not act on (by its
    label) when it proposes nothing, so an empty recipe is not mistaken for a failed button."""
    recipe = auto_fix(record, geometry=geometry)
    if recipe.steps:
        return AutoFix(recipe=recipe)
    if not record.issues:
        return AutoFix(recipe=recipe, note=f"Auto-fix has nothing to change: {profile.title} flags no issues.")
    reasons = []
    for name in record.issues:
        if name in _NEEDS_GEOMETRY and not geometry:
            why = "needs cropping or padding — turn on “Auto-fix may crop and pad”"
        else:
            why = _WHY_NOT_AUTOMATIC.get(name, "has no safe automatic fix — try the steps by hand")
        reasons.append(f"{issue_label(name)} {why}")
    return AutoFix(recipe=recipe, note=f"Auto-fix has nothing to change: {'; '.join(reasons)}.")


def resize_limit(preview_shape: tuple[int, ...]) -> int:
    """The largest long side (px) a Resize step may take on the image entering it, given as that
    image's preview shape, so the result stays within the engine's pixel limit at full resolution.

    A resize sets an absolute size, so only the aspect ratio counts; the preview's is rounded to
    its pixels, so a pixel of slack either way keeps the limit safe for the full-size image too.
    """
    long, short = max(preview_shape[:2]), min(preview_shape[:2])
    # A little squarer (more pixels for a long side), but never past square: no image is squarer.
    short, long = (short + 1, long - 1) if short + 1 < long - 1 else (long, long)
    return max_resize_long_side((short, long), max_pixels=MAX_OUTPUT_PIXELS)


def full_size_problem(record: ImageRecord, *, preview: np.ndarray, result: np.ndarray, recipe: Recipe) -> str | None:
    """Why ``result`` (``preview`` after ``recipe``) cannot be rendered at full resolution, or None:
    a recipe that fits the preview can still exceed the pixel limit at full size (see
    :func:`_full_size`)."""
    width, height = _full_size(record, preview=preview, result=result, recipe=recipe)
    pixels = width * height
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


def save_fixed_version(store: Store, record: ImageRecord, recipe: Recipe, *, created_by: str) -> SavedVersion:
    """Render ``recipe`` at full resolution, store it as a new version of the image and put it in
    the review queue; if a version of this image already has exactly those bytes, return it instead.

    The key is the output's sha256, as uploads are deduplicated, not (parent version, recipe):
    reviewers should never be handed the same picture twice, and different recipes can give the same
    pixels (a gamma of 1, a resize to the size it has), while one recipe can give new pixels after
    an engine change, which is a new result worth reviewing.
    """
    pixels = recipe.apply(full_resolution(store, record))
    return save_optimized(store, record.version_id, pixels, recipe, created_by=created_by, submit=True)
