import cv2
import numpy as np
import pytest

from core.engine.assess import analyze, assess
from core.engine.autofix import auto_recipe
from core.engine.compare import mean_color_difference, ssim
from core.engine.loading import load_image
from core.engine.profiles import load_profile
from core.engine.recipe import Recipe, RecipeError, Step
from tests.conftest import encode

GENERIC = load_profile("generic")


def test_recipe_json_roundtrip_fills_defaults():
    r = Recipe.from_json('{"steps": [{"op": "gamma", "params": {"gamma": 0.8}}, {"op": "clahe"}]}')
    assert r.steps[0] == Step("gamma", {"gamma": 0.8})
    assert r.steps[1].params == {"clip_limit": 2.0, "tiles": 8}
    assert Recipe.from_json(r.to_json()) == r


@pytest.mark.parametrize(
    "text,msg",
    [
        ("{", "not valid JSON"),
        ('{"steps": [{"op": "sepia"}]}', "unknown operation"),
        ('{"steps": [{"op": "gamma", "params": {"gamma": "x"}}]}', "must be a number"),
        ('{"steps": [{"params": {}}]}', "needs an 'op'"),
        ('{"version": 99, "steps": []}', "newer"),
    ],
)
def test_bad_recipes(text, msg):
    with pytest.raises(RecipeError, match=msg):
        Recipe.from_json(text)


def test_recipe_apply_in_order(photo):
    r = Recipe((Step("gamma", {"gamma": 0.5}), Step("pad_square")))
    out = r.apply(photo[:300])
    assert out.shape == (512, 512, 3) and r.changes_geometry


def test_recipe_applied_from_a_kept_intermediate_equals_the_whole_run(photo):
    r = Recipe((Step("gamma", {"gamma": 0.7}), Step("unsharp_mask", {"amount": 1.2}), Step("pad_square")))
    head = Recipe(r.steps[:2]).apply(photo[:300])
    assert np.array_equal(r.apply(head, start=2), r.apply(photo[:300]))
    with pytest.raises(RecipeError, match="step 3 \\(resize\\)"):  # numbered as in the whole recipe
        Recipe((*r.steps[:2], Step("resize", {"long_side": 5000}))).apply(head, start=2, max_pixels=10**6)


def _fix(rgb):
    a = assess(analyze(load_image(encode(rgb))), GENERIC)
    recipe = auto_recipe(a.metrics, a.issues)
    return a, recipe, recipe.apply(rgb)


def test_autofix_leaves_good_photo_unchanged(photo):
    good = cv2.resize(photo, (1200, 1200), interpolation=cv2.INTER_CUBIC)
    a, recipe, out = _fix(good)
    assert recipe.steps == () and ssim(good, out) >= 0.98


@pytest.mark.parametrize(
    "name,degrade",
    [
        ("dark", lambda a: (a * 0.3).astype(np.uint8)),
        ("overexposed", lambda a: np.clip(a * 0.8 + 110, 0, 255).astype(np.uint8)),
        ("low_contrast", lambda a: (a * 0.3 + 95).astype(np.uint8)),
        ("noisy", lambda a: np.clip(a + np.random.default_rng(3).normal(0, 25, a.shape), 0, 255).astype(np.uint8)),
    ],
)
def test_autofix_clearly_improves(photo, name, degrade):
    clean = cv2.resize(photo, (1200, 1200), interpolation=cv2.INTER_CUBIC)
    bad = degrade(clean)
    a, recipe, fixed = _fix(bad)
    assert name in a.issue_names
    assert ssim(clean, fixed) > ssim(clean, bad) + 0.05, recipe


def test_autofix_undoes_under_exposure_without_crushing_shadows(product):
    """Under-exposure scales every level toward black: the fix is a gain, so shadows that were
    never black come back where they were (a stretch to black would crush them)."""
    clean = np.clip(product.astype(np.float32) * 0.8 + 30, 0, 255).astype(np.uint8)  # shadows at ~30
    bad = np.rint(clean * 0.35).astype(np.uint8)
    a, recipe, fixed = _fix(bad)
    assert "dark" in a.issue_names
    assert ssim(clean, fixed) > 0.98, recipe


