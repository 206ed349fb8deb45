"""Issue 8, item 1: sessions are server-side and can be ended.

Each of these held on the old code's signed ``user|expiry|signature`` cookie: it stayed valid
after sign-out, a password change, disabling and deleting the account, and it signed into a
later account of the same name.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.cli.main import main
from core.store.accounts import create_user, delete_user, set_active, set_password, set_role
from core.store.sessions import create_session, revoke_session, session_user


@pytest.fixture()
def rita(store):
    return create_user(store, username="rita", password="correct horse", role="reviewer")


def test_the_cookie_is_an_opaque_random_id(store, rita):
    a, b = create_session(store, rita), create_session(store, rita)
    assert a != b and len(a) >= 40
    assert "rita" not in a and "|" not in a  # no user name, no expiry, no signature to tamper with
    assert session_user(store, a).username == "rita"
    with store.read() as conn:
        stored = conn.exec_driver_sql("SELECT token_hash FROM sessions").scalars().all()
    assert a not in stored and b not in stored  # the database holds only hashes


def test_sign_out_ends_that_session_only(store, rita):
    a, b = create_session(store, rita), create_session(store, rita)
    assert revoke_session(store, a)
    assert session_user(store, a) is None
    assert session_user(store, b) is not None


@pytest.mark.parametrize("change", ["password", "disable", "delete", "role"])
def test_account_changes_end_every_session(store, rita, change):
    tokens = [create_session(store, rita) for _ in range(3)]
    if change == "password":
        set_password(store, username="rita", password="a new passphrase")
    elif change == "disable":
        set_active(store, "rita", False)
    elif change == "delete":
        delete_user(store, "rita")
    else:
        set_role(store, username="rita", role="admin")
    assert all(session_user(store, t) is None for t in tokens)
    if change == "disable":
        set_active(store, "rita", True)  # enabling again does not bring old sessions back
        assert all(session_user(store, t) is None for t in tokens)


def test_a_deleted_users_sessions_never_sign_into_a_new_account_of_that_name(store, rita):
    token = create_session(store, rita)
    delete_user(store, "rita")
    create_user(store, username="rita", password="an admin now!", role="admin")
    assert session_user(store, token) is None


def test_idle_and_absolute_timeouts(store, rita, monkeypatch):
    token = create_session(store, rita)
    now = datetime.now(UTC)
    assert session_user(store, token, at=now + timedelta(minutes=29)) is not None  # (also refreshes last seen)
    assert session_user(store, create_session(store, rita), at=now + timedelta(minutes=31)) is None  # idle
    monkeypatch.setenv("IMAGEDESK_SESSION_IDLE_MINUTES", "600")
    monkeypatch.setenv("IMAGEDESK_SESSION_MAX_HOURS", "2")
    busy = create_session(store, rita)
    assert session_user(store, busy, at=now + timedelta(minutes=100)) is not None
    assert session_user(store, busy, at=now + timedelta(minutes=121)) is None  # absolute limit, however busy


def test_malformed_ids_are_refused_quietly(store, rita):
    for bad in ["", "x", "é" * 43, "a|b|c", "A" * 500, None, 42, "../../etc/passwd" + "A" * 30]:
        assert session_user(store, bad) is None
        assert revoke_session(store, bad) is False


def test_cli_disable_enable_delete(store, rita, capsys):
    data = str(store.root)
    token = create_session(store, rita)
    if not store.is_sqlite:
        pytest.skip("the CLI is exercised on SQLite here")
    assert main(["--data-dir", data, "users", "disable", "rita"]) == 0
    assert session_user(store, token) is None
    assert main(["--data-dir", data, "users", "enable", "rita"]) == 0
    token = create_session(store, rita)
    assert main(["--data-dir", data, "users", "delete", "rita"]) == 0
    assert session_user(store, token) is None
    assert main(["--data-dir", data, "users", "delete", "rita"]) == 2
    assert "no such user" in capsys.readouterr().err
