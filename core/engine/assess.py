"""One call from file to verdict: decode, measure, hash, check duplicates, score."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

import numpy as np

from core.engine import ENGINE_VERSION
from core.engine.checks import Issue, assess_metrics
from core.engine.duplicates import DuplicateIndex, Match, color_layout, phash
from core.engine.foreground import Foreground, find_foreground
from core.engine.loading import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, ImageInfo, LoadedImage, load_image
from core.engine.measures import FILE_FACTS, luma, measure, measure_pixels, noise_sigma, photo_region, sharpness
from core.engine.profiles import Profile
from core.vocabulary import ANALYSIS_LONG_SIDE

__all__ = [
    "DUPLICATE_METRICS",
    "Analysis",
    "Assessment",
    "PreviewDetail",
    "analyze",
    "analyze_preview",
    "assess",
    "assess_file",
    "at_source_resolution",
    "judged_long_side",
    "mark_duplicates",
    "preview_detail",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    """Everything measured about an image that does not depend on a profile.

    ``phash`` and ``colors`` (see :mod:`core.engine.duplicates`) find the same photo elsewhere;
    ``engine_version`` is the measuring version, so stored measurements can be told stale.
    """

    info: ImageInfo
    metrics: dict[str, float]
    phash: str
    product_bbox: tuple[float, float, float, float]  # fractions of width/height: x0, y0, x1, y1
    has_backdrop: bool
    colors: str = ""
    engine_version: str = ENGINE_VERSION


@dataclass(frozen=True, slots=True)
class Assessment:
    """An image judged under one profile."""

    key: str
    analysis: Analysis
    profile: str
    score: float
    issues: tuple[Issue, ...]
    contributions: dict[str, float]
    duplicate_of: str | None = None
    engine_version: str = ENGINE_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, float]:
        return self.analysis.metrics

    @property
    def issue_names(self) -> list[str]:
        return [i.name for i in self.issues]


def _analysis(info: ImageInfo, metrics: dict[str, float], fg: Foreground, analysis_rgb: np.ndarray) -> Analysis:
    h, w = fg.mask.shape
    x0, y0, x1, y1 = fg.bbox
    # A padded copy of a photo is the same photo: compared without its padding.
    photo = photo_region(analysis_rgb) if metrics.get("padding", 0.0) > 0 else analysis_rgb
    return Analysis(
        info=info,
        metrics=metrics,
        phash=phash(photo),
        colors=color_layout(photo),
        product_bbox=(x0 / w, y0 / h, x1 / w, y1 / h),
        has_backdrop=fg.has_backdrop,
    )


def analyze(image: LoadedImage) -> Analysis:
    """Measure a decoded image (profile-independent; the expensive part)."""
    metrics, fg, analysis_rgb = measure(image)
    return _analysis(image.info, metrics, fg, analysis_rgb)


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviewDetail:
    """Grain (``noise_sigma``, grey levels) and focus (``sharpness``, 0-100, NaN when there are too
    few edges) of an untouched preview, measured at its own scale on its own product: what a
    recipe's change to them is measured against (see :func:`analyze_preview`)."""

    grain: float
    focus: float


def preview_detail(preview: np.ndarray) -> PreviewDetail:
    """Measure :class:`PreviewDetail` on ``preview`` (RGB uint8 at analysis scale), inside any
    padding (see :func:`core.engine.measures.photo_box`), as the stored measurement is."""
    preview = photo_region(preview)
    y = luma(preview)
    fg = find_foreground(preview)
    return PreviewDetail(grain=noise_sigma(y), focus=sharpness(y, fg.mask if fg.has_backdrop else None))


def analyze_preview(
    preview: np.ndarray,
    stored: Analysis,
    *,
    original_preview: np.ndarray | None = None,
    original_detail: PreviewDetail | None = None,
    width: int | None = None,
    height: int | None = None,
) -> Analysis:
    """Measure an analysis-scale preview the way the stored measurement was made.

    Pixel metrics are measured on ``preview`` (RGB uint8, long side at most the analysis size:
    the scale every stored measurement is made at), and the file facts (JPEG quality, blocking
    on the encoder's grid, file size) are carried over from ``stored``, because a preview has no
    file. Grain and focus are among them (both are measured finer than the preview); when
    ``original_preview`` (the untouched image at analysis scale, which a crop or resize may have
    changed in size) is given, the stored values are scaled by how much the recipe changed them
    from ``original_preview`` to ``preview``. ``original_detail`` is
    ``preview_detail(original_preview)`` when the caller already has it (a slider re-estimates
    many results of one original). ``width``/``height`` give the size of the file the preview
    stands for when a recipe changed it. The original's own preview therefore measures exactly
    as stored, so a "before" and an "after" made this way differ only by what the recipe did.
    """
    metrics, fg = measure_pixels(preview)
    # File facts, and whatever else was stored beside the pixel metrics (the duplicate findings).
    facts = {k: v for k, v in stored.metrics.items() if k not in metrics}
    facts.update({k: stored.metrics.get(k, math.nan) for k in FILE_FACTS})
    if original_preview is not None and not (
        original_preview.shape == preview.shape and np.array_equal(original_preview, preview)
    ):
        was = original_detail or preview_detail(original_preview)
        after = noise_sigma(luma(photo_region(preview)))
        facts["noise_sigma"] = facts["noise_sigma"] * (after + 0.5) / (was.grain + 0.5)
        # Focus likewise: the file's own (finer) sharpness, scaled by what the recipe did to it.
        now = metrics["sharpness"]
        if math.isfinite(was.focus) and math.isfinite(now) and math.isfinite(facts["sharpness"]):
            facts["sharpness"] = min(100.0, facts["sharpness"] * now / max(was.focus, 1.0))
        else:
            facts["sharpness"] = now
    if width is not None and height is not None:
        facts.update(
            width=float(width),
            height=float(height),
            long_side=float(max(width, height)),
            megapixels=width * height / 1e6,
            aspect_ratio=max(width, height) / max(1, min(width, height)),
        )
    return _analysis(stored.info, {**metrics, **facts}, fg, preview)