def _night_sky() -> np.ndarray:
    """A low-key scene: a dark blue-black sky with a few bright stars and a lit moon."""
    rng = np.random.default_rng(5)
    sky = np.clip(rng.normal(14, 3, (900, 1200, 3)) + np.array([0, 2, 8]), 0, 255).astype(np.uint8)
    for x, y in rng.integers(20, 880, (60, 2)):
        cv2.circle(sky, (int(x) + 150, int(y)), int(rng.integers(2, 5)), (250, 245, 230), -1, cv2.LINE_AA)
    cv2.circle(sky, (900, 250), 70, (235, 232, 220), -1, cv2.LINE_AA)
    return sky


def test_autofix_restores_a_darkened_low_key_scene_without_lifting_its_night():
    """Once its brightest tones are white again a darkened night scene is restored: its dark sky
    is the scene's own, and lifting it toward a mid-grey mean (as a gamma did) ruined it."""
    clean = _night_sky()
    bad = np.rint(clean * 0.25).astype(np.uint8)
    a, recipe, fixed = _fix(bad)
    assert "dark" in a.issue_names
    assert ssim(clean, fixed) > 0.95, recipe
    assert "dark" not in assess(analyze(load_image(encode(fixed, "PNG"))), GENERIC).issue_names


def test_autofix_stretches_once_when_washed_out_and_flat():
    from core.engine.autofix import auto_recipe

    metrics = {"black_level": 150.0, "subject_brightness": 200.0, "brightness": 210.0}
    recipe = auto_recipe(metrics, ["overexposed", "low_contrast"])
    assert [s.op for s in recipe.steps] == ["contrast_stretch"]


def test_autofix_improves_color_cast(product):
    bad = np.clip(product * np.array([1.0, 0.92, 0.72]), 0, 255).astype(np.uint8)
    a, recipe, fixed = _fix(bad)
    assert "color_cast" in a.issue_names
    assert mean_color_difference(product, fixed) < 0.5 * mean_color_difference(product, bad)


def test_geometry_steps_only_when_asked(product):
    amazon = load_profile("amazon")
    small = np.full((2400, 2400, 3), 255, np.uint8)
    small[900:1500, 700:1700] = cv2.resize(product[240:960, 50:1150], (1000, 600))
    a = assess(analyze(load_image(encode(small))), amazon)
    assert "small_product" in a.issue_names
    assert not auto_recipe(a.metrics, a.issues).changes_geometry
    assert [s.op for s in auto_recipe(a.metrics, a.issues, geometry=True).steps][-2:] == ["autocrop", "pad_square"]


@pytest.mark.parametrize("large", [1400, 1800])
def test_autofix_denoises_the_same_grain_equally_hard_at_any_size(photo, large):
    """Grain of one strength per pixel gets one applied strength, whatever the photo's size: the
    recipe's h is at preview scale and the operation scales it up with the image; where grain was
    measured at full size the two must not compound (an 1800-px photo was smoothed 1.8x harder)."""
    from core.engine.operations import noise_scale

    def applied_h(side: int) -> float:
        clean = cv2.resize(photo, (side, side), interpolation=cv2.INTER_CUBIC)
        grain = np.random.default_rng(side).normal(0, 12, clean.shape)
        noisy = np.clip(clean + grain, 0, 255).astype(np.uint8)
        a = assess(analyze(load_image(encode(noisy, "PNG"))), GENERIC)
        assert "noisy" in a.issue_names
        (step,) = [s for s in auto_recipe(a.metrics, a.issues).steps if s.op == "denoise_nlmeans"]
        return step.params["h"] * noise_scale(side)

    small, big = applied_h(900), applied_h(large)
    assert 0.8 < big / small < 1.25, (small, big)
