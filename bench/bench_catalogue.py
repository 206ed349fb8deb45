"""A large catalogue on SQLite and on PostgreSQL: the queries behind Overview, Feedback and Review,
and the pages themselves in headless Chromium.

Run: ``python bench/bench_catalogue.py [--images 100000] [--decisions 50000] [--double-percent 0]
[--backends sqlite,postgresql]``.
Needs Debian's ``chromium`` and ``postgresql`` (a private server is started on 127.0.0.1, a free
port, in a temporary folder, and stopped afterwards). Results go to ``bench/out/catalogue_scale.json``.

Seeding: the 20 sample images are ingested for real (decoded, measured, scored under every
profile); their rows are then replicated in bulk to ``--images`` images (distinct names, SKUs,
merchants, hashes and dates; the image files are the 20 real ones, shared), and ``--decisions``
decisions by five reviewers over the last 25 days are added. With ``--double-percent P`` the queue
asks for two reviews on P % of the items, and those decided get a second decision by another
reviewer a little later (the decisions still number ``--decisions``): what the Feedback page's
reviewer agreement reads. Every row is a complete row of the
schema, as an ingest would write it, so the pages run exactly as in production.

Targets (issue 9): Overview and Feedback open within 1.5 s, Review keypress -> next image within
500 ms, every process under 600 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import OUT, machine  # noqa: F401  (adds the repo to sys.path)
from sqlalchemy import func, insert, select, text

REVIEWERS = ("r1", "r2", "r3", "r4", "r5")
REASONS = ("blurry", "too dark", "too bright", "background not white", "other")
CHUNK = 5000
COPY_EVERY = 5000


# --- seeding -------------------------------------------------------------------------------------


def seed(
    root: Path, database_url: str | None, *, n_images: int, n_decisions: int, double_percent: int = 0
) -> dict[str, float]:
    from core.store import database as db
    from core.store.accounts import create_user
    from core.store.database import open_store
    from core.store.reviews import set_double_review_percent
    from core.store.samples import seed_samples

    t0 = time.perf_counter()
    store = open_store(root, database_url=database_url)
    seed_samples(store)
    t_real = time.perf_counter() - t0
    rng = random.Random(9)
    with store.read() as conn:
        tmpl_images = conn.execute(select(db.images)).mappings().all()
        tmpl_versions = {
            r["image_id"]: r
            for r in conn.execute(select(db.versions).where(db.versions.c.kind == "original")).mappings().all()
        }
        tmpl_analyses = {r["version_id"]: r for r in conn.execute(select(db.analyses)).mappings().all()}
        tmpl_scores: dict[int, list[Any]] = {}
        for r in conn.execute(select(db.scores)).mappings().all():
            tmpl_scores.setdefault(r["version_id"], []).append(r)
        tmpl_issues: dict[int, list[Any]] = {}
        for r in conn.execute(select(db.score_issues)).mappings().all():
            tmpl_issues.setdefault(r["version_id"], []).append(r)
        next_image = int(conn.execute(select(func.max(db.images.c.id))).scalar() or 0) + 1
        next_version = int(conn.execute(select(func.max(db.versions.c.id))).scalar() or 0) + 1
        next_score = int(conn.execute(select(func.max(db.scores.c.id))).scalar() or 0) + 1
    templates = [(im, tmpl_versions[im["id"]]) for im in tmpl_images if im["id"] in tmpl_versions]
    start = datetime.now(UTC) - timedelta(days=60)
    extra = max(0, n_images - len(templates))
    new_versions: list[int] = []
    t1 = time.perf_counter()
    for base in range(0, extra, CHUNK):
        rows_i, rows_v, rows_a, rows_s, rows_si = [], [], [], [], []
        for i in range(base, min(extra, base + CHUNK)):
            im, ve = templates[i % len(templates)]
            iid, vid = next_image + i, next_version + i
            # One file in COPY_EVERY is the previous one's, stored by the next merchant too: the
            # (few) copies between merchants the copies filter lists.
            sha = hashlib.sha256(f"bench-{i - (i % COPY_EVERY == 1)}".encode()).hexdigest()
            stamp = (start + timedelta(seconds=i * 40)).isoformat(timespec="microseconds")
            merchant = f"shop-{i % 240:03d}"
            name = f"{Path(im['file_name']).stem}_{i:06d}{Path(im['file_name']).suffix}"
            rows_i.append(
                {
                    **im,
                    "id": iid,
                    "merchant_id": merchant,
                    "sku": f"SKU-{i:06d}",
                    "file_name": name,
                    "sha256": sha,
                    "uploaded_by": "bench",
                    "created_at": stamp,
                    **({"display_name": name} if "display_name" in im else {}),
                }
            )
            rows_v.append({**ve, "id": vid, "image_id": iid, "sha256": sha, "created_at": stamp})
            a = tmpl_analyses[ve["id"]]
            rows_a.append({**a, "version_id": vid, "created_at": stamp})
            for k, s in enumerate(tmpl_scores.get(ve["id"], [])):
                rows_s.append({**s, "id": next_score + i * 8 + k, "version_id": vid, "created_at": stamp})
            rows_si += [{**r, "version_id": vid} for r in tmpl_issues.get(ve["id"], [])]
            new_versions.append(vid)
        with store.write() as conn:
            for table, rows in (
                (db.images, rows_i),
                (db.versions, rows_v),
                (db.analyses, rows_a),
                (db.scores, rows_s),
                (db.score_issues, rows_si),
            ):
                if rows:
                    conn.execute(insert(table), rows)
    t_images = time.perf_counter() - t1
    for name in REVIEWERS:
        create_user(store, username=name, password="bench-reviewer-password", role="reviewer")
    t2 = time.perf_counter()
    with store.read() as conn:
        all_versions = [int(v) for v in conn.execute(select(db.versions.c.id)).scalars().all()]
        next_review = int(conn.execute(select(func.max(db.reviews.c.id))).scalar() or 0) + 1
    chosen = rng.sample(all_versions, min(n_decisions, len(all_versions)))
    now = datetime.now(UTC)
    # (version, reviewer, seconds after its first decision): the queue's own choice of the items
    # it asks two reviews for (``reviews._needed``), the second by another reviewer
    decided: list[tuple[int, str, float]] = []
    for j, vid in enumerate(chosen):
        if len(decided) >= n_decisions:
            break
        decided.append((vid, REVIEWERS[j % len(REVIEWERS)], 0.0))
        if double_percent and (vid * 37) % 100 < double_percent and len(decided) < n_decisions:
            other = REVIEWERS[(j + rng.randint(1, len(REVIEWERS) - 1)) % len(REVIEWERS)]
            decided.append((vid, other, rng.uniform(60, 6 * 3600)))
    if double_percent:
        set_double_review_percent(store, double_percent, actor="bench")
    for base in range(0, len(decided), CHUNK):
        rows_r = []
        for j, (vid, reviewer, later) in enumerate(decided[base : base + CHUNK], start=base):
            roll = rng.random()
            decision = "approved" if roll < 0.6 else "rejected" if roll < 0.85 else "needs_changes"
            decided_at = now - timedelta(days=25 * (1 - j / max(1, len(decided))), seconds=rng.randint(0, 600))
            decided_at = min(now, decided_at + timedelta(seconds=later))
            rows_r.append(
                {
                    "id": next_review + j,
                    "version_id": vid,
                    "reviewer": reviewer,
                    "decision": decision,
                    "reasons": "" if decision == "approved" else rng.choice(REASONS),
                    "comment": "",
                    "profile": "generic",
                    "opened_at": (decided_at - timedelta(seconds=rng.uniform(2, 40))).isoformat(),
                    "decided_at": decided_at.isoformat(timespec="microseconds"),
                    "active": True,
                    "replaces_id": None,
                    "undone_at": None,
                }
            )
        with store.write() as conn:
            conn.execute(insert(db.reviews), rows_r)
    t_reviews = time.perf_counter() - t2
    if not store.is_sqlite:  # explicit ids were written: move the sequences past them
        with store.write() as conn:
            for table in ("images", "versions", "scores", "reviews"):
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
            conn.execute(text("ANALYZE"))
    else:
        with store.write() as conn:
            conn.exec_driver_sql("ANALYZE")
    store.dispose()
    return {"real_ingest_s": t_real, "bulk_images_s": t_images, "decisions_s": t_reviews}


# --- query timings -------------------------------------------------------------------------------


def _median_ms(fn: Callable[[], Any], repeat: int = 5) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 1)


#: The limits a reviewer's tuning moves for the Feedback page's preview (check -> new warning
#: limit of its first rule): four checks, their six metrics and the duplicate flag.
BENCH_TUNING = {"blurry": 60.0, "compression_artifacts": 70.0, "dark": 150.0, "overexposed": 95.0}


def bench_tuning(store: Any) -> Any:
    """A :class:`~core.services.feedback.TunedProfile` of ``generic`` with :data:`BENCH_TUNING`'s
    limits moved, as the Feedback page previews it before saving."""
    from core.engine.profiles import profile_from_dict
    from core.engine.tuning import Cut
    from core.services.feedback import Suggestion, TunedProfile
    from core.services.profiles import get_profile

    base = get_profile(store, "generic")
    data = base.to_dict()
    data["name"] = "generic-bench"
    moves = []
    for check, warn in BENCH_TUNING.items():
        rule = base.checks[check].rules[0]
        data["checks"][check]["rules"][0].update(warn=warn)
        cut = Cut(warn=warn, move="tighten", caught=0, wrong_before=0, collateral=0)
        moves.append(
            Suggestion(
                check=check,
                metric=rule.metric,
                direction=rule.direction,
                old_warn=rule.warn,
                new_warn=warn,
                approved=0,
                rejected=0,
                cut=cut,
            )
        )
    return TunedProfile(profile=profile_from_dict(data), base=base, suggestions=moves, unmoved=[], switched_off=[])


def time_queries(root: Path, database_url: str | None) -> dict[str, float]:
    from core.services.feedback import (
        ANALYTICS_SAMPLE,
        feedback_choices,
        feedback_count,
        separations,
        tuning_impact,
    )
    from core.services.overview import CatalogFilter, CatalogScope, merchant_ids, overview
    from core.services.review import QueueFilter, approve_all, bulk_candidates, undo_last_decisions
    from core.store.database import open_store
    from core.store.feedback import FeedbackFilter, feedback_frame
    from core.store.queries import get_image, issue_details
    from core.store.reviews import next_in_queue, progress

    store = open_store(root, database_url=database_url)
    scope = CatalogScope(profile="generic")
    since = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    flt = FeedbackFilter(date_from=since, date_to=datetime.now(UTC).date().isoformat())
    out: dict[str, float] = {}
    try:
        out["overview: default"] = _median_ms(lambda: overview(store, scope))
        out["overview: merchant list"] = _median_ms(lambda: merchant_ids(store))
        out["overview: issue+status filter"] = _median_ms(
            lambda: overview(store, scope, CatalogFilter(issues=("blurry", "dark"), statuses=("unreviewed",)))
        )
        out["overview: text search"] = _median_ms(lambda: overview(store, scope, CatalogFilter(text="sku-0999")))
        out["overview: page 1000"] = _median_ms(lambda: overview(store, scope, page=1000))
        out["overview: by name, page 1000"] = _median_ms(lambda: overview(store, scope, page=1000, order="name"))
        out["overview: one merchant"] = _median_ms(lambda: overview(store, CatalogScope(merchant_id="shop-007")))
        out["feedback: filter choices"] = _median_ms(lambda: feedback_choices(store))
        out["feedback: counts"] = _median_ms(lambda: feedback_count(store, flt))
        out[f"feedback: newest {ANALYTICS_SAMPLE} rows"] = _median_ms(
            lambda: feedback_frame(store, flt, limit=ANALYTICS_SAMPLE, newest_first=True), repeat=3
        )
        frame = feedback_frame(store, flt, limit=ANALYTICS_SAMPLE, newest_first=True)
        out["feedback: separations"] = _median_ms(lambda: separations(frame), repeat=3)
        tuning = bench_tuning(store)
        out["feedback: impact of a tuned profile"] = _median_ms(lambda: tuning_impact(store, tuning), repeat=3)
        out["review: progress"] = _median_ms(lambda: progress(store, "admin", profile="generic"))
        out["review: next in queue"] = _median_ms(lambda: next_in_queue(store, "admin", profile="generic"))
        # The bulk panel's table: every open item of score >= 90 with no issue, copies across
        # merchants left out (an index probe per item).
        out["review: bulk candidates"] = _median_ms(
            lambda: bulk_candidates(store, reviewer="admin", where=QueueFilter(), min_score=90.0, no_issues=True),
            repeat=3,
        )
        # Staff's list of the files two merchants stored: few, found from the SHA-256 index.
        out["overview: copies filter"] = _median_ms(lambda: overview(store, scope, CatalogFilter(copied=True)))
        out["review: copies filter, next"] = _median_ms(lambda: next_in_queue(store, "admin", copied=True))
        out["review: copies filter, progress"] = _median_ms(lambda: progress(store, "admin", copied=True))
        # One bulk approval of the panel's 5000 images and its undo (once each: they change the store).
        shown = [
            i.version_id
            for i in bulk_candidates(store, reviewer="admin", where=QueueFilter(), min_score=90.0, no_issues=True)
        ]
        if shown:
            t0 = time.perf_counter()
            approve_all(store, reviewer="admin", version_ids=shown, confirmed_count=len(shown), profile="generic")
            out[f"review: approve {len(shown)} in bulk"] = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            undo_last_decisions(store, reviewer="admin")
            out[f"review: undo {len(shown)} in bulk"] = (time.perf_counter() - t0) * 1000
        item = next_in_queue(store, "admin", profile="generic")
        if item is not None:
            out["review: image + issues"] = _median_ms(
                lambda: (
                    get_image(store, item.version_id, profile="generic"),
                    issue_details(store, item.version_id, "generic"),
                )
            )
    finally:
        store.dispose()
    return out


# --- pages in a browser --------------------------------------------------------------------------


def _rss_mb(pid: int) -> float:
    import psutil

    proc = psutil.Process(pid)
    return round(sum(p.memory_info().rss for p in (proc, *proc.children(recursive=True))) / 1e6, 1)


async def _open(page, link: str, ready: str) -> float:  # type: ignore[no-untyped-def]
    """ms from a click on the menu entry ``link`` until the page's script has finished and a
    heading matching ``ready`` is shown (the app's own navigation: the session stays signed in)."""
    import re

    from bench_review import idle  # type: ignore[import-not-found]

    t = time.perf_counter()
    await page.locator('[data-testid="stSidebarNav"] a').filter(has_text=link).first.click()
    try:
        await page.locator("h3", has_text=re.compile(ready)).first.wait_for(timeout=120_000)
    except Exception:
        OUT.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(OUT / "catalogue-timeout.png"), full_page=True)
        raise
    await idle(page)
    return (time.perf_counter() - t) * 1000 - 150  # idle() waits 150 ms after the script ends


