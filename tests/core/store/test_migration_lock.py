"""Several app servers starting at once against one database: migrations run exactly once."""

from __future__ import annotations

import multiprocessing as mp

from sqlalchemy import func, select

from core.store.database import SCHEMA_VERSION, open_store, schema_info


def _open(root: str, url: str | None) -> int:
    store = open_store(root, database_url=url)
    try:
        return store.schema_version()
    finally:
        store.dispose()


def test_concurrent_opens_of_a_new_database_migrate_once(tmp_path, database_url):
    root = str(tmp_path / "data")
    ctx = mp.get_context("spawn")
    with ctx.Pool(4) as pool:
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
        assert [tuple(r) for r in rows] == [(v, 1) for v in range(1, SCHEMA_VERSION + 1)]  # each applied once
    finally:
        store.dispose()
