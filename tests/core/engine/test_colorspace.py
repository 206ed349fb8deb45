"""The NumPy sRGB -> CIELAB conversion against reference values and OpenCV."""

import cv2
import numpy as np
import pytest

from core.engine.colorspace import rgb_to_lab


@pytest.mark.parametrize(
    ("rgb", "lab"),
    [
        ((1.0, 1.0, 1.0), (100.0, 0.0, 0.0)),
        ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
        ((1.0, 0.0, 0.0), (53.24, 80.09, 67.20)),  # sRGB red, D65 (Lindbloom's calculator)
        ((0.0, 0.0, 1.0), (32.30, 79.19, -107.86)),
        ((0.5, 0.5, 0.5), (53.39, 0.0, 0.0)),
    ],
)
def test_known_colours(rgb, lab):
    assert rgb_to_lab(np.array(rgb)) == pytest.approx(lab, abs=0.05)


def test_agrees_with_opencv_float_conversion():
    rgb = np.random.default_rng(0).random((64, 64, 3)).astype(np.float32)
    # OpenCV interpolates from tables (a* and b* in steps of 1/64); the formulas agree within that.
    assert np.abs(rgb_to_lab(rgb) - cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)).max() < 0.6


def test_shape_and_range():
    lab = rgb_to_lab(np.array([[[2.0, -1.0, 0.5]]]))  # out-of-range input is clipped to 0-1
    assert lab.shape == (1, 1, 3) and lab.dtype == np.float32
    assert np.array_equal(lab, rgb_to_lab(np.array([[[1.0, 0.0, 0.5]]])))
