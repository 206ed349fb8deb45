import sqlite3

from sqlalchemy import inspect, select

from core.store.database import SCHEMA_VERSION, Store, open_store, schema_info


def test_migrates_an_empty_file_to_current(tmp_path):
    s = open_store(tmp_path / "d")
    assert s.schema_version() == SCHEMA_VERSION
    names = set(inspect(s.engine).get_table_names())
    assert {"images", "versions", "analyses", "scores", "reviews", "audit_log", "users", "schema_info"} <= names
    db = tmp_path / "d" / "imagedesk.sqlite3"
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    with s.read() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10000
    s.dispose()


def test_forward_migration_from_version_1(tmp_path):
    s = open_store(tmp_path / "d")
    s.dispose()
    # Take the database back to version 1 (drop what migration 2 added), then reopen.
    con = sqlite3.connect(tmp_path / "d" / "imagedesk.sqlite3")
    con.execute("DROP INDEX ix_reviews_version_active")
    con.execute("DELETE FROM schema_info WHERE version >= 2")
    con.commit()
    con.close()
    s2 = open_store(tmp_path / "d")
    assert s2.schema_version() == SCHEMA_VERSION
    idx = {i["name"] for i in inspect(s2.engine).get_indexes("reviews")}
    assert "ix_reviews_version_active" in idx
    with s2.read() as conn:
        assert [r.version for r in conn.execute(select(schema_info).order_by(schema_info.c.id))] == [
            1,
            *range(2, SCHEMA_VERSION + 1),
        ]
    s2.dispose()


def test_reopening_is_idempotent(tmp_path):
    open_store(tmp_path / "d").dispose()
    s = open_store(tmp_path / "d")
    with s.read() as conn:
        versions = [r.version for r in conn.execute(select(schema_info.c.version).order_by(schema_info.c.id))]
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    s.dispose()


def test_migration_4_adds_the_queue_tables_and_display_names_to_an_old_database(tmp_path):
    s = open_store(tmp_path / "d")
    s.dispose()
    con = sqlite3.connect(tmp_path / "d" / "imagedesk.sqlite3")
    con.execute("DROP TABLE review_leases")
    con.execute("DROP TABLE queue_settings")
    con.execute("DROP INDEX ix_reviews_batch")
    con.execute("ALTER TABLE reviews DROP COLUMN batch_id")
    con.execute("ALTER TABLE images DROP COLUMN display_name")
    con.execute(
        "INSERT INTO images (merchant_id, sku, file_name, sha256, uploaded_by, created_at) "
        "VALUES ('m', '', 'old.jpg', 'ab', '', 't')"
    )
    con.execute("DELETE FROM schema_info WHERE version >= 4")
    con.commit()
    con.close()
    s2 = open_store(tmp_path / "d")
    assert s2.schema_version() == SCHEMA_VERSION >= 4
    assert {"review_leases", "queue_settings"} <= set(inspect(s2.engine).get_table_names())
    assert "batch_id" in {c["name"] for c in inspect(s2.engine).get_columns("reviews")}
    with s2.read() as conn:
        assert conn.exec_driver_sql("SELECT display_name FROM images").scalar() == "old.jpg"
    s2.dispose()


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGEDESK_DATA_DIR", str(tmp_path / "envdata"))
    s: Store = open_store()
    assert s.root == (tmp_path / "envdata").resolve() and (tmp_path / "envdata" / "imagedesk.sqlite3").exists()
    s.dispose()


def test_database_url_override(tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    s = open_store(tmp_path / "d", database_url=url)
    assert (tmp_path / "elsewhere.db").exists() and not (tmp_path / "d" / "imagedesk.sqlite3").exists()
    s.dispose()


def _index_names(store: Store) -> set[str]:
    sql = (
        "SELECT name FROM sqlite_master WHERE type = 'index'" if store.is_sqlite else "SELECT indexname FROM pg_indexes"
    )
    with store.read() as conn:
        return {str(n) for n in conn.exec_driver_sql(sql).scalars()}


def test_migration_7_indexes_the_review_queue_of_an_older_database(store):
    queue_indexes = {
        "ix_scores_queue_issues",
        "ix_scores_queue_score",
        "ix_versions_queue_oldest",
        "ix_reviews_version_active_reviewer",
    }
    assert queue_indexes <= _index_names(store)
    with store.write() as conn:  # back to version 6, as a database written before it
        for name in queue_indexes:
            conn.exec_driver_sql(f"DROP INDEX {name}")
        conn.execute(schema_info.delete().where(schema_info.c.version >= 7))
    assert store.schema_version() == 6 and not queue_indexes & _index_names(store)
    assert store.migrate() == SCHEMA_VERSION >= 7
    assert queue_indexes <= _index_names(store)
    assert store.migrate() == SCHEMA_VERSION  # a second server finds it done


def test_migration_8_indexes_the_engine_version_of_analyses(store):
    assert "ix_analyses_engine_version" in _index_names(store)
    with store.write() as conn:
        conn.exec_driver_sql("DROP INDEX ix_analyses_engine_version")
        conn.execute(schema_info.delete().where(schema_info.c.version >= 8))
    assert store.schema_version() == 7
    assert store.migrate() == SCHEMA_VERSION >= 8 and "ix_analyses_engine_version" in _index_names(store)
