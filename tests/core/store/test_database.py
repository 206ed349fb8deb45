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
