"""Exact and near-duplicate detection: sha256 for identical files, a DCT perceptual hash for
the same photo re-encoded, resized or lightly edited."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import cv2
import numpy as np

__all__ = ["NEAR_DUPLICATE_BITS", "DuplicateIndex", "Match", "hamming", "phash"]

#: Hashes this close (of 64 bits) are the same photo in practice (re-encoded or resized).
NEAR_DUPLICATE_BITS: Final = 6


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


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two hex hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True, slots=True)
class Match:
    """The closest earlier image: its key, and whether the bytes are identical."""

    key: str
    exact: bool
    distance: int


@dataclass
class DuplicateIndex:
    """Images seen so far in a set; ``check_and_add`` answers "have we seen this one before?".

    Exact matches are found by sha256 in O(1); near matches by a linear scan of the hashes,
    which at 64 bits per image stays fast to tens of thousands of images.
    """

    by_sha: dict[str, str] = field(default_factory=dict)
    hashes: list[tuple[int, str]] = field(default_factory=list)

    def nearest(self, sha256: str, hash_hex: str) -> Match | None:
        if sha256 in self.by_sha:
            return Match(self.by_sha[sha256], True, 0)
        if not self.hashes:
            return None
        h = int(hash_hex, 16)
        values = np.fromiter((v for v, _ in self.hashes), dtype=np.uint64, count=len(self.hashes))
        x = np.bitwise_xor(values, np.uint64(h))
        dist = np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
        i = int(np.argmin(dist))
        return Match(self.hashes[i][1], False, int(dist[i]))

    def add(self, key: str, sha256: str, hash_hex: str) -> None:
        self.by_sha.setdefault(sha256, key)
        self.hashes.append((int(hash_hex, 16), key))

    def check_and_add(self, key: str, sha256: str, hash_hex: str) -> Match | None:
        match = self.nearest(sha256, hash_hex)
        self.add(key, sha256, hash_hex)
        return match
