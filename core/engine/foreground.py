"""Find the background and the product: the basis of background, fill and region-aware checks.

Product photos are mostly an object on a plain backdrop. The backdrop colour is read from the
image border; the product is everything that differs from it. Photos without a plain border
(lifestyle shots) have no background and the whole frame counts as the product.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np

__all__ = ["Foreground", "border_pixels", "channel_max", "channel_min", "find_foreground"]

#: Max per-channel difference (grey levels) for a pixel to count as backdrop. Wide enough for
#: JPEG noise and gentle vignetting, narrow enough to keep pale products.
BACKDROP_TOLERANCE: Final = 24
#: Share of border pixels that must match the backdrop colour for a backdrop to exist.
MIN_UNIFORM_BORDER: Final = 0.6
#: Grey levels within which a border pixel counts as exactly the backdrop colour (encoder rounding).
FLAT_TOLERANCE: Final = 1
#: Share of border pixels exactly the backdrop colour for it to be a drawn backdrop.
DRAWN_FLAT_SHARE: Final = 0.98
#: Channel spread (max - min, grey levels) of a drawn backdrop: clearly a colour, not a tint.
DRAWN_MIN_CHROMA: Final = 24


@dataclass(frozen=True, slots=True)
class Foreground:
    """Where the product is.

    Attributes
    ----------
    mask : ndarray of bool (H, W)
        True on product pixels (all True when there is no backdrop).
    bbox : tuple of int
        ``(x0, y0, x1, y1)``, half-open, in pixels of the analyzed image.
    has_backdrop : bool
        Whether the border is a plain backdrop.
    backdrop_rgb : tuple of float
        Median border colour (0-255 per channel).
    border_white_ratio : float
        Share of border pixels whose every channel is >= 250 (0-1).
    border_flat_ratio : float
        Share of border pixels within :data:`FLAT_TOLERANCE` of the backdrop colour in every
        channel (0-1): near 1 only for a drawn backdrop or a clipped one.
    backdrop_flat_ratio : float
        The same share among the border pixels that are backdrop (within the tolerance): near 1
        for a drawn or clipped backdrop even where the drawing or product reaches the edge.
    """

    mask: np.ndarray
    bbox: tuple[int, int, int, int]
    has_backdrop: bool
    backdrop_rgb: tuple[float, float, float]
    border_white_ratio: float
    border_flat_ratio: float = 0.0
    backdrop_flat_ratio: float = 0.0

    @property
    def drawn_backdrop(self) -> bool:
        """A backdrop of one exact, clearly coloured mid-tone (a navy or red banner): drawn, not
        photographed. A photographed backdrop carries grain and fall-off. A white, grey or black
        one can be exactly flat in a photo too (clipped, or its exposure edited), and a pale tint
        is what a colour cast on such a backdrop looks like, so none of those counts."""
        lo, hi = min(self.backdrop_rgb), max(self.backdrop_rgb)
        return (
            self.has_backdrop
            and self.border_flat_ratio >= DRAWN_FLAT_SHARE
            and hi - lo >= DRAWN_MIN_CHROMA
            and lo >= 10
            and hi <= 245
        )

    @property
    def found(self) -> bool:
        """Whether anything stands out from the backdrop. Nothing does in a blank frame, nor in a
        plain product that fills the frame edge to edge (a dark fabric swatch reads as all
        backdrop): where the product sits is then unknown, not "0% of the frame"."""
        x0, y0, x1, y1 = self.bbox
        return x1 > x0 and y1 > y0

    @property
    def fill(self) -> float:
        """Share of the frame's area covered by the product's bounding box (0-1); NaN when no
        product was found (see :attr:`found`)."""
        if not self.found:
            return math.nan
        h, w = self.mask.shape
        x0, y0, x1, y1 = self.bbox
        return (x1 - x0) * (y1 - y0) / float(w * h)

    @property
    def extent(self) -> float:
        """How far the product spans the frame along its better-filled axis (0-1); NaN when no
        product was found (see :attr:`found`).

        This is how marketplaces phrase "fills 85% of the frame".
        """
        if not self.found:
            return math.nan
        h, w = self.mask.shape
        x0, y0, x1, y1 = self.bbox
        return max((x1 - x0) / float(w), (y1 - y0) / float(h))


def border_pixels(rgb: np.ndarray, *, width: int | None = None) -> np.ndarray:
    """The pixels of a frame ``width`` px wide around the image, as (N, 3) uint8."""
    h, w = rgb.shape[:2]
    b = width or max(2, round(0.02 * min(h, w)))
    b = min(b, h // 2, w // 2) or 1
    parts = [
        rgb[:b].reshape(-1, 3),
        rgb[-b:].reshape(-1, 3),
        rgb[b:-b, :b].reshape(-1, 3),
        rgb[b:-b, -b:].reshape(-1, 3),
    ]
    return np.concatenate(parts)


def _bbox_from_mask(mask: np.ndarray) -> tuple[int, int, int, int]:
    """The box of ``mask`` (0/1 uint8, H x W) as (x0, y0, x1, y1)."""
    h, w = mask.shape
    # Ignore rows/columns with only a sprinkle of product pixels (dust, JPEG ringing).
    cols = np.flatnonzero(cv2.reduce(mask, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel() > max(1, 0.002 * h))
    rows = np.flatnonzero(cv2.reduce(mask, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel() > max(1, 0.002 * w))
    if cols.size == 0 or rows.size == 0:
        return (0, 0, 0, 0)
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def find_foreground(rgb: np.ndarray, *, tolerance: int = BACKDROP_TOLERANCE) -> Foreground:
    """Separate product from backdrop in an RGB uint8 image.

    Parameters
    ----------
    rgb : ndarray
        (H, W, 3) uint8. Analysis-scale images (<= 1024 px) keep this fast (a few ms).
    tolerance : int, keyword-only
        Max per-channel distance (0-255) from the backdrop colour for a backdrop pixel.
    """
    h, w = rgb.shape[:2]
    border = border_pixels(rgb)
    backdrop = np.median(border, axis=0).astype(np.float32)
    # Per-pixel channel max/min through OpenCV: NumPy reductions over an axis of 3 are slow.
    frame = border.reshape(-1, 1, 3)
    n = max(1, frame.shape[0])
    border_dist = channel_max(cv2.absdiff(frame, np.append(backdrop.astype(np.int16), 0).astype(np.float64)))
    n_backdrop = np.count_nonzero(border_dist <= tolerance)
    uniform = n_backdrop / n
    n_flat = np.count_nonzero(border_dist <= FLAT_TOLERANCE)
    flat = n_flat / n
    flat_backdrop = n_flat / max(1, int(n_backdrop))
    white_ratio = np.count_nonzero(channel_min(frame) >= 250) / n
    backdrop_rgb = (float(backdrop[0]), float(backdrop[1]), float(backdrop[2]))
    if uniform < MIN_UNIFORM_BORDER:
        mask = np.ones((h, w), bool)
        return Foreground(mask, (0, 0, w, h), False, backdrop_rgb, white_ratio, flat, flat_backdrop)
    # A 4-vector is an OpenCV scalar (one value per channel): no full-size temporary image.
    diff = cv2.absdiff(rgb, np.append(backdrop.round(), 0.0).astype(np.float64))
    _, raw = cv2.threshold(channel_max(diff), tolerance, 1, cv2.THRESH_BINARY)  # 1 where > tolerance
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    opened = cv2.morphologyEx(raw, cv2.MORPH_OPEN, kernel)  # drop specks (dust, JPEG noise)
    closed = cv2.morphologyEx(opened, cv2.MORPH_CLOSE, kernel, iterations=2)  # fill pinholes
    return Foreground(
        closed.astype(bool), _bbox_from_mask(closed), True, backdrop_rgb, white_ratio, flat, flat_backdrop
    )


def channel_max(rgb: np.ndarray) -> np.ndarray:
    """The largest of the three channels of each pixel (uint8, H x W)."""
    r, g, b = cv2.split(rgb)
    return cv2.max(cv2.max(r, g), b)


def channel_min(rgb: np.ndarray) -> np.ndarray:
    """The smallest of the three channels of each pixel (uint8, H x W)."""
    r, g, b = cv2.split(rgb)
    return cv2.min(cv2.min(r, g), b)
