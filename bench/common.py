"""Shared helpers for the benchmarks: real photographs (scikit-image's bundled samples) at the
sizes merchants upload, and a timing helper."""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"


def photos() -> dict[str, np.ndarray]:
    """Real photographs at their native resolution (no upscaling softness), plus
    product-on-white shots made from them without resampling (as in sample_data)."""
    from skimage import data

    from sample_data.build import on_white

    coffee, chelsea, astronaut, rocket = data.coffee(), data.chelsea(), data.astronaut(), data.rocket()
    cup = coffee[30:380, 110:520]
    return {
        "astronaut": astronaut,
        "coffee": coffee,
        "chelsea": chelsea,
        "rocket": rocket,
        "cup_on_white": on_white(cup, round(max(cup.shape[:2]) / 0.9), 0.9, ellipse=True),
        "print_on_white": on_white(astronaut, round(512 / 0.88), 0.88, ellipse=False),
        "cat_on_white": on_white(chelsea, round(451 / 0.9), 0.9, ellipse=True),
    }


def jpeg(rgb: np.ndarray, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def big_photo(width: int = 4000, height: int = 3000, seed: int = 0) -> np.ndarray:
    """A 12 MP photo-like image: a real photograph upscaled, with fine grain so it compresses
    like a camera file rather than a smooth upscale."""
    from skimage import data

    base = cv2.resize(data.coffee(), (width, height), interpolation=cv2.INTER_CUBIC)
    grain = np.random.default_rng(seed).normal(0, 3, base.shape).astype(np.float32)
    return np.clip(base + grain, 0, 255).astype(np.uint8)


def median_ms(fn: Callable[[], object], *, repeat: int = 7, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def machine() -> str:
    import os
    import platform

    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
