import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from core.engine.compare import BLOWN_OUT_WARN, blown_out_share, mean_color_difference, mse, psnr, ssim, ssim_map


def test_psnr_of_mse_10_is_38_13_db():
    a = np.zeros((10, 10), np.uint8)
    b = a.copy()
    b.flat[:10] = 10  # 10 pixels off by 10 -> MSE = 10 * 100 / 100 = 10
    assert mse(a, b) == pytest.approx(10.0)
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 / 10))
    assert psnr(a, b) == pytest.approx(38.13, abs=0.005)


def test_psnr_identical_is_inf(photo):
    assert psnr(photo, photo) == math.inf


def test_psnr_matches_skimage(photo):
    noisy = np.clip(photo + np.random.default_rng(1).normal(0, 9, photo.shape), 0, 255).astype(np.uint8)
    assert psnr(photo, noisy) == pytest.approx(peak_signal_noise_ratio(photo, noisy, data_range=255), abs=1e-9)


@pytest.mark.parametrize("sigma", [3.0, 12.0, 40.0])
def test_ssim_matches_skimage_rgb(photo, sigma):
    rng = np.random.default_rng(int(sigma))
    noisy = np.clip(photo + rng.normal(0, sigma, photo.shape), 0, 255).astype(np.uint8)
    ref = structural_similarity(
        photo, noisy, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, channel_axis=-1
    )
    assert ssim(photo, noisy) == pytest.approx(ref, abs=1e-4)


def test_ssim_map_matches_skimage_full_map_grey(photo):
    grey = photo[..., 1]
    other = np.roll(grey, 3, axis=1)
    _, ref_map = structural_similarity(
        grey, other, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, full=True
    )
    assert np.abs(ssim_map(grey, other) - ref_map).max() < 1e-3


@settings(max_examples=25, deadline=None)
@given(st.integers(16, 80), st.integers(16, 80), st.integers(0, 2**31 - 1))
def test_ssim_properties(h, w, seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    assert ssim(a, a) == pytest.approx(1.0)
    s = ssim(a, b)
    assert -1.0 <= s <= 1.0
    assert s == pytest.approx(ssim(b, a), abs=1e-6)  # symmetric


def test_ssim_strips_equal_whole(photo):
    # Taller than one strip: the halo rows must make strips invisible.
    tall = np.concatenate([photo, photo[::-1]], axis=0)
    other = np.clip(tall.astype(int) + 20, 0, 255).astype(np.uint8)
    ref = structural_similarity(
        tall, other, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, channel_axis=-1
    )
    assert ssim(tall, other) == pytest.approx(ref, abs=1e-4)


def test_shape_mismatch_is_a_clear_error(photo):
    with pytest.raises(ValueError, match="shape"):
        ssim(photo, photo[:10])


def test_color_difference_zero_and_grows(photo):
    assert mean_color_difference(photo, photo) == pytest.approx(0.0, abs=1e-6)
    tinted1 = np.clip(photo * np.array([1.05, 1, 1]), 0, 255).astype(np.uint8)
    tinted2 = np.clip(photo * np.array([1.25, 1, 1]), 0, 255).astype(np.uint8)
    assert 0 < mean_color_difference(photo, tinted1) < mean_color_difference(photo, tinted2)


def test_color_difference_known_pair():
    from skimage.color import deltaE_ciede2000, rgb2lab

    a = np.full((8, 8, 3), (200, 30, 30), np.uint8)
    b = np.full((8, 8, 3), (180, 60, 40), np.uint8)
    ref = deltaE_ciede2000(rgb2lab(a[:1, :1]), rgb2lab(b[:1, :1]))[0, 0]
    assert mean_color_difference(a, b) == pytest.approx(ref, rel=0.01)


def _light_product_on_white():
    """A light grey product with shading (170-220) on a pure white backdrop."""
    img = np.full((400, 400, 3), 255, np.uint8)
    yy, xx = np.mgrid[0:400, 0:400]
    inside = (np.abs(xx - 200) < 120) & (np.abs(yy - 200) < 140)
    shade = (170 + 50 * (xx - 80) / 240).astype(np.uint8)
    img[inside] = shade[inside][:, None]
    return img, inside


def test_brightening_a_light_product_blows_it_out():
    img, inside = _light_product_on_white()
    brighter = np.clip(img.astype(np.int16) * 2, 0, 255).astype(np.uint8)  # a contrast gain of 2
    assert blown_out_share(img, brighter) == pytest.approx(1.0)
    mild = np.clip(img.astype(np.int16) + 45, 0, 255).astype(np.uint8)  # 215-265: the lightest part clips
    share = blown_out_share(img, mild)
    assert 0.05 < share < 0.5
    assert blown_out_share(img, img) == 0.0


def test_whitening_the_backdrop_or_a_mild_stretch_blows_nothing_out():
    img, inside = _light_product_on_white()
    grey_backdrop = img.copy()
    grey_backdrop[~inside] = 236  # a light grey backdrop, then whitened: only the backdrop changes
    assert blown_out_share(grey_backdrop, img) == 0.0
    darker = (img * 0.8).astype(np.uint8)  # a darkened copy brought back by a gain: no clipping added
    restored = np.clip(darker.astype(np.float32) / 0.8, 0, 255).astype(np.uint8)
    assert blown_out_share(darker, restored) < BLOWN_OUT_WARN


def test_blown_out_share_needs_corresponding_pixels():
    img, _ = _light_product_on_white()
    with pytest.raises(ValueError, match="shape"):
        blown_out_share(img, img[:200])
    assert math.isnan(blown_out_share(np.full((50, 50, 3), 255, np.uint8), np.full((50, 50, 3), 255, np.uint8)))


def test_colour_shift_sees_saturation_not_exposure_or_a_cast_removed(product):
    from core.engine.compare import COLOUR_SHIFT_WARN, colour_shift
    from core.engine.operations import apply_operation

    img = product
    assert colour_shift(img, img) == 0.0
    # An exposure fix changes every colour's lightness (a big plain Delta E) and no hue.
    dark = apply_operation(img, "brightness_contrast", {"alpha": 0.45})
    restored = apply_operation(dark, "contrast_stretch", {"low": 0.0, "high": 99.5})
    assert mean_color_difference(dark, restored) > 10 and colour_shift(dark, restored) < 1.0
    # A warm cast removed: the backdrop becomes neutral again.
    warm = (img.astype(np.float32) * np.array([1.0, 0.92, 0.78], np.float32)).astype(np.uint8)
    balanced = apply_operation(warm, "white_balance", {"method": "backdrop"})
    assert mean_color_difference(warm, balanced) > 5 and colour_shift(warm, balanced) < 1.0
    # Saturation pushed: the product's colours change where brightness and the backdrop do not.
    vivid = apply_operation(img, "saturation", {"factor": 2.1})
    assert colour_shift(img, vivid) >= COLOUR_SHIFT_WARN
    with pytest.raises(ValueError, match="shape"):
        colour_shift(img, img[:200])