async def _press(page, key: str) -> float:  # type: ignore[no-untyped-def]
    """Keypress -> the next image's title shown with its picture painted. Unlike bench_review's
    measure, the picture may be the same file (the seeded catalogue shares 20 image files)."""
    from bench_review import STATE, idle  # type: ignore[import-not-found]

    arm = """() => {
      const read = READ;
      const old = read();
      window.__next = new Promise((resolve) => {
        const t0 = performance.now();
        const poll = () => {
          const now = read();
          if ((now.title && now.title !== old.title && now.ok) || document.body.innerText.includes('queue is empty')) {
            resolve(performance.now() - t0); return; }
          if (performance.now() - t0 > 30000) { resolve(-1); return; }
          requestAnimationFrame(poll);
        };
        requestAnimationFrame(poll);
      });
    }""".replace("READ", STATE)
    await page.get_by_role("heading", name="Review queue").click()
    await page.evaluate(arm)
    await page.keyboard.press(key)
    ms = float(await page.evaluate("window.__next"))
    await idle(page)
    return ms


async def browse(base: str, pid: int, presses: int) -> dict[str, Any]:
    from bench_review import sign_in  # type: ignore[import-not-found]
    from playwright.async_api import async_playwright

    from tests.e2e.server import ADMIN_PASSWORD, CHROMIUM, CHROMIUM_ARGS

    out: dict[str, Any] = {"rss_mb": []}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = await browser.new_context(viewport={"width": 1400, "height": 1000})
        page = await ctx.new_page()
        await sign_in(page, base, "admin", ADMIN_PASSWORD)  # ends on the Review page
        out["rss_mb"].append(_rss_mb(pid))
        pages = (("overview", "Overview", r"^Images \d+-\d+ of \d+"), ("feedback", "Feedback", r"^[\d,]+ decisions$"))
        for _name, link, ready in pages:
            await _open(page, link, ready)  # first open: caches, imports
        times: dict[str, list[float]] = {name: [] for name, _, _ in pages}
        for _ in range(3):
            for name, link, ready in pages:
                times[name].append(await _open(page, link, ready))
                out["rss_mb"].append(_rss_mb(pid))
        for name, values in times.items():
            out[f"{name}_open_ms"] = round(statistics.median(values), 1)
        await page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Review").first.click()
        await page.get_by_role("heading", name="Review queue").wait_for(timeout=120_000)
        await page.locator('[data-testid="stMain"] h3').first.wait_for(timeout=120_000)
        await _press(page, "a")  # warm-up
        approve = [await _press(page, "a") for _ in range(presses)]
        out["review_keypress_ms_median"] = round(statistics.median(approve), 1)
        out["review_keypress_ms_max"] = round(max(approve), 1)
        out["rss_mb"].append(_rss_mb(pid))
        await browser.close()
    out["rss_mb_max"] = max(out.pop("rss_mb"))
    return out


