import math

import numpy as np

from core.engine.recipe import Recipe, Step
from core.services.optimize import (
    auto_fix,
    difference_image,
    estimate_score,
    full_resolution,
    render_jpeg,
    save_fixed_version,
    similarity,
)
from core.services.profiles import get_profile
from core.store.queries import list_images, versions_of
from core.store.reviews import next_in_queue
from core.vocabulary import ANALYSIS_LONG_SIDE


def _dark(store):
    return next(r for r in list_images(store) if r.file_name == "cup_underexposed.jpg")


def _preview(store, rec):
    from core.engine.measures import to_analysis_scale

    return to_analysis_scale(full_resolution(store, rec), long_side=ANALYSIS_LONG_SIDE)


def test_the_fix_raises_the_estimated_score(seeded):
    rec = _dark(seeded)
    pix = _preview(seeded, rec)
    profile = get_profile(seeded, "generic")
    same = estimate_score(rec, preview=pix, result=pix, profile=profile)
    assert "dark" in same.still_flagged  # the unchanged preview keeps the file's problems
    fixed = auto_fix(rec).apply(pix)
    better = estimate_score(rec, preview=pix, result=fixed, profile=profile)
    assert better.score > rec.score and math.isclose(better.change, better.score - rec.score)
    assert "dark" not in better.still_flagged


def test_padding_a_dark_photo_to_square_does_not_pass_for_a_fix(seeded):
    """White bars reach white: measured on the whole canvas they would "fix" the darkness."""
    rec = _dark(seeded)
    pix = _preview(seeded, rec)
    profile = get_profile(seeded, "generic")
    crop = Step("crop", {"left": 0.0, "right": 0.0, "top": 0.15, "bottom": 0.15}).validated()
    landscape = Recipe((crop,)).apply(pix)
    padded = Recipe((crop, Step("pad_square", {"margin": 0.0}).validated())).apply(pix)
    assert padded.shape[0] == padded.shape[1] > landscape.shape[0]
    before = estimate_score(rec, preview=pix, result=landscape, profile=profile)
    after = estimate_score(rec, preview=pix, result=padded, profile=profile)
    assert "dark" in before.still_flagged and "dark" in after.still_flagged, after.still_flagged
    assert abs(after.score - before.score) < 3, (before.score, after.score)


def test_a_crop_is_estimated_at_the_cropped_size(seeded):
    rec = _dark(seeded)
    pix = _preview(seeded, rec)
    cropped = Recipe((Step("crop", {"left": 0.4, "right": 0.4, "top": 0.4, "bottom": 0.4}).validated(),)).apply(pix)
    profile = get_profile(seeded, "generic")
    est = estimate_score(rec, preview=pix, result=cropped, profile=profile)
    assert "low_resolution" in est.still_flagged  # a fifth of each side left: under the resolution rule


def test_cropping_a_product_on_white_is_estimated_without_changing_its_focus(seeded):
    """The original's focus is compared on its own product mask, whatever size the crop leaves."""
    rec = next(r for r in list_images(seeded) if r.file_name == "cup_on_white.jpg")
    pix = _preview(seeded, rec)
    crop = Recipe((Step("crop", {"left": 0.05, "right": 0.05, "top": 0.02, "bottom": 0.02}).validated(),)).apply(pix)
    assert crop.shape != pix.shape
    est = estimate_score(rec, preview=pix, result=crop, profile=get_profile(seeded, "generic"))
    assert "blurry" not in est.still_flagged and abs(est.change) < 5


def test_similarity_only_for_the_same_framing(photo):
    small = photo[:256, :256].copy()
    same = similarity(small, small)
    assert same is not None and same.ssim == 1.0 and math.isinf(same.psnr) and same.delta_e == 0.0
    brighter = np.clip(small.astype(int) + 20, 0, 255).astype(np.uint8)
    moved = similarity(small, brighter)
    assert moved.ssim < 1.0 and moved.psnr < 40 and moved.delta_e > 1.0
    assert similarity(small, small[:200]) is None and difference_image(small, small[:200]) is None
    assert difference_image(small, brighter).shape == small.shape


def test_a_crop_then_a_pad_back_to_the_same_size_is_not_compared_pixel_by_pixel(photo):
    small = photo[:256, :256].copy()
    recipe = Recipe(
        (
            Step("crop", {"left": 0.15, "right": 0.0, "top": 0.0, "bottom": 0.0}).validated(),
            Step("pad_square", {"margin": 0.0}).validated(),
        )
    )
    reframed = recipe.apply(small)
    assert reframed.shape == small.shape and recipe.changes_geometry  # same size, other framing
    assert similarity(small, reframed, reframed=recipe.changes_geometry) is None
    assert difference_image(small, reframed, reframed=recipe.changes_geometry) is None


def test_save_renders_at_full_resolution_and_queues_it(seeded):
    rec = _dark(seeded)
    recipe = auto_fix(rec)
    assert render_jpeg(seeded, rec, recipe)[:2] == b"\xff\xd8"
    new_id = save_fixed_version(seeded, rec, recipe, created_by="mia")
    saved = versions_of(seeded, rec.image_id)[-1]
    assert saved.version_id == new_id and saved.kind == "optimized" and saved.width == rec.width
    assert Recipe.from_json(saved.recipe_json) == recipe
    queued = set()
    item = next_in_queue(seeded, "rita", order="oldest")
    while item is not None and item.version_id not in queued:
        queued.add(item.version_id)
        item = next_in_queue(seeded, "rita", order="oldest", skip=tuple(queued))
    assert new_id in queued


def test_an_empty_recipe_changes_nothing_and_before_is_the_stored_score(seeded):
    """One measuring path: the preview the page shows measures exactly as the stored score did,
    including the file facts a preview cannot see (JPEG quality, blocking, grain)."""
    from core.store.blobs import display_pixels

    profile = get_profile(seeded, "generic")
    for rec in list_images(seeded, profile="generic"):
        pix = display_pixels(seeded, rec.sha256, rec.blob_path, side=ANALYSIS_LONG_SIDE)
        est = estimate_score(rec, preview=pix, result=Recipe(()).apply(pix), profile=profile)
        assert est.change == 0.0, rec.file_name
        assert est.before == rec.score and est.score == rec.score, (rec.file_name, est, rec.score)


def test_heavy_jpeg_keeps_its_compression_finding_in_the_estimate(seeded):
    rec = next(r for r in list_images(seeded, profile="generic") if r.file_name == "coffee_heavy_jpeg.jpg")
    pix = _preview(seeded, rec)
    est = estimate_score(rec, preview=pix, result=pix, profile=get_profile(seeded, "generic"))
    assert "compression_artifacts" in est.still_flagged and est.change == 0.0


def test_a_recipe_too_large_at_full_size_is_refused_before_rendering(seeded):
    from core.services.optimize import full_size_problem

    rec = _dark(seeded)
    pix = _preview(seeded, rec)
    assert full_size_problem(rec, preview=pix, result=pix) is None
    upscaled = Recipe((Step("resize", {"long_side": 6000}).validated(),)).apply(pix)  # 6x: ~90 MP at full size
    problem = full_size_problem(rec, preview=pix, result=upscaled)
    assert problem is not None and "limit is 50 MP" in problem
