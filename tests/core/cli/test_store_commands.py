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


def test_export_refuses_a_date_that_is_not_a_day_instead_of_writing_an_empty_file(tmp_path, capsys):
    import pytest

    data = str(tmp_path / "data")
    out = tmp_path / "fb.csv"
    for bad in ("30/11/2026", "2026-13-01", "garbage", "20261130"):
        with pytest.raises(SystemExit) as e:
            main(["--data-dir", data, "export", "--out", str(out), "--from", bad])
        assert e.value.code == 2 and "use YYYY-MM-DD" in capsys.readouterr().err
    assert not out.exists()
    assert main(["--data-dir", data, "export", "--out", str(out), "--from", "2026-12-01", "--to", "2026-11-30"]) == 2
    assert "--from 2026-12-01 is after --to 2026-11-30" in capsys.readouterr().err and not out.exists()
    assert main(["--data-dir", data, "export", "--out", str(out), "--from", "2026-11-01", "--to", "2026-11-30"]) == 0
    assert out.read_bytes().decode("utf-8-sig").startswith("review_id,image_id,version_id")  # no decisions yet


def test_users_add_and_passwd_refuse_a_password_like_the_user_name(tmp_path, capsys, monkeypatch):
    data = str(tmp_path / "data")
    monkeypatch.setenv("IMAGEDESK_NEW_PASSWORD", "Margaret-1234")
    assert main(["--data-dir", data, "users", "add", "margaret", "--role", "reviewer"]) == 2
    assert "error: the password cannot contain the user name" in capsys.readouterr().err
    monkeypatch.setenv("IMAGEDESK_NEW_PASSWORD", "a fine passphrase")
    assert main(["--data-dir", data, "users", "add", "margaret", "--role", "reviewer"]) == 0
    monkeypatch.setenv("IMAGEDESK_NEW_PASSWORD", " " * 10)
    assert main(["--data-dir", data, "users", "passwd", "margaret"]) == 2
    assert "error: the password cannot be only spaces" in capsys.readouterr().err


def test_users_disable_and_delete_keep_the_last_active_administrator(tmp_path, capsys, monkeypatch):
    data = str(tmp_path / "data")
    monkeypatch.setenv("IMAGEDESK_NEW_PASSWORD", "a fine passphrase")
    assert main(["--data-dir", data, "users", "add", "boss", "--role", "admin"]) == 0
    capsys.readouterr()
    for verb in ("disable", "delete"):
        assert main(["--data-dir", data, "users", verb, "boss"]) == 2
        err = capsys.readouterr().err
        assert "error: 'boss' is the only active administrator" in err and "Make another account" in err
    assert main(["--data-dir", data, "users", "add", "ada", "--role", "admin"]) == 0
    assert main(["--data-dir", data, "users", "disable", "boss"]) == 0
    assert "'boss' disabled" in capsys.readouterr().out


def test_a_database_that_cannot_be_opened_is_told_in_a_sentence_by_every_store_command(tmp_path, capsys, monkeypatch):
    """Only ``db upgrade`` said so; ``users list`` and the others ended in a traceback."""
    data = str(tmp_path / "data")
    store = open_store(data)
    with store.write() as conn:  # as a later program would leave it
        conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{SCHEMA_VERSION + 1:04d}'")
    store.dispose()
    monkeypatch.setenv("IMAGEDESK_NEW_PASSWORD", "a fine passphrase")
    for command in (
        ["users", "list"],
        ["users", "add", "rita", "--role", "reviewer"],
        ["users", "disable", "rita"],
        ["rescore"],
        ["export"],
        ["ingest", str(tmp_path), "--merchant", "acme"],
    ):
        assert main(["--data-dir", data, *command]) == 1, command
        err = capsys.readouterr().err
        assert err.startswith("error: ") and "newer than this program" in err, command
    # A PostgreSQL server that is not there, a URL that is not one, a driver not installed: where, and why.
    for url, why in (
        ("postgresql+psycopg://desk:secret-pw@127.0.0.1:1/desk", "127.0.0.1"),
        ("nonsense", "URL"),
        ("mysql://desk:secret-pw@db/desk", "MySQLdb"),
        ("postgresql+psycopg://desk:secret-pw@127.0.0.1:port/desk", "'port'"),  # a ValueError in SQLAlchemy
    ):
        monkeypatch.setenv("IMAGEDESK_DATABASE_URL", url)
        assert main(["--data-dir", data, "users", "list"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: cannot open the database") and why in err and "secret-pw" not in err


def test_users_add_refuses_a_merchant_id_in_use_in_another_case(tmp_path, capsys, monkeypatch):
    data = str(tmp_path / "data")
    monkeypatch.setenv("IMAGEDESK_NEW_PASSWORD", "a fine passphrase")
    assert main(["--data-dir", data, "users", "add", "bob", "--role", "merchant", "--merchant", "acme-home"]) == 0
    assert main(["--data-dir", data, "users", "add", "ann", "--role", "merchant", "--merchant", "ACME-home"]) == 2
    assert "only in upper and lower case" in capsys.readouterr().err
    assert main(["--data-dir", data, "users", "list"]) == 0
    assert "ann" not in capsys.readouterr().out
