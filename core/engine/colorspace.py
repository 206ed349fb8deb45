"""sRGB to CIELAB for a handful of pixels, in NumPy.

OpenCV's own conversion builds its lookup tables on first use, about 0.1 s in every new process:
more than measuring a whole photo. The colour layout and the backdrop tint convert 64 pixels and
one, so every batch worker would pay that for nothing.
"""

from __future__ import annotations

from typing import Final

import numpy as np

__all__ = ["rgb_to_lab"]

# sRGB (D65) to XYZ, rows scaled by the D65 white point so that white maps to (1, 1, 1).
_WHITE: Final = np.array([0.950456, 1.0, 1.088754])
_RGB_TO_XYZ: Final = (
    np.array(
        [
            [0.412453, 0.357580, 0.180423],
            [0.212671, 0.715160, 0.072169],
            [0.019334, 0.119193, 0.950227],
        ]
    )
    / _WHITE[:, None]
)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of sRGB values in 0-1, shape (..., 3): L* in 0-100, a* and b* about -128 to 127.

    The same formulas as ``cv2.cvtColor(rgb_float, cv2.COLOR_RGB2LAB)`` (agreeing within 0.01),
    without its start-up cost. Meant for small arrays; returns float32.
    """
    c = np.clip(np.asarray(rgb, np.float64), 0.0, 1.0)
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _RGB_TO_XYZ.T
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16.0 / 116.0)
    lightness = np.where(xyz[..., 1] > 0.008856, 116.0 * f[..., 1] - 16.0, 903.3 * xyz[..., 1])
    a = 500.0 * (f[..., 0] - f[..., 1])
    b = 200.0 * (f[..., 1] - f[..., 2])
    return np.stack([lightness, a, b], axis=-1).astype(np.float32)
