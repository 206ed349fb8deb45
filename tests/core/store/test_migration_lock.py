"""Several app servers starting at once against one database: each revision is applied exactly once,
whether the database is new or was left by the hand-rolled migrations from before Alembic."""

from __future__ import annotations

import multiprocessing as mp
from typing import Any

import pytest
from sqlalchemy import func, select

from core.store.database import SCHEMA_VERSION, open_store, schema_info
from tests.core.store.old_schema import back_to_hand_rolled_version

_start: Any = None


def _ready(barrier: Any) -> None:
    global _start
    _start = barrier


def _open(root: str, url: str | None) -> int:
    import alembic.command  # noqa: F401 - imported before the start, so that all four reach the lock together

    _start.wait(timeout=120)
    store = open_store(root, database_url=url)
    try:
        return store.schema_version()
    finally:
        store.dispose()


@pytest.mark.parametrize("start", ["new", "hand-rolled version 3"])
def test_concurrent_opens_apply_each_revision_once(tmp_path, database_url, start):
    root = str(tmp_path / "data")
    if start != "new":
        store = open_store(root, database_url=database_url)
        back_to_hand_rolled_version(store, 3)
        store.dispose()
    ctx = mp.get_context("spawn")
    with ctx.Pool(4, initializer=_ready, initargs=(ctx.Barrier(4),)) as pool:
        versions = pool.starmap(_open, [(root, database_url)] * 4, chunksize=1)
    assert versions == [SCHEMA_VERSION] * 4
    store = open_store(root, database_url=database_url)
    try:
        with store.read() as conn:
            rows = conn.execute(
                select(schema_info.c.version, func.count())
                .group_by(schema_info.c.version)
                .order_by(schema_info.c.version)
            ).all()
            stamped = list(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
        assert [tuple(r) for r in rows] == [(v, 1) for v in range(1, SCHEMA_VERSION + 1)]  # each applied once
        assert stamped == [f"{SCHEMA_VERSION:04d}"]
    finally:
        store.dispose()
