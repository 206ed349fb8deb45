"""Does the engine see what is wrong, and does the auto-fix help? Measured on real photographs.

Real photos (scikit-image's bundled samples, plus product-on-white shots made from them) are
degraded on purpose at four severity levels per issue. For each issue the report gives:

- detection rate per level (the issue fires) and false alarms (issues on the clean originals);
- false alarms on drawn graphics (logos on white, grey, black, beige and navy, a chart, a
  dimension drawing, a size chart, a render), which have nothing to find;
- whether the quality score falls monotonically as the severity grows;
- the auto-fix's gain toward the original (SSIM, and CIEDE2000 for colour casts), next to what a
  user would otherwise reach for: Pillow's ``ImageOps.autocontrast(cutoff=1)`` and
  scikit-image's CLAHE (``exposure.equalize_adapthist``);
- CleanVision's dark/light/blurry checks on the same files, if CleanVision is installed
  (``pip install -r bench/requirements.txt``).

Run: ``python bench/degradation.py`` (about a minute). Output: Markdown on stdout and
``bench/out/degradation.json``.
"""

from __future__ import annotations

import io
import json
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from common import OUT, graphics, jpeg, machine, photos
from PIL import Image, ImageOps

from core.engine.assess import analyze, assess
from core.engine.autofix import auto_recipe
from core.engine.compare import mean_color_difference, ssim
from core.engine.loading import load_image
from core.engine.profiles import load_profile

RNG = np.random.default_rng(7)
LEVELS = (1, 2, 3, 4)


def _clip(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def _exposure(a: np.ndarray, stops: float) -> np.ndarray:
    """Scale linear light by 2**stops (sRGB decoded and re-encoded with a 2.2 power law)."""
    lin = (a.astype(np.float32) / 255.0) ** 2.2 * (2.0**stops)
    return _clip(255.0 * np.clip(lin, 0, 1) ** (1 / 2.2))


DEGRADE: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "blurry": lambda a, k: cv2.GaussianBlur(a, (0, 0), (1.0, 2.0, 3.0, 4.5)[k - 1]),
    "noisy": lambda a, k: _clip(a + RNG.normal(0, (5, 10, 18, 28)[k - 1], a.shape)),
    "dark": lambda a, k: _exposure(a, -(0.75, 1.25, 1.75, 2.5)[k - 1]),
    "overexposed": lambda a, k: _exposure(a, (0.75, 1.25, 1.75, 2.5)[k - 1]),
    "low_contrast": lambda a, k: _clip(a * (1 - (0.3, 0.5, 0.65, 0.8)[k - 1]) + 128 * (0.3, 0.5, 0.65, 0.8)[k - 1]),
    "color_cast": lambda a, k: _clip(
        a * np.array([1.0 + 0.5 * (c := (0.04, 0.08, 0.12, 0.18)[k - 1]), 1.0, 1.0 - 1.5 * c])
    ),
    "compression_artifacts": lambda a, k: a,  # applied by the encoder below
}
JPEG_Q = {1: 50, 2: 30, 3: 15, 4: 6}
FIXABLE = ("dark", "overexposed", "low_contrast", "color_cast", "noisy", "blurry")


