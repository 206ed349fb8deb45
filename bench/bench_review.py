"""The review loop in a real browser: keypress -> next image shown, for Approve (A) and Skip (S),
with one reviewer and with four reviewers working the same queue at once; plus the server side
of a keypress (the queue and database work the page does) under four parallel reviewers.

Run: ``python bench/bench_review.py [--presses 15] [--parallel-presses 6]``. Needs Debian's
``chromium``. The app runs on 127.0.0.1 (a free port) on a fresh data folder: the sample images
plus 80 more, and reviewers r1..r4. Results go to ``bench/out/review.json``.

"Next image shown" is measured in the page: from the keypress until the title shows another
image's name and the new "after" image has been decoded and painted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np
from common import OUT, ROOT, jpeg, machine, photos  # noqa: F401  (adds the repo to sys.path)

from tests.e2e.server import ADMIN_PASSWORD, CHROMIUM, CHROMIUM_ARGS, running_app

REVIEWERS = ("r1", "r2", "r3", "r4")
PASSWORD = "bench-reviewer-password"

STATE = """() => {
  const title = document.querySelector('[data-testid="stMain"] h3');
  let img = document.querySelector('.bac img.after');
  if (!img) { for (const n of document.querySelectorAll('*')) {
    if (n.shadowRoot) { img = n.shadowRoot.querySelector('.bac img.after'); if (img) break; } } }
  return {title: title ? title.innerText : '', src: img ? img.getAttribute('src') : '', ok: !!(img && img.complete)};
}"""

ARM = """() => {
  const read = READ;
  const old = read();
  window.__next = new Promise((resolve) => {
    const t0 = performance.now();
    const poll = () => {
      const now = read();
      const empty = document.body.innerText.includes('queue is empty');
      if ((now.title && now.title !== old.title && now.src !== old.src && now.ok) || empty) {
        resolve(performance.now() - t0); return; }
      if (performance.now() - t0 > 30000) { resolve(-1); return; }
      requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  });
}""".replace("READ", STATE)


def prepare(root: Path, extra: int) -> None:
    from core.store.accounts import create_user
    from core.store.database import open_store
    from core.store.intake import ingest_files
    from core.store.samples import seed_samples

    store = open_store(root)
    seed_samples(store)
    base = list(photos().values())
    files = []
    for i in range(extra):
        rgb = base[i % len(base)]
        gain = 0.55 + 0.9 * (i / max(1, extra - 1))
        files.append((f"bench_{i:03d}.jpg", jpeg(np.clip(rgb.astype(np.float32) * gain, 0, 255).astype(np.uint8))))
    ingest_files(store, files, merchant_id="bench-shop")
    for name in REVIEWERS:
        create_user(store, username=name, password=PASSWORD, role="reviewer")
    store.dispose()


async def sign_in(page, base: str, user: str, password: str) -> None:  # type: ignore[no-untyped-def]
    await page.goto(base + "/")
    await page.get_by_role("textbox", name="User name").fill(user)
    await page.get_by_role("textbox", name="Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    # In-app navigation (the same session), not a new page load.
    link = page.locator('[data-testid="stSidebarNav"] a[href$="/review"]').first
    await link.wait_for(timeout=90_000)
    await link.click()
    await page.get_by_role("heading", name="Review queue").wait_for(timeout=90_000)
    await page.locator('[data-testid="stMain"] h3').first.wait_for(timeout=90_000)
    await idle(page)


async def idle(page) -> None:  # type: ignore[no-untyped-def]
    await page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"
        " === 'notRunning'",
        timeout=60_000,
    )
    await page.wait_for_timeout(150)


async def press(page, key: str) -> float:  # type: ignore[no-untyped-def]
    """Press ``key`` (focus on the page, not an input) and return ms until the next image is shown."""
    await page.get_by_role("heading", name="Review queue").click()
    await page.evaluate(ARM)
    await page.keyboard.press(key)
    ms = float(await page.evaluate("window.__next"))
    await idle(page)
    return ms


async def browser_runs(base: str, presses: int, parallel_presses: int) -> dict[str, list[float]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        # Four reviewers are four pages of one browser: none may be throttled as a background tab.
        browser = await p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                *CHROMIUM_ARGS,
                "--disable-renderer-backgrounding",
                "--disable-background-timer-throttling",
                "--disable-backgrounding-occluded-windows",
            ],
        )
        out: dict[str, list[float]] = {"approve": [], "skip": [], "parallel_approve": []}
        ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
        page = await ctx.new_page()
        await sign_in(page, base, "admin", ADMIN_PASSWORD)
        await press(page, "a")  # warm-up: first render of the panel and its caches
        for _ in range(presses):
            out["approve"].append(await press(page, "a"))
        for _ in range(presses):
            out["skip"].append(await press(page, "s"))
        await ctx.close()

        pages = []
        for name in REVIEWERS:
            c = await browser.new_context(viewport={"width": 1400, "height": 1000})
            pg = await c.new_page()
            await sign_in(pg, base, name, PASSWORD)
            pages.append(pg)

        async def work(pg) -> list[float]:  # type: ignore[no-untyped-def]
            return [await press(pg, "a") for _ in range(parallel_presses)]

        for times in await asyncio.gather(*(work(pg) for pg in pages)):
            out["parallel_approve"].extend(times)
        await browser.close()
    return out


def server_side(root: Path, rounds: int) -> dict[str, float]:
    """What one keypress costs the server, without the browser: decide, progress, claim the next
    item, read it and its issues, find the upcoming one (the review panel's work), four reviewers
    in parallel threads against the same database."""
    from core.services.review import (
        QueueFilter,
        comparison_for,
        current_item,
        progress,
        record_decision,
        upcoming_item,
    )
    from core.store.database import open_store
    from core.store.queries import get_image, issue_details

    store = open_store(root)
    where = QueueFilter()
    times: list[float] = []
    decided: list[int] = []
    lock = threading.Lock()

    def reviewer(name: str) -> None:
        item = current_item(store, reviewer=name, where=where)
        for _ in range(rounds):
            if item is None:
                return
            t0 = time.perf_counter()
            record_decision(store, version_id=item.version_id, reviewer=name, decision="approved")
            progress(store, name)
            item = current_item(store, reviewer=name, where=where)
            if item is not None:
                rec = get_image(store, item.version_id)
                assert rec is not None
                comparison_for(store, rec, profile="generic")
                issue_details(store, item.version_id, "generic")
                upcoming_item(store, reviewer=name, where=where, shown=item.version_id)
            with lock:
                times.append((time.perf_counter() - t0) * 1000)
                decided.append(0)

    names = [f"s{i}" for i in range(4)]
    threads = [threading.Thread(target=reviewer, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    from sqlalchemy import func, select

    from core.store.database import reviews

    with store.read() as conn:
        twice = conn.execute(
            select(reviews.c.version_id, func.count())
            .where(reviews.c.active.is_(True), reviews.c.reviewer.in_(names))
            .group_by(reviews.c.version_id)
            .having(func.count() > 1)
        ).all()
    store.dispose()
    return {
        "median_ms": statistics.median(times),
        "p90_ms": pct(times, 0.9),
        "keypresses": len(times),
        "decided_twice": len(twice),
    }


def pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[int(q * (len(s) - 1))] if s else float("nan")


def summary(xs: list[float]) -> dict[str, float]:
    ok = [x for x in xs if x >= 0]
    return {
        "median_ms": round(statistics.median(ok)),
        "p90_ms": round(pct(ok, 0.9)),
        "min_ms": round(min(ok)),
        "max_ms": round(max(ok)),
        "measured": len(ok),
        "timeouts": len(xs) - len(ok),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=15)
    parser.add_argument("--parallel-presses", type=int, default=6)
    parser.add_argument("--server-rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        prepare(root, extra=80)
        with running_app(root) as base:
            runs = asyncio.run(browser_runs(base, args.presses, args.parallel_presses))
            # Nothing decided twice by the four parallel reviewers (no double review asked)
            from sqlalchemy import func, select

            from core.store.database import open_store, reviews

            store = open_store(root)
            with store.read() as conn:
                per = Counter(
                    v
                    for (v,) in conn.execute(
                        select(reviews.c.version_id).where(
                            reviews.c.active.is_(True), reviews.c.reviewer.in_(REVIEWERS)
                        )
                    ).all()
                )
                total = conn.execute(select(func.count()).select_from(reviews)).scalar()
            store.dispose()
        server = server_side(root, args.server_rounds)
    result = {
        "machine": machine(),
        "approve": summary(runs["approve"]),
        "skip": summary(runs["skip"]),
        "parallel_4_approve": summary(runs["parallel_approve"]),
        "parallel_4_images_decided_twice": sum(1 for n in per.values() if n > 1),
        "parallel_4_decisions": sum(per.values()),
        "decisions_total": total,
        "server_side_4_parallel": server,
        "all_ms": {k: [round(x) for x in v] for k, v in runs.items()},
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "review.json").write_text(json.dumps(result, indent=2))
    for k in ("approve", "skip", "parallel_4_approve"):
        r = result[k]
        print(
            f"{k:20s} keypress -> next image: median {r['median_ms']} ms, p90 {r['p90_ms']} ms "
            f"(min {r['min_ms']}, max {r['max_ms']}, n={r['measured']}, timeouts {r['timeouts']})"
        )
    print(
        f"4 parallel reviewers: {result['parallel_4_decisions']} decisions, "
        f"{result['parallel_4_images_decided_twice']} images decided twice"
    )
    print(
        f"server side, 4 parallel reviewers: median {server['median_ms']:.1f} ms, p90 {server['p90_ms']:.1f} ms per "
        f"keypress ({server['keypresses']} keypresses, {server['decided_twice']} decided twice)"
    )
    print(f"({result['machine']})")


if __name__ == "__main__":
    main()
