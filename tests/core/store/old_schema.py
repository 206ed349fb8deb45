"""Databases as the hand-rolled migrations (before Alembic) left them: ``schema_info`` at version N,
no ``alembic_version``, and only what migrations 1..N had made."""

from __future__ import annotations

from core.store import database
from core.store.database import Store
from core.store.textfold import FOLD_FUNCTION

#: What each hand-rolled migration added (tables, columns, indexes), undone newest first.
ADDED_BY: dict[int, dict[str, list[str]]] = {
    2: {"indexes": [i.name for i in database._V2_INDEXES]},
    3: {"tables": ["sessions", "sign_in_attempts"]},
    4: {
        "indexes": ["ix_reviews_batch"],
        "columns": ["reviews.batch_id", "images.display_name"],
        "tables": ["review_leases", "queue_settings"],
    },
    5: {"indexes": [i.name for i in database._V5_INDEXES], "tables": ["score_issues", "profiles"]},
    6: {"columns": ["analyses.colors"]},
    7: {"indexes": [i.name for i in database._V7_INDEXES]},
    8: {"indexes": [i.name for i in database._V8_INDEXES]},
    9: {},  # Alembic only: re-creates indexes of 5 that early version-5 databases lack (see test_migrations)
    10: {"indexes": [i.name for i in database._V10_INDEXES]},
    # the text search index: pg_trgm indexes, or an FTS5 table and its triggers (not in `metadata`)
    11: {
        "postgresql": [f"DROP INDEX IF EXISTS ix_images_{c}_trgm" for c in database.TEXT_SEARCH_COLUMNS],
        "sqlite": [
            *(f"DROP TRIGGER IF EXISTS {database.IMAGES_FTS}_{event}" for event in ("insert", "delete", "update")),
            f"DROP TABLE IF EXISTS {database.IMAGES_FTS}",
        ],
    },
    # the fold function (PostgreSQL), and revision 0011's indexes on lower() instead of on it
    12: {
        "postgresql": [
            *(f"DROP INDEX IF EXISTS ix_images_{c}_trgm" for c in database.TEXT_SEARCH_COLUMNS),
            f"DROP FUNCTION IF EXISTS {FOLD_FUNCTION}(text)",
            *database._text_index_statements("postgresql"),
        ],
    },
    13: {"sqlite": [f"DROP INDEX IF EXISTS {database.AGREEMENT_INDEX.name}"]},  # made on SQLite only
    # the measurements' columns, and the triggers (and on PostgreSQL their function) that fill them
    14: {
        "postgresql": [
            f"DROP TRIGGER IF EXISTS {database.METRICS_TRIGGER} ON analyses",
            f"DROP FUNCTION IF EXISTS {database.METRICS_TRIGGER}()",
        ],
        "sqlite": [f"DROP TRIGGER IF EXISTS {database.METRICS_TRIGGER}_{e}" for e in ("insert", "delete", "update")],
        "tables": [database.analysis_metrics.name],
    },
    # the Overview's order by name (not in `metadata`, as revision 0013's)
    15: {dialect: [f"DROP INDEX IF EXISTS {database.NAME_ORDER_INDEX}"] for dialect in ("sqlite", "postgresql")},
    16: {dialect: [f"DROP INDEX IF EXISTS {database.SAME_FILE_INDEX.name}"] for dialect in ("sqlite", "postgresql")},
    17: {"tables": [database.image_names.name]},
}


def back_to_hand_rolled_version(store: Store, version: int) -> None:
    """Take a database at the head back to how the hand-rolled migrations left it at ``version``."""
    with store.write() as conn:
        for step in range(database.SCHEMA_VERSION, version, -1):
            added = ADDED_BY[step]
            for sql in added.get(conn.dialect.name, []):
                conn.exec_driver_sql(sql)
            for name in added.get("indexes", []):
                conn.exec_driver_sql(f"DROP INDEX {name}")
            for qualified in added.get("columns", []):
                table, column = qualified.split(".")
                conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
            for name in added.get("tables", []):
                conn.exec_driver_sql(f"DROP TABLE {name}")
        conn.exec_driver_sql("DROP TABLE alembic_version")
        conn.execute(database.schema_info.delete().where(database.schema_info.c.version > version))
