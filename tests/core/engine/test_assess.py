import math

import cv2
import numpy as np
import pytest

from core.engine.assess import analyze, analyze_preview, preview_detail
from core.engine.loading import load_image
from core.engine.measures import to_analysis_scale
from tests.conftest import encode
from tests.core.engine.test_judgement import garment


@pytest.fixture(scope="module")
def stored_and_preview():
    # 1600 px: focus is stored at full size, finer than the 1024-px preview.
    image = load_image(encode(garment((70, 90, 150), size=1600), "JPEG", quality=92))
    return analyze(image), to_analysis_scale(image.pixels)


def test_the_untouched_preview_keeps_the_stored_focus_and_grain(stored_and_preview):
    stored, preview = stored_and_preview
    same = analyze_preview(preview, stored, original_preview=preview)
    assert same.metrics["sharpness"] == stored.metrics["sharpness"]
    assert same.metrics["noise_sigma"] == stored.metrics["noise_sigma"]


def test_a_recipe_that_blurs_or_sharpens_moves_the_stored_focus(stored_and_preview):
    stored, preview = stored_and_preview
    blurred = analyze_preview(cv2.GaussianBlur(preview, (0, 0), 2.0), stored, original_preview=preview)
    assert blurred.metrics["sharpness"] < 0.8 * stored.metrics["sharpness"]
    soft = load_image(encode(cv2.GaussianBlur(garment((70, 90, 150), size=1600), (0, 0), 2.5), "PNG"))
    soft_stored, soft_preview = analyze(soft), to_analysis_scale(soft.pixels)
    unsharp = cv2.addWeighted(soft_preview, 2.0, cv2.GaussianBlur(soft_preview, (0, 0), 1.5), -1.0, 0)
    sharpened = analyze_preview(unsharp, soft_stored, original_preview=soft_preview)
    assert sharpened.metrics["sharpness"] > soft_stored.metrics["sharpness"]


def test_a_recipe_that_crops_a_product_on_white_is_estimated(stored_and_preview):
    """The original's focus is measured on its own product: a crop changes the preview's size."""
    stored, preview = stored_and_preview
    cropped = preview[60:-60, 90:-90].copy()
    est = analyze_preview(cropped, stored, original_preview=preview, width=1400, height=1440)
    assert est.metrics["sharpness"] == pytest.approx(stored.metrics["sharpness"], rel=0.1)
    assert est.metrics["width"] == 1400.0


def test_a_given_original_detail_equals_measuring_it(stored_and_preview):
    stored, preview = stored_and_preview
    blurred = cv2.GaussianBlur(preview, (0, 0), 1.5)
    measured = analyze_preview(blurred, stored, original_preview=preview)
    given = analyze_preview(blurred, stored, original_preview=preview, original_detail=preview_detail(preview))
    assert given.metrics == measured.metrics


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize("shape", [(1, 1), (1, 1200), (1200, 1), (2, 1), (8, 3000)])
def test_an_image_one_pixel_thin_is_scored_not_a_crash(shape, fmt):
    """A 1-px line (a spacer GIF, a broken export) is a legal file: it gets a score and the flags
    it earns, like any other, rather than stopping the upload it came in."""
    from core.engine.assess import assess_file
    from core.engine.profiles import load_profile

    rgb = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
    result = assess_file(encode(rgb, fmt), load_profile("generic"))
    assert 0.0 <= result.score <= 100.0
    assert result.issue_names  # too small, too thin or both: never a clean bill


def test_an_enlarged_image_is_judged_at_its_sources_resolution(stored_and_preview):
    """Enlarging adds pixels, not detail: a 600-px source enlarged to 2400 px keeps 600 px for the
    resolution checks (its megapixels shrink alike, its width and height stay the file's)."""
    from dataclasses import replace

    from core.engine.assess import at_source_resolution
    from core.engine.wording import enlarged_note

    stored, _ = stored_and_preview
    big = replace(
        stored, metrics={**stored.metrics, "width": 2400.0, "height": 1800.0, "long_side": 2400.0, "megapixels": 4.32}
    )
    judged = at_source_resolution(big, source_long_side=600.0)
    assert (judged.metrics["long_side"], judged.metrics["width"], judged.metrics["height"]) == (600.0, 2400.0, 1800.0)
    assert judged.metrics["megapixels"] == pytest.approx(0.27)
    assert enlarged_note(judged.metrics) == (
        "Enlarged from 600 px to 2400 px on the long side: enlarging adds pixels, not detail, so the resolution "
        "checks judge it at 600 px."
    )
    # No larger than its source, or a source of unknown size: unchanged, and nothing to say.
    for source in (2400.0, 3000.0, float("nan")):
        assert at_source_resolution(big, source_long_side=source) is big
    assert enlarged_note(big.metrics) is None and enlarged_note({}) is None


def test_a_source_is_judged_at_its_measured_long_side_else_at_its_pixels():
    """Saving a fix and the Optimize estimate ask the same question of the source: a fix of an
    enlarged fix keeps the first source's size; a record without the measure falls back to pixels."""
    from core.engine.assess import judged_long_side

    assert judged_long_side({"long_side": 600.0}, width=2400, height=1800) == 600.0
    assert judged_long_side({"long_side": float("nan")}, width=1200, height=1800) == 1800.0
    assert judged_long_side({}, width=900, height=700) == 900.0
    assert math.isnan(judged_long_side({}, width=0, height=0))
