import json

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.engine.compare import mean_color_difference, ssim
from core.engine.operations import OPERATIONS, apply_operation, param_specs


@pytest.fixture(scope="module")
def img(photo):
    return cv2.resize(photo, (320, 240), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_operation_returns_rgb_uint8_and_declares_its_params(img, name):
    op = OPERATIONS[name]
    out = apply_operation(img, name)
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    if not op.geometry:
        assert out.shape == img.shape
    assert img.flags.writeable and out is not img  # never mutates or aliases the input
    for spec in param_specs(op.params):
        assert spec.label
        if spec.kind in ("int", "float"):
            assert spec.min <= spec.default <= spec.max and spec.step > 0
        else:
            assert spec.default in spec.choices


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_operations_do_not_modify_input(img, name):
    before = img.copy()
    apply_operation(img, name)
    assert np.array_equal(img, before)


def test_linear_brightness_contrast_formula(img):
    out = apply_operation(img, "brightness_contrast", {"alpha": 1.5, "beta": -20})
    expected = np.clip(np.rint(1.5 * img.astype(np.float64) - 20), 0, 255)
    assert np.abs(out.astype(int) - expected).max() <= 1


def test_gamma_power_law(img):
    out = apply_operation(img, "gamma", {"gamma": 0.5})
    expected = np.rint(255 * (img / 255.0) ** 0.5)
    assert np.abs(out.astype(int) - expected).max() <= 1


def test_equalize_flattens_luma_histogram_and_keeps_hue():
    rng = np.random.default_rng(0)
    dull = (rng.normal(120, 10, (200, 200, 3))).clip(0, 255).astype(np.uint8)
    out = apply_operation(dull, "equalize")
    y = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)
    assert y.max() - y.min() > 200
    # equal-ish channel means before -> equal-ish after: colours not shifted
    m = out.reshape(-1, 3).mean(axis=0)
    assert np.ptp(m) < 8


def test_contrast_stretch_maps_percentiles(img):
    flat = (img * 0.3 + 90).astype(np.uint8)
    out = apply_operation(flat, "contrast_stretch", {"low": 1, "high": 99})
    y = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)
    lo, hi = np.percentile(y, [1, 99])
    assert lo <= 6 and hi >= 249


def test_contrast_stretch_from_black_is_a_pure_gain(img):
    """``low`` = 0 keeps black where it is: under-exposure (every level scaled down) is undone."""
    dark = np.rint(img * 0.4).astype(np.uint8)
    out = apply_operation(dark, "contrast_stretch", {"low": 0, "high": 100})
    gain = 255.0 / dark.max()  # the brightest channel anywhere comes back to white
    assert np.abs(out.astype(float) - np.clip(np.rint(dark * gain), 0, 255)).max() <= 1
    assert out.min() == dark.min() == 0 or out.min() <= np.ceil(dark.min() * gain)


def test_contrast_stretch_white_point_clips_no_saturated_colour():
    """A deep red product with no white in the frame, darkened: the gain that restores it is
    read on its brightest channel. Read on luminance (about 100 for this red), it drove the red
    channel far past 255 and flattened the product's shading into clipped red."""
    shading = np.tile(np.linspace(0.35, 1.0, 400, dtype=np.float32), (300, 1))[..., None]
    red = np.rint(shading * np.array([225, 40, 30], np.float32)).astype(np.uint8)
    dark = np.rint(red * 0.3).astype(np.uint8)
    out = apply_operation(dark, "contrast_stretch", {"low": 0, "high": 99.5})
    assert np.mean(out[..., 0] == 255) < 0.05  # the top 0.5% of levels, and no more
    assert np.corrcoef(out[..., 0].ravel(), red[..., 0].ravel())[0, 1] > 0.99  # its shading is back


def test_contrast_stretch_shadow_level_spares_scattered_shadows_not_black_areas(img):
    # A washed-out frame (levels 120-230) whose darkest tones are a few scattered deep shadows.
    y = np.tile(np.linspace(120, 230, 320), (240, 1))
    y[::20, ::20] = 100  # 0.25% of the frame
    flat = np.repeat(np.rint(y).astype(np.uint8)[..., None], 3, axis=2)
    lifted = apply_operation(flat, "contrast_stretch", {"low": 0.1, "high": 99.9, "shadow": 12})
    assert 11 <= lifted[0, 0, 0] <= 13  # the darkest 0.1% land at the shadow level, not at black
    framed = flat.copy()
    framed[:, :40] = 100  # the same tone as an area (an eighth of the frame): it was black
    out = apply_operation(framed, "contrast_stretch", {"low": 0.1, "high": 99.9, "shadow": 12})
    assert out[:, :40].max() <= 1


