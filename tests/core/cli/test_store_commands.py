"""``python -m core db``: upgrading a database on its own, and adding a revision."""

import shutil

from core.cli.main import main
from core.store import database
from core.store.database import MIGRATIONS_DIR, SCHEMA_VERSION, open_store


def test_db_upgrade_brings_a_database_to_the_head_and_refuses_a_newer_one(tmp_path, capsys):
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "db", "upgrade"]) == 0
    assert f"schema version {SCHEMA_VERSION} (revision {SCHEMA_VERSION:04d})" in capsys.readouterr().out
    store = open_store(data)
    assert store.schema_version() == SCHEMA_VERSION
    with store.write() as conn:  # as a later program would leave it
        conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{SCHEMA_VERSION + 1:04d}'")
    store.dispose()
    assert main(["--data-dir", data, "db", "upgrade"]) == 1
    assert "newer than this program" in capsys.readouterr().err


def test_db_revision_adds_the_next_numbered_revision(tmp_path, monkeypatch, capsys):
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(database, "MIGRATIONS_DIR", copy)  # not the checkout's own folder
    assert main(["db", "revision", "-m", "Index the SKU"]) == 0
    written = copy / "versions" / f"{SCHEMA_VERSION + 1:04d}_index_the_sku.py"
    assert written.is_file() and f'down_revision = "{SCHEMA_VERSION:04d}"' in written.read_text()
    assert f"set SCHEMA_VERSION = {SCHEMA_VERSION + 1}" in capsys.readouterr().out
    assert sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py"))[-1].startswith(f"{SCHEMA_VERSION:04d}_")
