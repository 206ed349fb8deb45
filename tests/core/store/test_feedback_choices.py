"""The Feedback page's filter choices (``feedback_choices``): the reviewers of any decision and the
merchants with one, read a few index entries each at any size."""

import json

from sqlalchemy import event, insert

from core.store import database
from core.store.database import images, reviews, versions
from core.store.feedback import feedback_choices


def _rows_read(conn, sql: str, params) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Rows PostgreSQL read from each table running ``sql`` (EXPLAIN ANALYZE: rows passed on or
    filtered out, times the loops), subplans included."""
    (plan,) = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params).scalar_one()
    out: dict[str, int] = {}

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        if "Relation Name" in node:
            read = (node["Actual Rows"] + node.get("Rows Removed by Filter", 0)) * node["Actual Loops"]
            out[node["Relation Name"]] = out.get(node["Relation Name"], 0) + read
        for child in node.get("Plans", []):
            walk(child)

    walk(json.loads(plan)[0]["Plan"] if isinstance(plan, str) else plan["Plan"])
    return out


def test_the_filter_choices_probe_each_merchant_and_reviewer(store):
    """The reviewers of any decision and the merchants with one, in order: on PostgreSQL one index
    probe per reviewer and merchant, where SELECT DISTINCT read every decision and joined every
    image with them (1.1 s at 1M images and decisions, 7 ms now; fails on the old queries)."""
    now = database.now()
    with store.write() as conn:
        for n in range(330):  # shop d: 30 images, none decided; a, b, c: 100 each, every one decided
            shop = "d" if n < 30 else "abc"[n % 3]
            image = database.inserted_id(
                conn.execute(
                    insert(images).values(
                        merchant_id=f"shop-{shop}", file_name=f"p{n}.jpg", sha256=f"{n:064x}", created_at=now
                    )
                )
            )
            version = database.inserted_id(
                conn.execute(
                    insert(versions).values(
                        image_id=image,
                        kind="original",
                        sha256=f"{n:064x}",
                        blob_path="x",
                        format="JPEG",
                        width=1,
                        height=1,
                        file_size=1,
                        created_at=now,
                    )
                )
            )
            if shop != "d":
                conn.execute(
                    insert(reviews).values(
                        version_id=version,
                        reviewer=f"r{n % 3}",
                        decision="approved",
                        reasons="",
                        comment="",
                        profile="generic",
                        opened_at=now,
                        decided_at=now,
                        active=True,
                    )
                )
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, sql, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append((sql, params))

    event.listen(store.engine, "before_cursor_execute", record)
    assert feedback_choices(store) == (["r0", "r1", "r2"], ["shop-a", "shop-b", "shop-c"])
    event.remove(store.engine, "before_cursor_execute", record)
    if store.is_sqlite:
        return  # SQLite skips ahead in the indexes either way
    with store.read() as conn:
        read = [_rows_read(conn, sql, params) for sql, params in seen if "reviewer" in sql or "merchant_id" in sql]
    assert len(read) == 2, seen
    assert sum(r.get("reviews", 0) for r in read) < 60, read  # of 300 decisions
    assert sum(r.get("images", 0) for r in read) < 60, read  # of 330 images (30 of them shop d's)
