import numpy as np

from core.engine.compare import ssim_map_rgb
from core.engine.histogram import clipping_overlay, histograms


def test_histograms_count_every_pixel(photo):
    h = histograms(photo)
    assert set(h) == {"red", "green", "blue", "luma"}
    for counts in h.values():
        assert counts.shape == (256,) and counts.sum() == photo.shape[0] * photo.shape[1]
    assert np.array_equal(h["red"], np.bincount(photo[..., 0].ravel(), minlength=256))


def test_clipping_overlay_marks_only_clipped_pixels():
    img = np.full((4, 4, 3), 128, np.uint8)
    img[0, 0] = (0, 0, 0)
    img[3, 3] = (255, 255, 255)
    img[1, 1] = (255, 0, 0)  # saturated red: not blown out
    out = clipping_overlay(img)
    assert tuple(out[0, 0]) == (40, 90, 255) and tuple(out[3, 3]) == (255, 40, 40)
    assert tuple(out[1, 1]) == (255, 0, 0) and tuple(out[2, 2]) == (128, 128, 128)


def test_ssim_map_rendering():
    smap = np.array([[1.0, 0.5], [0.0, 0.9]], np.float32)
    rgb = ssim_map_rgb(smap)
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8
    assert rgb[0, 0].min() > 240  # unchanged -> white
    assert rgb[0, 1].sum() < rgb[1, 1].sum()  # worse -> darker