#: The metrics :func:`mark_duplicates` sets: what comparing with the catalogue found.
DUPLICATE_METRICS: Final = ("exact_duplicate", "hash_distance", "color_distance")


def judged_long_side(metrics: Mapping[str, float], *, width: int, height: int) -> float:
    """The long side (px) an image is judged at: its measured ``long_side`` (which an enlarged fix
    keeps at its source's, see :func:`at_source_resolution`), else its pixels' long side; NaN when
    neither is known. Saving a fix and the Optimize page's estimate both ask this of the source."""
    judged = float(metrics.get("long_side", math.nan))
    if math.isfinite(judged):
        return judged
    return float(max(width or 0, height or 0) or math.nan)


def at_source_resolution(analysis: Analysis, *, source_long_side: float) -> Analysis:
    """``analysis`` of an image made from another (a fixed version from its original) with its
    resolution judged as the source's where it was enlarged past it: enlarging adds pixels, not
    detail. A 600-px photo enlarged to 8642 px on Optimize scored 100 and passed the resolution
    checks; judged by what it holds, it is still a 600-px photo.

    ``long_side`` becomes ``source_long_side`` (px, the source's own judged long side) and
    ``megapixels`` shrinks with it; ``width`` and ``height`` stay the file's, so the two can be
    told apart (see :func:`core.engine.wording.enlarged_note`). Unchanged where the image is no
    larger than its source, or either size is unknown.
    """
    long_side = analysis.metrics.get("long_side", math.nan)
    if not (math.isfinite(long_side) and math.isfinite(source_long_side)) or long_side <= source_long_side:
        return analysis
    shrink = source_long_side / long_side
    metrics = dict(analysis.metrics)
    metrics["long_side"] = float(source_long_side)
    metrics["megapixels"] = metrics.get("megapixels", math.nan) * shrink * shrink
    return replace(analysis, metrics=metrics)


def mark_duplicates(
    analysis: Analysis, key: str, duplicates: DuplicateIndex, *, label: str = ""
) -> tuple[Analysis, Match | None]:
    """Compare ``analysis`` with the images already in ``duplicates`` (then add it as ``label``).

    Returns the analysis with ``exact_duplicate``, ``hash_distance`` and ``color_distance`` set,
    and the earlier image it duplicates (the same bytes, or the same photo: see
    :class:`core.engine.duplicates.Match`), if any. ``hash_distance`` is the distance to that
    image (64 when no earlier image is the same photo), so the near-duplicate rule speaks only of
    the same photo, never of another colour or angle that merely shares its layout.
    """
    match = duplicates.check_and_add(key, analysis.info.sha256, analysis.phash, analysis.colors, label=label or key)
    same = match if match is not None and match.same_photo else None
    metrics = dict(analysis.metrics)
    metrics["exact_duplicate"] = 1.0 if same is not None and same.exact else 0.0
    metrics["hash_distance"] = float(same.distance) if same is not None else 64.0
    metrics["color_distance"] = float(same.color_distance) if same is not None else math.nan
    return replace(analysis, metrics=metrics), same


def assess(
    analysis: Analysis,
    profile: Profile,
    *,
    key: str = "",
    label: str = "",
    duplicates: DuplicateIndex | None = None,
    other: str = "",
) -> Assessment:
    """Score an :class:`Analysis` under ``profile``.

    If ``duplicates`` is given, the image is compared with those already in it and then added
    (named ``label``, default ``key``, in later messages), so the first of a set of duplicates
    is the original and later ones are flagged with the earlier one's name. ``other`` names the
    earlier image in duplicate messages when the comparison was made elsewhere (a stored score).
    """
    match = None
    if duplicates is not None:
        analysis, match = mark_duplicates(analysis, key, duplicates, label=label)
    metrics = dict(analysis.metrics)
    metrics.setdefault("exact_duplicate", math.nan)  # not compared: the duplicate rules are skipped
    metrics.setdefault("hash_distance", math.nan)
    result = assess_metrics(metrics, profile, other=(match.label if match is not None else other))
    return Assessment(
        key=key,
        analysis=replace(analysis, metrics=metrics),
        profile=profile.name,
        score=result.score,
        issues=result.issues,
        contributions=result.contributions,
        duplicate_of=match.key if match is not None else None,
    )


def assess_file(
    source: bytes | str | os.PathLike[str],
    profile: Profile,
    *,
    key: str = "",
    duplicates: DuplicateIndex | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Assessment:
    """Decode (reduced where the format allows), measure and score one file.

    Raises :class:`core.engine.loading.ImageLoadError` for unusable input.
    """
    image = load_image(source, max_pixels=max_pixels, max_bytes=max_bytes, reduce_to=ANALYSIS_LONG_SIDE)
    name = key or str(source if not isinstance(source, bytes) else "")
    return assess(analyze(image), profile, key=name, label=os.path.basename(name), duplicates=duplicates)
