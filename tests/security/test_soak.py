"""Issue 8, evidence: a concurrency soak. 8 processes x 300 decisions on one SQLite database,
two processes per reviewer deciding the same images at the same time: nothing lost, nothing
duplicated, never two active decisions by one reviewer on one image."""

from __future__ import annotations

import multiprocessing as mp

from sqlalchemy import func, select

from core.store.database import open_store, reviews

PROCESSES = 8
PER_PROCESS = 300


def _writer(root: str, proc: int, version_ids: list[int]) -> int:
    from core.store.reviews import decide

    store = open_store(root, database_url=None)
    reviewer = f"soak{proc % 4}"  # two processes share each reviewer
    try:
        for i in range(PER_PROCESS):
            vid = version_ids[(i + proc) % len(version_ids)]
            if i % 2:
                decide(store, version_id=vid, reviewer=reviewer, decision="approved", comment=f"p{proc}-{i}")
            else:
                decide(
                    store,
                    version_id=vid,
                    reviewer=reviewer,
                    decision="rejected",
                    reasons=["other"],
                    comment=f"p{proc}-{i}",
                )
        return PER_PROCESS
    finally:
        store.dispose()


def _catalogue(root, n: int = 20) -> list[int]:  # type: ignore[no-untyped-def]
    """``n`` image versions written directly (decisions need only the rows, not the pictures)."""
    from sqlalchemy import insert

    from core.store.database import images, now, versions

    store = open_store(root, database_url=None)
    ids = []
    with store.write() as conn:
        for i in range(n):
            sha = f"{i:064x}"
            image_id = conn.execute(
                insert(images).values(
                    merchant_id="m1", sku="", file_name=f"{i}.jpg", sha256=sha, uploaded_by="soak", created_at=now()
                )
            ).inserted_primary_key[0]
            ids.append(
                int(
                    conn.execute(
                        insert(versions).values(
                            image_id=image_id,
                            kind="original",
                            sha256=sha,
                            blob_path=f"{sha[:2]}/{sha}.jpg",
                            format="JPEG",
                            width=100,
                            height=100,
                            file_size=1000,
                            recipe_json="",
                            parent_id=None,
                            submitted=True,
                            created_by="soak",
                            created_at=now(),
                            info_json="{}",
                        )
                    ).inserted_primary_key[0]
                )
            )
    store.dispose()
    return ids


def test_eight_processes_three_hundred_decisions_each(tmp_path):
    root = tmp_path / "data"
    vids = _catalogue(root)
    store = open_store(root, database_url=None)
    ctx = mp.get_context("spawn")
    with ctx.Pool(PROCESSES) as pool:
        done = pool.starmap(_writer, [(str(root), p, vids) for p in range(PROCESSES)])
    assert done == [PER_PROCESS] * PROCESSES
    with store.read() as conn:
        total = conn.execute(select(func.count()).select_from(reviews)).scalar()
        comments = conn.execute(select(reviews.c.comment)).scalars().all()
        active = conn.execute(
            select(reviews.c.version_id, reviews.c.reviewer, func.count())
            .where(reviews.c.active.is_(True))
            .group_by(reviews.c.version_id, reviews.c.reviewer)
        ).all()
    store.dispose()
    assert total == PROCESSES * PER_PROCESS  # none lost
    assert len(set(comments)) == len(comments) == total  # none duplicated
    assert all(n == 1 for *_, n in active)  # never double-active
    assert len(active) == 4 * len(vids)  # every reviewer has exactly one current decision per image
