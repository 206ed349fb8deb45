"""One call from file to verdict: decode, measure, hash, check duplicates, score."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.engine import ENGINE_VERSION
from core.engine.checks import Issue, evaluate
from core.engine.duplicates import NEAR_DUPLICATE_BITS, DuplicateIndex, phash
from core.engine.loading import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, ImageInfo, LoadedImage, load_image
from core.engine.measures import measure
from core.engine.profiles import Profile
from core.vocabulary import ANALYSIS_LONG_SIDE

__all__ = ["Analysis", "Assessment", "analyse", "assess", "assess_array", "assess_file", "mark_duplicates"]


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything measured about an image that does not depend on a profile."""

    info: ImageInfo
    metrics: dict[str, float]
    phash: str
    product_bbox: tuple[float, float, float, float]  # fractions of width/height: x0, y0, x1, y1
    has_backdrop: bool


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


def analyse(image: LoadedImage) -> Analysis:
    """Measure a decoded image (profile-independent; the expensive part)."""
    metrics, fg, analysis_rgb = measure(image)
    h, w = fg.mask.shape
    x0, y0, x1, y1 = fg.bbox
    return Analysis(
        info=image.info,
        metrics=metrics,
        phash=phash(analysis_rgb),
        product_bbox=(x0 / w, y0 / h, x1 / w, y1 / h),
        has_backdrop=fg.has_backdrop,
    )


def mark_duplicates(analysis: Analysis, key: str, duplicates: DuplicateIndex) -> tuple[Analysis, str | None]:
    """Compare ``analysis`` with the images already in ``duplicates`` (then add it).

    Returns the analysis with ``exact_duplicate`` and ``hash_distance`` set, and the key of the
    earlier image it duplicates (exactly, or within :data:`NEAR_DUPLICATE_BITS`), if any.
    """
    match = duplicates.check_and_add(key, analysis.info.sha256, analysis.phash)
    metrics = dict(analysis.metrics)
    metrics["exact_duplicate"] = 1.0 if match and match.exact else 0.0
    metrics["hash_distance"] = float(match.distance) if match else 64.0
    duplicate_of = match.key if match is not None and (match.exact or match.distance <= NEAR_DUPLICATE_BITS) else None
    marked = Analysis(analysis.info, metrics, analysis.phash, analysis.product_bbox, analysis.has_backdrop)
    return marked, duplicate_of


def assess(
    analysis: Analysis,
    profile: Profile,
    *,
    key: str = "",
    duplicates: DuplicateIndex | None = None,
) -> Assessment:
    """Score an :class:`Analysis` under ``profile``.

    If ``duplicates`` is given, the image is compared with those already in it and then added,
    so the first of a set of duplicates is the original and later ones are flagged.
    """
    duplicate_of = None
    if duplicates is not None:
        analysis, duplicate_of = mark_duplicates(analysis, key, duplicates)
    metrics = dict(analysis.metrics)
    metrics.setdefault("exact_duplicate", math.nan)  # not compared: the duplicate rules are skipped
    metrics.setdefault("hash_distance", math.nan)
    result = evaluate(metrics, profile)
    scored = Analysis(analysis.info, metrics, analysis.phash, analysis.product_bbox, analysis.has_backdrop)
    return Assessment(key=key, analysis=scored, profile=profile.name, score=result.score, issues=result.issues,
                      contributions=result.contributions, duplicate_of=duplicate_of)


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
    return assess(analyse(image), profile, key=key or str(source if not isinstance(source, bytes) else ""),
                  duplicates=duplicates)


def assess_array(rgb: np.ndarray, profile: Profile, *, width: int, height: int, file_size: int,
                 fmt: str = "JPEG", jpeg_quality: int | None = None) -> Assessment:
    """Score pixels that are not (yet) a file, e.g. the preview of an optimized image.

    ``width``/``height``/``file_size`` describe the file the pixels stand for (resolution and
    size checks use them); ``rgb`` may be a reduced preview of it.
    """
    from core.engine.loading import sha256_of

    info = ImageInfo(format=fmt, mode="RGB", width=width, height=height, file_size=file_size, bit_depth=8,
                     had_transparency=False, exif_orientation=1, jpeg_quality=jpeg_quality,
                     sha256=sha256_of(rgb.tobytes()), icc_converted=False, frames=1)
    scale = max(rgb.shape[:2]) / max(width, height)
    return assess(analyse(LoadedImage(pixels=rgb, info=info, scale=scale)), profile)
