"""Rebuild the sample images from scikit-image's bundled photographs (public domain / CC0).

Run from the repository root: ``python sample_data/build.py``. Output is deterministic.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from skimage import data

HERE = Path(__file__).resolve().parent
RNG = np.random.default_rng(20261127)


def on_white(rgb: np.ndarray, size: int, fill: float, ellipse: bool) -> np.ndarray:
    """Place ``rgb`` on a white square canvas, its long side covering ``fill`` of the frame.
    With ``ellipse``, cut the product out along an inscribed ellipse (a plate, a round print)."""
    h, w = rgb.shape[:2]
    f = fill * size / max(h, w)
    item = cv2.resize(rgb, (round(w * f), round(h * f)), interpolation=cv2.INTER_CUBIC if f > 1 else cv2.INTER_AREA)
    ih, iw = item.shape[:2]
    canvas = np.full((size, size, 3), 255, np.uint8)
    y0, x0 = (size - ih) // 2, (size - iw) // 2
    if ellipse:
        mask = np.zeros((ih, iw), np.uint8)
        cv2.ellipse(mask, (iw // 2, ih // 2), (iw // 2 - 2, ih // 2 - 2), 0, 0, 360, 255, -1, cv2.LINE_AA)
        a = cv2.GaussianBlur(mask, (0, 0), 1.0)[..., None].astype(np.float32) / 255.0
        region = canvas[y0 : y0 + ih, x0 : x0 + iw].astype(np.float32)
        canvas[y0 : y0 + ih, x0 : x0 + iw] = np.rint(item * a + region * (1 - a)).astype(np.uint8)
    else:
        canvas[y0 : y0 + ih, x0 : x0 + iw] = item
    return canvas


def noisy(rgb: np.ndarray, sigma: float) -> np.ndarray:
    return np.clip(rgb + RNG.normal(0, sigma, rgb.shape), 0, 255).astype(np.uint8)


def main() -> None:
    coffee, chelsea, astronaut, rocket = data.coffee(), data.chelsea(), data.astronaut(), data.rocket()
    cup = coffee[30:380, 110:520]  # cup and saucer
    plate = on_white(cup, 1600, 0.9, ellipse=True)
    print_astro = on_white(astronaut, 1600, 0.88, ellipse=False)
    print_cat = on_white(chelsea, 1500, 0.9, ellipse=True)
    poster = on_white(rocket, 1400, 0.9, ellipse=False)
    grey_bg = plate.copy()
    grey_bg[np.all(plate >= 250, axis=2)] = (214, 212, 206)
    samples = [
        # file, merchant, sku, image, (format, options)
        ("cup_on_white.jpg", "acme-home", "CUP-001", plate, {"quality": 92}),
        ("cup_grey_backdrop.jpg", "acme-home", "CUP-002", grey_bg, {"quality": 92}),
        ("cup_underexposed.jpg", "acme-home", "CUP-003", (plate * 0.32).astype(np.uint8), {"quality": 92}),
        ("cup_small_in_frame.jpg", "acme-home", "CUP-004", on_white(cup, 2000, 0.4, ellipse=True), {"quality": 92}),
        ("cup_out_of_focus.jpg", "acme-home", "CUP-005", cv2.GaussianBlur(plate, (0, 0), 3.5), {"quality": 92}),
        (
            "cup_reupload.jpg",
            "acme-home",
            "CUP-001",
            cv2.resize(plate, (1200, 1200), interpolation=cv2.INTER_AREA),
            {"quality": 80},
        ),
        ("coffee_scene.jpg", "acme-home", "CUP-006", coffee, {"quality": 90}),
        ("coffee_heavy_jpeg.jpg", "acme-home", "CUP-007", cv2.resize(coffee, (1200, 800)), {"quality": 8}),
        ("astronaut_print.jpg", "lumen-studio", "PRT-101", print_astro, {"quality": 92}),
        ("astronaut_print_grainy.jpg", "lumen-studio", "PRT-102", noisy(print_astro, 22), {"quality": 95}),
        (
            "astronaut_print_washed_out.jpg",
            "lumen-studio",
            "PRT-103",
            np.clip(print_astro * 0.55 + 130, 0, 255).astype(np.uint8),
            {"quality": 92},
        ),
        ("astronaut_portrait.png", "lumen-studio", "PRT-104", astronaut, {}),
        ("rocket_poster.jpg", "lumen-studio", "PST-201", poster, {"quality": 92}),
        ("rocket_poster_flat.jpg", "lumen-studio", "PST-202", (poster * 0.35 + 110).astype(np.uint8), {"quality": 92}),
        ("rocket_banner.jpg", "lumen-studio", "PST-203", cv2.resize(rocket[150:330], (2400, 675)), {"quality": 90}),
        ("cat_print_round.jpg", "northwind-pets", "PET-301", print_cat, {"quality": 92}),
        (
            "cat_print_warm_cast.jpg",
            "northwind-pets",
            "PET-302",
            np.clip(print_cat * np.array([1.0, 0.9, 0.66]), 0, 255).astype(np.uint8),
            {"quality": 92},
        ),
        (
            "cat_print_mono.jpg",
            "northwind-pets",
            "PET-303",
            np.repeat(cv2.cvtColor(print_cat, cv2.COLOR_RGB2GRAY)[..., None], 3, axis=2),
            {"quality": 92},
        ),
        ("cat_photo.jpg", "northwind-pets", "PET-304", chelsea, {"quality": 90}),
        ("cat_photo_transparent.png", "northwind-pets", "PET-305", None, {}),
    ]
    with open(HERE / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "merchant_id", "sku"])
        for name, merchant, sku, rgb, opts in samples:
            path = HERE / name
            if rgb is None:  # a cut-out with real transparency: tests flattening onto white
                rgba = np.dstack([cv2.resize(print_cat, (1200, 1200)), np.full((1200, 1200), 255, np.uint8)])
                rgba[np.all(rgba[..., :3] >= 250, axis=2), 3] = 0
                Image.fromarray(rgba, "RGBA").save(path, optimize=True)
            elif name.endswith(".png"):
                Image.fromarray(rgb).save(path, optimize=True)
            else:
                Image.fromarray(rgb).save(path, "JPEG", **opts)
            w.writerow([name, merchant, sku])


if __name__ == "__main__":
    main()
