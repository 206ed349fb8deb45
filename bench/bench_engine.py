"""Speed of the engine on this machine: decode vs scoring of a 12 MP JPEG, each operation at
1024 px, SSIM/PSNR against scikit-image, and batch scoring throughput.

Run: ``python bench/bench_engine.py`` (about 2 minutes on 2 cores). Results print as Markdown
and are saved to ``bench/out/engine.json``. Targets from the issue: every operation <= 50 ms
median at 1024 px (non-local means <= 500 ms); SSIM >= 4x faster than scikit-image at 2 MP.
"""

from __future__ import annotations

import io
import json
import tempfile
import time
import tracemalloc
from pathlib import Path

import cv2
import numpy as np
from common import OUT, big_photo, jpeg, machine, median_ms, photos
from PIL import Image

from core.engine.assess import assess_file
from core.engine.batch import assess_paths
from core.engine.compare import psnr, ssim
from core.engine.loading import load_image
from core.engine.operations import OPERATIONS, apply_operation
from core.engine.profiles import load_profile


def bench_decode_vs_score() -> dict[str, float]:
    data = jpeg(big_photo(), 90)
    profile = load_profile("amazon")

    def pillow_full() -> None:
        np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))

    return {
        "file_mb": len(data) / 1e6,
        "pillow_full_decode_ms": median_ms(pillow_full, repeat=5),
        "reduced_decode_ms": median_ms(lambda: load_image(data, reduce_to=1024), repeat=5),
        "full_score_ms": median_ms(lambda: assess_file(data, profile), repeat=5),
    }


def bench_operations() -> dict[str, float]:
    img = cv2.resize(photos()["coffee"], (1024, 683), interpolation=cv2.INTER_AREA)
    return {
        name: median_ms(lambda n=name: apply_operation(img, n), repeat=9 if name != "denoise_nlmeans" else 5)
        for name in OPERATIONS
    }


def bench_ssim() -> dict[str, float]:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    out: dict[str, float] = {}
    a = cv2.resize(photos()["coffee"], (1632, 1224), interpolation=cv2.INTER_CUBIC)  # 2 MP
    b = np.clip(a + np.random.default_rng(1).normal(0, 8, a.shape), 0, 255).astype(np.uint8)
    kw = dict(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, channel_axis=-1)
    out["ssim_2mp_ours_ms"] = median_ms(lambda: ssim(a, b), repeat=5)
    out["ssim_2mp_skimage_ms"] = median_ms(lambda: structural_similarity(a, b, **kw), repeat=3)
    out["ssim_2mp_speedup"] = out["ssim_2mp_skimage_ms"] / out["ssim_2mp_ours_ms"]
    out["ssim_2mp_abs_diff"] = abs(ssim(a, b) - structural_similarity(a, b, **kw))
    out["psnr_2mp_ours_ms"] = median_ms(lambda: psnr(a, b), repeat=9)
    out["psnr_2mp_skimage_ms"] = median_ms(lambda: peak_signal_noise_ratio(a, b, data_range=255), repeat=5)
    big = big_photo()
    big2 = np.clip(big.astype(np.int16) + 6, 0, 255).astype(np.uint8)
    tracemalloc.start()
    t = time.perf_counter()
    ssim(big, big2)
    out["ssim_12mp_ours_ms"] = (time.perf_counter() - t) * 1000
    out["ssim_12mp_ours_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return out


def bench_throughput(n: int = 40, workers: int = 2) -> dict[str, float]:
    profile = load_profile("generic")
    pics = list(photos().values())
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            base = cv2.resize(pics[i % len(pics)], (2400, 1800), interpolation=cv2.INTER_CUBIC)
            Path(tmp, f"img_{i:03d}.jpg").write_bytes(jpeg(base, 90))
        t = time.perf_counter()
        rows = list(assess_paths([tmp], profile, workers=workers))
        elapsed = time.perf_counter() - t
    assert len(rows) == n and all(r.assessment is not None for r in rows)
    return {
        "images": n,
        "workers": workers,
        "seconds": elapsed,
        "images_per_s": n / elapsed,
        "image_size": "2400x1800 JPEG q90",
    }


def main() -> None:
    results = {
        "machine": machine(),
        "decode_vs_score_12mp": bench_decode_vs_score(),
        "operations_1024px_ms": bench_operations(),
        "ssim_psnr": bench_ssim(),
        "throughput": bench_throughput(),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "engine.json").write_text(json.dumps(results, indent=2))
    d = results["decode_vs_score_12mp"]
    print(f"# Engine benchmark ({results['machine']})\n")
    print(
        f"12 MP JPEG ({d['file_mb']:.1f} MB): Pillow full decode {d['pillow_full_decode_ms']:.0f} ms, "
        f"reduced decode {d['reduced_decode_ms']:.0f} ms, full scoring {d['full_score_ms']:.0f} ms\n"
    )
    print("| operation at 1024 px | median ms | target |\n|---|---|---|")
    for name, ms in results["operations_1024px_ms"].items():
        target = 500 if name == "denoise_nlmeans" else 50
        print(f"| {name} | {ms:.1f} | {'ok' if ms <= target else 'OVER'} (<= {target}) |")
    s = results["ssim_psnr"]
    print(
        f"\nSSIM 2 MP: ours {s['ssim_2mp_ours_ms']:.0f} ms vs scikit-image {s['ssim_2mp_skimage_ms']:.0f} ms "
        f"({s['ssim_2mp_speedup']:.1f}x, |diff| {s['ssim_2mp_abs_diff']:.1e}); 12 MP ours "
        f"{s['ssim_12mp_ours_ms']:.0f} ms, peak numpy memory {s['ssim_12mp_ours_peak_mb']:.0f} MB"
    )
    print(f"PSNR 2 MP: ours {s['psnr_2mp_ours_ms']:.1f} ms vs scikit-image {s['psnr_2mp_skimage_ms']:.1f} ms")
    t = results["throughput"]
    print(
        f"\nBatch scoring: {t['images']} images ({t['image_size']}), {t['workers']} workers: "
        f"{t['images_per_s']:.1f} images/s"
    )


if __name__ == "__main__":
    main()