def run_pages(root: Path, database_url: str | None, presses: int) -> dict[str, Any]:
    from tests.e2e.server import running_app

    pid: list[int] = []
    with running_app(root, database_url=database_url, timeout=300, on_start=lambda proc: pid.append(proc.pid)) as base:
        return asyncio.run(browse(base, pid[0], presses))


# --- main ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def backend_url(backend: str) -> Iterator[str | None]:
    if backend == "sqlite":
        yield None
        return
    from tests.pg import running_postgres

    with running_postgres() as server:
        yield server.create_database("bench")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=100_000)
    ap.add_argument("--decisions", type=int, default=50_000)
    ap.add_argument("--double-percent", type=int, default=0, help="share of items decided twice (percent)")
    ap.add_argument("--backends", default="sqlite,postgresql")
    ap.add_argument("--presses", type=int, default=10)
    ap.add_argument("--no-browser", action="store_true", help="time the queries only")
    args = ap.parse_args()
    import psutil

    results: dict[str, Any] = {"machine": machine(), "images": args.images, "decisions": args.decisions}
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="imagedesk-bench-") as tmp, backend_url(backend) as url:
            root = Path(tmp) / "data"
            print(f"[{backend}] seeding {args.images} images and {args.decisions} decisions...", flush=True)
            r: dict[str, Any] = {
                "seed": seed(
                    root, url, n_images=args.images, n_decisions=args.decisions, double_percent=args.double_percent
                )
            }
            print(f"[{backend}] seeded: {r['seed']}", flush=True)
            r["queries_ms"] = time_queries(root, url)
            r["bench_process_rss_mb"] = round(psutil.Process().memory_info().rss / 1e6, 1)
            for k, v in r["queries_ms"].items():
                print(f"[{backend}] {k:40s} {v:8.1f} ms", flush=True)
            if not args.no_browser:
                r["pages"] = run_pages(root, url, args.presses)
                print(f"[{backend}] pages: {r['pages']}", flush=True)
            results[backend] = r
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "catalogue_scale.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
