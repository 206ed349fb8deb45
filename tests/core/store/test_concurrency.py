"""Many writers at once: 8 threads and 2 processes record thousands of decisions."""

import multiprocessing as mp
import threading
from pathlib import Path

from sqlalchemy import func, select

from core.store.database import open_store, reviews
from core.store.queries import list_images
from core.store.reviews import decide

PER_WRITER = 250


def _write(root: str, url: str, reviewer: str, version_ids: list[int]) -> int:
    store = open_store(root, database_url=url)
    try:
        for i in range(PER_WRITER):
            vid = version_ids[i % len(version_ids)]
            if i % 3 == 0:
                decide(store, version_id=vid, reviewer=reviewer, decision="approved", comment=f"{reviewer}-{i}")
            else:
                decide(
                    store,
                    version_id=vid,
                    reviewer=reviewer,
                    decision="rejected",
                    reasons=["other"],
                    comment=f"{reviewer}-{i}",
                )
        return PER_WRITER
    finally:
        store.dispose()


def test_threads_and_processes_write_concurrently(seeded):
    root, url = str(seeded.root), seeded.database_url
    vids = [r.version_id for r in list_images(seeded)]
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            _write(root, url, name, vids)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    ctx = mp.get_context("spawn")
    with ctx.Pool(2) as pool:
        async_results = [pool.apply_async(_write, (root, url, f"proc{i}", vids)) for i in range(2)]
        threads = [threading.Thread(target=run, args=(f"thread{i}",)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [r.get(timeout=300) for r in async_results] == [PER_WRITER, PER_WRITER]
    assert errors == []
    writers = [f"thread{i}" for i in range(8)] + ["proc0", "proc1"]
    with seeded.read() as conn:
        total = conn.execute(select(func.count()).select_from(reviews)).scalar()
        assert total == PER_WRITER * len(writers)  # every decision is there
        comments = conn.execute(select(reviews.c.comment)).scalars().all()
        assert len(set(comments)) == len(comments)  # none duplicated
        active = conn.execute(
            select(reviews.c.version_id, reviews.c.reviewer, func.count())
            .where(reviews.c.active.is_(True))
            .group_by(reviews.c.version_id, reviews.c.reviewer)
        ).all()
        assert len(active) == len(writers) * len(vids) and all(n == 1 for *_, n in active)
    assert Path(root, "imagedesk.sqlite3").exists() == seeded.is_sqlite
