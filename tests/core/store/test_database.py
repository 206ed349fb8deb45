import sqlite3
import stat
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import inspect

from core.store.database import SCHEMA_VERSION, Store, open_store, write_private


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


def test_threads_writing_one_file_at_once_all_succeed(tmp_path):
    # App sessions are threads of one process: a temporary name made of the pid alone was shared,
    # and all but the first os.replace failed.
    target = tmp_path / "blob.jpg"
    start = threading.Barrier(8)

    def write(i: int) -> None:
        start.wait()
        write_private(target, b"same bytes")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    assert target.read_bytes() == b"same bytes"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["blob.jpg"]


def _stat_rows(store: Store) -> int:
    with store.read() as conn:
        if not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
            return 0
        return int(conn.exec_driver_sql("SELECT count(*) FROM sqlite_stat1").scalar() or 0)


def test_sqlite_planner_statistics_are_gathered_and_renewed_as_the_catalogue_doubles(tmp_path, photo):
    """SQLite never analyses by itself (PostgreSQL's autovacuum does): without statistics it
    guessed plans 10-50x slower at 300,000 images. They are gathered once the catalogue is
    large enough, by an upload, and again only when it has more than doubled."""
    from core.store.intake import ingest_files
    from tests.conftest import encode

    store = open_store(tmp_path / "data")  # bundles no samples: an empty catalogue
    assert store.is_sqlite and _stat_rows(store) == 0
    ingest_files(store, [(f"p{i}.png", encode(photo[i:], "PNG")) for i in range(3)], merchant_id="acme")
    assert _stat_rows(store) == 0  # 3 images: below STATISTICS_MIN_IMAGES, plans do not matter
    assert store.refresh_statistics(min_images=3) and _stat_rows(store) > 0
    assert not store.refresh_statistics(min_images=3)  # fresh: nothing to do
    ingest_files(store, [(f"q{i}.png", encode(photo[:, i + 1 :], "PNG")) for i in range(3)], merchant_id="acme")
    assert not store.refresh_statistics(min_images=3)  # 6 images: doubled, not more
    ingest_files(store, [("r.png", encode(photo[:-1], "PNG"))], merchant_id="acme")
    assert store.refresh_statistics(min_images=3)  # 7 > 2 x 3
    with store.read() as conn:
        rows = conn.exec_driver_sql("SELECT stat FROM sqlite_stat1 WHERE tbl = 'images' LIMIT 1").scalar()
    assert int(str(rows).split()[0]) == 7


def test_an_upload_that_makes_the_catalogue_large_enough_gathers_the_statistics(tmp_path, photo, monkeypatch):
    import core.store.database as database
    from core.store.intake import ingest_files
    from tests.conftest import encode

    monkeypatch.setattr(database, "STATISTICS_MIN_IMAGES", 2)
    monkeypatch.setattr(database.Store.refresh_statistics, "__kwdefaults__", {"min_images": 2})
    store = open_store(tmp_path / "data")
    ingest_files(store, [(f"p{i}.png", encode(photo[i:], "PNG")) for i in range(2)], merchant_id="acme")
    assert _stat_rows(store) > 0
