"""Histograms and clipping maps for display."""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["clipping_overlay", "histograms"]


def histograms(rgb: np.ndarray) -> dict[str, np.ndarray]:
    """256-bin counts (int64) for ``red``, ``green``, ``blue`` and ``luma`` (Rec. 601).

    Counts are exact integers, so their sum equals the pixel count; plot them as they are or
    normalise by ``rgb.shape[0] * rgb.shape[1]`` for shares.
    """
    out = {
        name: np.bincount(rgb[..., i].ravel(), minlength=256).astype(np.int64)
        for i, name in enumerate(("red", "green", "blue"))
    }
    out["luma"] = np.bincount(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).ravel(), minlength=256).astype(np.int64)
    return out


def clipping_overlay(rgb: np.ndarray, *, low: int = 8, high: int = 250) -> np.ndarray:
    """Copy of ``rgb`` with crushed shadows painted blue and blown highlights painted red.

    A pixel is crushed when every channel is <= ``low`` and blown when any channel is >=
    ``high`` on a pixel whose luma is also >= ``high`` (so saturated colours are not marked).
    """
    y = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    out = rgb.copy()
    out[rgb.max(axis=2) <= low] = (40, 90, 255)
    out[(y >= high) & (rgb.max(axis=2) >= high)] = (255, 40, 40)
    return out
