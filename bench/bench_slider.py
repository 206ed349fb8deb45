"""Time from moving a slider on the Optimize page to the new preview being shown, in a real
browser (headless Chromium) against a real server started here.

Run: ``python bench/bench_slider.py [--moves 15] [--denoise]``. Needs Debian's ``chromium``. The
app runs on a fresh data folder with the sample images; the recipe is the auto-fix plus a linear
brightness/contrast step whose gain slider is moved, on ``cup_underexposed.jpg`` (1600x1600 JPEG,
previewed at 1024 px). With ``--denoise``, a non-local-means step (over a second on a preview)
comes before the moved step, as in a recipe that denoises and then adjusts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from common import OUT, ROOT, machine  # noqa: F401  (adds the repo to sys.path)

from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, running_app, sign_in, wait_idle

FIND_AFTER = """() => {
  const direct = document.querySelector('.bac img.after');
  if (direct) return direct;
  for (const n of document.querySelectorAll('*')) {
    if (n.shadowRoot) { const e = n.shadowRoot.querySelector('.bac img.after'); if (e) return e; }
  }
  return null;
}"""

ARM = (
    """() => {
  const find = %s;
  const old = find().getAttribute('src');
  window.__preview = new Promise((resolve) => {
    const t0 = performance.now();
    const poll = () => {
      const img = find();  // Streamlit may replace the element: look it up every frame
      if (img && img.getAttribute('src') !== old) { resolve(performance.now() - t0); return; }
      if (performance.now() - t0 > 30000) { resolve(-1); return; }
      requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  });
}"""
    % FIND_AFTER
)


FIRST_STEP = "Tone: Brightness / contrast (linear)"


def _choose_step(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("Add a step").click()
    page.get_by_role("option", name=text).click()
    wait_idle(page)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moves", type=int, default=15)
    parser.add_argument("--denoise", action="store_true", help="put non-local-means denoising before the moved step")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, running_app(Path(tmp) / "data") as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        sign_in(page, base)
        page.goto(base + "/optimize?v=17")
        page.get_by_role("heading", name="cup_underexposed.jpg").wait_for(timeout=60_000)
        wait_idle(page)
        page.get_by_role("button", name="Auto-fix").click()
        wait_idle(page)
        if args.denoise:
            _choose_step(page, "Noise: Denoise: non-local means")
            page.get_by_role("button", name="Add step").click()
            wait_idle(page)
            _choose_step(page, FIRST_STEP)
        # Add a linear brightness/contrast step (the first entry of "Add a step"): every move of
        # its gain slider changes the output, so every move must produce a new preview.
        page.get_by_role("button", name="Add step").click()
        wait_idle(page)
        label = "Contrast (gain a)"
        slider = page.get_by_role("slider", name=label).first
        slider.wait_for(timeout=60_000)
        times: list[float] = []
        for i in range(args.moves):
            slider.focus()
            page.evaluate(ARM)
            page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
            ms = page.evaluate("window.__preview")
            if ms >= 0:
                times.append(ms)
            wait_idle(page)
        browser.close()
    result = {
        "machine": machine(),
        "slider": label,
        "denoise_before": args.denoise,
        "moves": args.moves,
        "measured": len(times),
        "median_ms": statistics.median(times),
        "p90_ms": sorted(times)[int(0.9 * (len(times) - 1))],
        "all_ms": [round(t) for t in times],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / ("slider_denoise.json" if args.denoise else "slider.json")).write_text(json.dumps(result, indent=2))
    print(
        f"Slider '{label}' -> preview shown: median {result['median_ms']:.0f} ms, p90 {result['p90_ms']:.0f} ms "
        f"over {len(times)} of {args.moves} moves ({result['machine']})"
    )


if __name__ == "__main__":
    main()