def test_a_dark_garment_washed_out_hard_is_not_taken_for_black():
    """The black-area test counts 3 grey levels of the result, not of the input: washed out by 3,
    a dark garment's shades 19-40 (5% of the frame) fall within 8 input levels, and 3 of them held
    enough of it to read as a black area, so the stretch crushed the garment toward 0 (on the
    catalogue bench's washed-out copies the auto-fix now gains +0.004 SSIM more on average)."""
    y = np.tile(np.linspace(60, 255, 320), (240, 1))
    y[:, :16] = np.linspace(19, 40, 240)[:, None]  # the garment's shading, 5% of the frame
    original = np.repeat(np.rint(y).astype(np.uint8)[..., None], 3, axis=2)
    washed = np.rint(255 - (255 - original.astype(np.float32)) / 3).astype(np.uint8)
    out = apply_operation(washed, "contrast_stretch", {"low": 0.1, "high": 100, "shadow": 12})
    assert abs(int(out[:, :16].min()) - 12) <= 2 and abs(int(out[:, :16].max()) - 40) <= 6  # where it was
    black = washed.copy()
    black[:, :16] = black[:, :16].min()  # one flat tone over the same area: that was black
    assert apply_operation(black, "contrast_stretch", {"low": 0.1, "high": 100, "shadow": 12})[:, :16].max() <= 1


def test_contrast_stretch_shadow_level_works_at_the_default_percentiles():
    """The black-area test looks at the darkest 0.1%, not at the chosen low percentile, so the
    Shadow level slider acts at the default 2% too (it did nothing on most photos before)."""
    y = np.tile(np.linspace(120, 230, 320), (240, 1))
    y[::20, ::20] = 100
    flat = np.repeat(np.rint(y).astype(np.uint8)[..., None], 3, axis=2)
    black = apply_operation(flat, "contrast_stretch", {"shadow": 0})
    lifted = apply_operation(flat, "contrast_stretch", {"shadow": 20})
    at_low = flat[..., 0] == 122  # the 2nd percentile of this frame
    assert black[at_low].max() <= 1 and 18 <= lifted[at_low].min() <= 22


def test_unsharp_matches_independent_computation(img):
    out = apply_operation(img, "unsharp_mask", {"radius": 1.0, "amount": 1.0, "threshold": 0})
    from scipy.ndimage import gaussian_filter

    f = img.astype(np.float64)
    blur = np.stack([gaussian_filter(f[..., c], 1.0, truncate=4.0) for c in range(3)], axis=2)
    expected = np.clip(np.rint(2 * f - blur), 0, 255)
    # Interior only: border handling differs between libraries.
    assert np.abs(out[5:-5, 5:-5].astype(int) - expected[5:-5, 5:-5]).mean() < 0.6


@pytest.mark.parametrize("name", ["denoise_median", "denoise_gaussian", "denoise_bilateral", "denoise_nlmeans"])
def test_denoisers_reduce_noise(img, name):
    noisy = np.clip(img + np.random.default_rng(1).normal(0, 20, img.shape), 0, 255).astype(np.uint8)
    assert ssim(img, apply_operation(noisy, name)) > ssim(img, noisy)


def test_white_balance_removes_a_cast(product):
    tinted = np.clip(product * np.array([1.0, 0.95, 0.8]), 0, 255).astype(np.uint8)
    fixed = apply_operation(tinted, "white_balance")
    assert mean_color_difference(product, fixed) < 0.4 * mean_color_difference(product, tinted)