def encode(rgb: np.ndarray, issue: str | None, level: int) -> bytes:
    buf = io.BytesIO()
    if issue == "compression_artifacts":
        Image.fromarray(rgb).save(buf, "JPEG", quality=JPEG_Q[level])
    else:
        Image.fromarray(rgb).save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def autocontrast(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(ImageOps.autocontrast(Image.fromarray(rgb), cutoff=1))


def clahe_skimage(rgb: np.ndarray) -> np.ndarray:
    from skimage import exposure

    return _clip(exposure.equalize_adapthist(rgb) * 255)


def cleanvision_flags(files: dict[str, bytes]) -> dict[str, set[str]] | None:
    try:
        from cleanvision import Imagelab
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        names = {}
        for i, (key, data) in enumerate(files.items()):
            ext = ".jpg" if data[:2] == b"\xff\xd8" else ".png"
            path = Path(tmp, f"{i:04d}{ext}")
            path.write_bytes(data)
            names[str(path)] = key
        lab = Imagelab(data_path=tmp)
        lab.find_issues({"dark": {}, "light": {}, "blurry": {}}, verbose=False)
        issues = lab.issues
        out: dict[str, set[str]] = {}
        for path, row in issues.iterrows():
            flags = {n for n in ("dark", "light", "blurry") if bool(row.get(f"is_{n}_issue", False))}
            out[names[str(path)]] = flags
        return out


def main() -> None:
    profile = load_profile("generic")
    originals = photos()
    files: dict[str, bytes] = {}
    results: dict[str, dict] = {"clean": {}, "by_issue": {}}
    clean_issues: dict[str, list[str]] = {}
    clean_scores: dict[str, float] = {}
    fix_keep: list[float] = []
    fix_keep_clean: list[float] = []  # images with no issue besides low_resolution
    for name, rgb in originals.items():
        data = encode(rgb, None, 0)
        files[f"{name}|clean|0"] = data
        a = assess(analyze(load_image(data)), profile)
        clean_issues[name], clean_scores[name] = a.issue_names, a.score
        kept = ssim(rgb, auto_recipe(a.metrics, a.issues).apply(rgb))
        fix_keep.append(kept)
        if set(a.issue_names) <= {"low_resolution"}:
            fix_keep_clean.append(kept)
    results["clean"] = {
        "issues": clean_issues,
        "scores": clean_scores,
        "autofix_ssim_min": min(fix_keep),
        "autofix_ssim_min_when_nothing_wrong": min(fix_keep_clean),
    }

    # Drawn images have no defect to find: every flag on them is a false alarm.
    drawn_flags: dict[str, list[str]] = {}
    for name, rgb in graphics().items():
        for fmt, data in (("png", encode(rgb, None, 0)), ("jpeg q75", jpeg(rgb, 75))):
            a = assess(analyze(load_image(data)), profile)
            drawn_flags[f"{name} ({fmt})"] = [i for i in a.issue_names if i != "low_resolution"]
    results["graphics"] = drawn_flags

    for issue, degrade in DEGRADE.items():
        det = {k: 0 for k in LEVELS}
        monotone = 0
        gains: dict[str, list[float]] = {"autofix": [], "autocontrast": [], "clahe": []}
        de_gain: list[float] = []
        for name, rgb in originals.items():
            scores = [clean_scores[name]]
            for k in LEVELS:
                bad = degrade(rgb, k)
                data = encode(bad, issue, k)
                files[f"{name}|{issue}|{k}"] = data
                decoded = load_image(data).pixels
                a = assess(analyze(load_image(data)), profile)
                scores.append(a.score)
                det[k] += issue in a.issue_names
                if issue in FIXABLE and k in (2, 3):
                    base = ssim(rgb, decoded)
                    fixed = auto_recipe(a.metrics, a.issues).apply(decoded)
                    gains["autofix"].append(ssim(rgb, fixed) - base)
                    gains["autocontrast"].append(ssim(rgb, autocontrast(decoded)) - base)
                    gains["clahe"].append(ssim(rgb, clahe_skimage(decoded)) - base)
                    if issue == "color_cast":
                        de_gain.append(mean_color_difference(rgb, decoded) - mean_color_difference(rgb, fixed))
            monotone += all(b <= a + 0.5 for a, b in zip(scores, scores[1:]))
        n = len(originals)
        results["by_issue"][issue] = {
            "detection_rate": {k: det[k] / n for k in LEVELS},
            "monotone_share": monotone / n,
            "ssim_gain_median": {k: statistics.median(v) for k, v in gains.items() if v},
            "delta_e_reduction_median": statistics.median(de_gain) if de_gain else None,
        }

    cv = cleanvision_flags(files)
    if cv is not None:
        mapping = {"dark": "dark", "overexposed": "light", "blurry": "blurry"}
        cv_res: dict[str, dict] = {}
        for issue, flag in mapping.items():
            rates = {k: sum(flag in cv[f"{n}|{issue}|{k}"] for n in originals) / len(originals) for k in LEVELS}
            cv_res[issue] = {"detection_rate": rates}
        cv_res["false_alarms_on_clean"] = {n: sorted(cv[f"{n}|clean|0"]) for n in originals}
        results["cleanvision"] = cv_res

    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "degradation.json").write_text(json.dumps(results, indent=2, default=list))
    print(f"# Degradation benchmark ({machine()}), {len(originals)} real photos, profile generic\n")
    # The originals are 300-640 px, so low_resolution is a true finding on every one of them.
    fa = {n: [x for x in i if x != "low_resolution"] for n, i in clean_issues.items()}
    fa = {n: i for n, i in fa.items() if i}
    print(
        f"False alarms on clean originals (low_resolution excluded: the originals really are small): "
        f"{sum(len(i) for i in fa.values())} ({'; '.join(f'{n}: {i}' for n, i in fa.items()) or 'none'}). "
        f"Auto-fix on clean originals: min SSIM to input {results['clean']['autofix_ssim_min']:.4f} over all, "
        f"{results['clean']['autofix_ssim_min_when_nothing_wrong']:.4f} where nothing was flagged\n"
    )
    flagged = {n: i for n, i in drawn_flags.items() if i}
    print(
        f"False alarms on {len(drawn_flags)} drawn graphics (logos on white, grey, black, beige and navy, a chart, "
        f"a dimension drawing, a size chart, a render; PNG and JPEG quality 75; low_resolution excluded): {len(flagged)} "
        f"({'; '.join(f'{n}: {i}' for n, i in flagged.items()) or 'none'})\n"
    )
    print("| issue | detected L1 | L2 | L3 | L4 | score monotone | SSIM gain auto-fix | autocontrast | CLAHE |")
    print("|---|---|---|---|---|---|---|---|---|")
    for issue, r in results["by_issue"].items():
        d = r["detection_rate"]
        g = r["ssim_gain_median"]
        gtxt = " | ".join(f"{g[m]:+.3f}" if m in g else "-" for m in ("autofix", "autocontrast", "clahe"))
        print(f"| {issue} | {d[1]:.0%} | {d[2]:.0%} | {d[3]:.0%} | {d[4]:.0%} | {r['monotone_share']:.0%} | {gtxt} |")
    cc = results["by_issue"]["color_cast"]["delta_e_reduction_median"]
    print(f"\nColour cast: auto-fix reduces the mean CIEDE2000 to the original by {cc:.2f} (median, levels 2-3).")
    if cv is not None:
        print("\nCleanVision 0.3.7 on the same files:")
        for issue in ("dark", "overexposed", "blurry"):
            d = results["cleanvision"][issue]["detection_rate"]
            print(f"- {issue}: detected L1 {d[1]:.0%}, L2 {d[2]:.0%}, L3 {d[3]:.0%}, L4 {d[4]:.0%}")
        fa_cv = {n: f for n, f in results["cleanvision"]["false_alarms_on_clean"].items() if f}
        print(f"- flags on clean originals: {fa_cv or 'none'}")
    else:
        print("\nCleanVision is not installed; `pip install -r bench/requirements.txt` adds the comparison.")


if __name__ == "__main__":
    main()
