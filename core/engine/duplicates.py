"""Exact and near-duplicate detection.

Identical files are found by sha256. "The same photo" re-encoded, resized or lightly edited is
found in two steps: a DCT perceptual hash (pHash) finds photos of the same layout, then a small
colour layout (8x8 cells in CIELAB) confirms the colours agree too. A pose shot again in red and
in blue, or another angle of a product, shares its layout but not its colours, so it is not a
duplicate; one photo reused for two colour variants shares both, and is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import cv2
import numpy as np

from core.engine.colorspace import rgb_to_lab

__all__ = [
    "COLOR_CELLS",
    "NEAR_DUPLICATE_BITS",
    "SAME_COLORS_DELTA_E",
    "DuplicateIndex",
    "Match",
    "color_distance",
    "color_layout",
    "hamming",
    "phash",
]

#: Hashes this close (of 64 bits) have the same layout (the same photo re-encoded or resized,
#: but also the same pose in another colour).
NEAR_DUPLICATE_BITS: Final = 6
#: Cells per side of the colour layout.
COLOR_CELLS: Final = 8
#: Two layouts show the same colours when 90% of their cells differ by at most this CIELAB
#: Delta E (76). The same photo resized or re-encoded differs by about 1; a colour variant of
#: the same shot by 5 or more in the cells that show the product.
SAME_COLORS_DELTA_E: Final = 4.0


def phash(rgb: np.ndarray) -> str:
    """64-bit perceptual hash (pHash), as 16 hex digits.

    Luminance is area-reduced to 32x32, its 2-D DCT taken, and the 8x8 lowest frequencies
    (without DC) compared with their median. Robust to resizing, re-encoding and mild
    brightness changes; different photos differ in ~32 of 64 bits.
    """
    y = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(y, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8].ravel()
    bits = low > np.median(low[1:])
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:016x}"


def color_layout(rgb: np.ndarray) -> str:
    """The photo's colours on a :data:`COLOR_CELLS` x :data:`COLOR_CELLS` grid, as hex.

    Each cell is the area average of its part of the image in CIELAB, stored as three bytes
    (L* x 2.55, a* + 128, b* + 128).
    """
    n = COLOR_CELLS
    small = cv2.resize(rgb, (n, n), interpolation=cv2.INTER_AREA).astype(np.float32) / np.float32(255.0)
    lab = rgb_to_lab(small).reshape(-1, 3)
    packed = np.clip(
        np.rint(lab * np.array([2.55, 1.0, 1.0], np.float32) + np.array([0, 128, 128], np.float32)), 0, 255
    ).astype(np.uint8)
    return packed.tobytes().hex()


def _unpack(layout: str) -> np.ndarray:
    raw = np.frombuffer(bytes.fromhex(layout), np.uint8).astype(np.float32).reshape(-1, 3)
    return (raw - np.array([0, 128, 128], np.float32)) / np.array([2.55, 1.0, 1.0], np.float32)


def color_distance(a: str, b: str) -> float:
    """90th percentile over the cells of the CIELAB Delta E between two colour layouts (NaN if unknown)."""
    if not a or not b or len(a) != len(b):
        return math.nan
    return float(np.percentile(np.linalg.norm(_unpack(a) - _unpack(b), axis=1), 90))


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two hex hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """The most similar earlier image.

    ``exact``: the same bytes. Otherwise ``distance`` is the hash distance (bits) and
    ``color_distance`` the colour-layout difference (Delta E) to it; ``same_photo`` says both
    are within the limits, i.e. the same photo re-encoded, resized or lightly edited.
    """

    key: str
    label: str
    exact: bool
    distance: int
    color_distance: float

    @property
    def same_photo(self) -> bool:
        return self.exact or (self.distance <= NEAR_DUPLICATE_BITS and self.color_distance <= SAME_COLORS_DELTA_E)


@dataclass
class DuplicateIndex:
    """Images seen so far in a set; ``check_and_add`` answers "have we seen this one before?".

    Exact matches are found by sha256 in O(1); near matches by a vectorised scan of the 64-bit
    hashes (fast to hundreds of thousands of images), then the few images of the same layout are
    compared by colour.
    """

    by_sha: dict[str, str] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    layouts: list[str] = field(default_factory=list)
    _hashes: list[int] = field(default_factory=list)
    _array: np.ndarray | None = None

    def _hash_array(self) -> np.ndarray:
        if self._array is None or self._array.size != len(self._hashes):
            self._array = np.fromiter(self._hashes, dtype=np.uint64, count=len(self._hashes))
        return self._array

    def nearest(self, sha256: str, hash_hex: str, layout: str = "") -> Match | None:
        """The earlier image that is the same photo, else the one with the closest layout."""
        if sha256 in self.by_sha:
            key = self.by_sha[sha256]
            return Match(key=key, label=self.labels[self.keys.index(key)], exact=True, distance=0, color_distance=0.0)
        if not self._hashes:
            return None
        x = np.bitwise_xor(self._hash_array(), np.uint64(int(hash_hex, 16)))
        dist = np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
        best: Match | None = None
        for j in np.flatnonzero(dist <= NEAR_DUPLICATE_BITS):
            i = int(j)
            m = Match(
                key=self.keys[i],
                label=self.labels[i],
                exact=False,
                distance=int(dist[i]),
                color_distance=color_distance(layout, self.layouts[i]),
            )
            if m.same_photo and (best is None or not best.same_photo or m.distance < best.distance):
                best = m
        if best is not None:
            return best
        k = int(np.argmin(dist))
        return Match(
            key=self.keys[k],
            label=self.labels[k],
            exact=False,
            distance=int(dist[k]),
            color_distance=color_distance(layout, self.layouts[k]),
        )

    def add(self, key: str, sha256: str, hash_hex: str, layout: str = "", *, label: str = "") -> None:
        self.by_sha.setdefault(sha256, key)
        self.keys.append(key)
        self.labels.append(label or key)
        self.layouts.append(layout)
        self._hashes.append(int(hash_hex, 16))

    def check_and_add(self, key: str, sha256: str, hash_hex: str, layout: str = "", *, label: str = "") -> Match | None:
        match = self.nearest(sha256, hash_hex, layout)
        self.add(key, sha256, hash_hex, layout, label=label)
        return match

    def truncate(self, size: int) -> None:
        """Forget the images added after the first ``size`` (an ingest took them back), so no
        later image is matched to one of them."""
        gone = set(self.keys[size:])
        if not gone:
            return
        del self.keys[size:], self.labels[size:], self.layouts[size:], self._hashes[size:]
        self._array = None
        for sha in [sha for sha, key in self.by_sha.items() if key in gone]:
            del self.by_sha[sha]
