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


def graphics() -> dict[str, np.ndarray]:
    """Drawn images a shop also uploads: a logo (ring and word, anti-aliased) in a few inks on
    white, grey, black, beige and navy, a bar chart, a dimension drawing, a size chart and a
    shaded render of a gift box. None has a defect; any flag on them is a false alarm."""
    out: dict[str, np.ndarray] = {}
    backdrops = {
        "white": (255, 255, 255),
        "grey": (128, 128, 128),
        "black": (0, 0, 0),
        "beige": (235, 220, 195),
        "navy": (20, 30, 90),
    }
    inks = {"white": (255, 255, 255), "black": (0, 0, 0), "red": (230, 50, 40), "blue": (20, 60, 160)}
    for bname, bg in backdrops.items():
        for iname, ink in inks.items():
            if bname == iname or (bname, iname) == ("navy", "blue"):
                continue
            logo = np.full((1000, 1000, 3), bg, np.uint8)
            cv2.circle(logo, (500, 430), 280, ink, -1, cv2.LINE_AA)
            cv2.circle(logo, (500, 430), 150, bg, -1, cv2.LINE_AA)
            cv2.putText(logo, "ACME", (270, 870), cv2.FONT_HERSHEY_DUPLEX, 4, ink, 10, cv2.LINE_AA)
            out[f"logo_{iname}_on_{bname}"] = logo
    chart = np.full((800, 1000, 3), 255, np.uint8)
    for i, v in enumerate((300, 520, 180, 610, 420)):
        cv2.rectangle(chart, (120 + i * 170, 720 - v), (230 + i * 170, 720), (31, 119, 180), -1)
    cv2.line(chart, (90, 720), (960, 720), (0, 0, 0), 3, cv2.LINE_AA)
    cv2.line(chart, (90, 60), (90, 720), (0, 0, 0), 3, cv2.LINE_AA)
    out["bar_chart"] = chart
    # A shop's secondary images: a dimension drawing and a size chart, black line art on white.
    drawing = np.full((1000, 1000, 3), 255, np.uint8)
    cv2.rectangle(drawing, (200, 250), (800, 750), (0, 0, 0), 3, cv2.LINE_AA)
    cv2.line(drawing, (200, 820), (800, 820), (0, 0, 0), 2, cv2.LINE_AA)
    cv2.putText(drawing, "70 cm", (420, 890), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (0, 0, 0), 3, cv2.LINE_AA)
    out["dimension_drawing"] = drawing
    sizes = np.full((1000, 1000, 3), 255, np.uint8)
    for r, row in enumerate((("Size", "Chest", "Waist"), ("S", "90", "74"), ("M", "94", "78"), ("L", "98", "82"))):
        y = 150 + r * 160
        cv2.line(sizes, (100, y), (900, y), (0, 0, 0), 2)
        for c, word in enumerate(row):
            cv2.putText(sizes, word, (130 + c * 270, y + 100), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (0, 0, 0), 3, cv2.LINE_AA)
    out["size_chart"] = sizes
    yy, xx = np.mgrid[0:1000, 0:1000].astype(np.float32)
    box = np.full((1000, 1000, 3), 255, np.float32)
    inside = (np.abs(xx - 500) < 260) & (np.abs(yy - 560) < 260)
    box[inside] = np.array([200, 30, 40], np.float32) * (0.6 + 0.4 * (xx[inside, None] - 240) / 520)
    box[inside & (np.abs(xx - 500) < 30)] = (240, 200, 60)
    out["gift_box_render"] = np.clip(np.rint(box), 0, 255).astype(np.uint8)
    return out


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