def test_whiten_background_leaves_product_alone(product):
    grey = product.copy()
    bg = np.all(product == 255, axis=2)
    grey[bg] = (232, 232, 228)
    out = apply_operation(grey, "whiten_background")
    far_bg = cv2.erode(bg.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)  # beyond the soft edge
    assert out[far_bg].min() >= 250 and np.mean(out[bg].min(axis=1) >= 250) > 0.97
    inner = np.zeros_like(bg)
    inner[300:900, 110:1090] = True  # well inside the product
    # Only backdrop-coloured pixels may change: product pixels clearly unlike the backdrop stay.
    unlike = np.abs(product.astype(int) - (232, 232, 228)).max(axis=2) > 45
    unlike = cv2.erode((unlike & inner).astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    assert np.abs(out[unlike].astype(int) - product[unlike]).max() <= 2


def test_autocrop_and_pad_square(product):
    cropped = apply_operation(product, "autocrop", {"margin": 0.0})
    assert cropped.shape[0] < product.shape[0] and abs(cropped.shape[1] - 1100) < 20
    squared = apply_operation(cropped, "pad_square")
    assert squared.shape[0] == squared.shape[1] == max(cropped.shape[:2])
    assert (squared[0, 0] == 255).all()


def test_resize_down_and_up(img):
    assert apply_operation(img, "resize", {"long_side": 160}).shape == (120, 160, 3)
    assert apply_operation(img, "resize", {"long_side": 640}).shape == (480, 640, 3)


def test_bad_parameters_are_refused_clearly(img):
    with pytest.raises(ValueError, match="outside"):
        apply_operation(img, "gamma", {"gamma": 99})
    with pytest.raises(ValueError, match="unknown parameter"):
        apply_operation(img, "gamma", {"gama": 1})
    with pytest.raises(ValueError, match="unknown operation"):
        apply_operation(img, "sepia")
    with pytest.raises(TypeError):
        apply_operation(img.astype(np.float32), "gamma")


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(sorted(n for n, o in OPERATIONS.items() if not o.geometry)), st.integers(0, 2**31 - 1))
def test_identity_settings_keep_shape_and_range(name, seed):
    rgb = np.random.default_rng(seed).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    out = apply_operation(rgb, name)
    assert out.shape == rgb.shape and out.dtype == np.uint8
    json.dumps({s.name: s.default for s in OPERATIONS[name].specs})  # defaults are JSON-able


@pytest.mark.parametrize("name", ["contrast_stretch", "equalize", "white_balance"])
@pytest.mark.parametrize("fill", [(255, 255, 255), (0, 0, 0)])
def test_tone_and_colour_fixes_read_the_photo_not_its_padding(img, name, fill):
    """Padded to a square, a flat, tinted photo gets the same fix as without its bands."""
    flat = np.clip(img * np.array([0.45, 0.42, 0.33]) + 70, 0, 255).astype(np.uint8)  # 320 x 240: landscape
    padded = cv2.copyMakeBorder(flat, 40, 40, 0, 0, cv2.BORDER_CONSTANT, value=fill)
    alone = apply_operation(flat, name)
    inside = apply_operation(padded, name)[40:280]
    assert np.abs(alone.astype(int) - inside).max() <= 2, name
    assert np.abs(alone.astype(int) - flat).max() > 20  # the fix does something


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_operation_has_a_plain_one_sentence_summary(name):
    """What the recipe list shows a merchandiser: one whole sentence, no code notation (the
    docstring stays for developers and is cut mid-sentence on its first line)."""
    op = OPERATIONS[name]
    summary = op.summary
    assert summary == summary.strip() and summary[0].isupper() and summary.endswith("."), summary
    assert not any(mark in summary[:-1] for mark in (". ", "? ", "! ", ";")), f"more than one sentence: {summary}"
    assert not any(code in summary for code in ("`", "_", "=", "**", "et al")), summary
    assert summary != op.description and len(summary) <= 140, summary


def test_parameters_are_labelled_for_merchandisers_and_shown_at_their_step():
    """No "px at preview" or "sigma" jargon in a label (the help explains the preview scale), and
    a value moving in whole steps (grey levels) is shown without decimals, not as 0.00."""
    from core.engine.operations import OPERATIONS

    specs = {(op.name, s.name): s for op in OPERATIONS.values() for s in op.specs}
    for (op, name), s in specs.items():
        assert "px at preview" not in s.label and "sigma" not in s.label.lower(), (op, name, s.label)
        if s.kind == "float":
            assert s.format is not None and s.format % (s.step or 0) == s.format % float(s.step or 0)
    assert (
        specs["brightness_contrast", "beta"].format == "%.0f" and specs["contrast_stretch", "shadow"].format == "%.0f"
    )
    assert specs["unsharp_mask", "threshold"].format == "%.0f" and specs["gamma", "gamma"].format == "%.2f"
    assert specs["contrast_stretch", "low"].format == "%.1f"
    assert (
        specs["unsharp_mask", "radius"].label == "Edge width"
        and specs["denoise_median", "ksize"].label == "Filter size"
    )
    # Names, kinds and defaults are what recipes store: unchanged.
    assert specs["brightness_contrast", "beta"].kind == "float" and specs["denoise_median", "ksize"].kind == "int"
