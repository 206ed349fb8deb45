"""Sign-in sessions as the pages use them (core.services.sessions)."""

from core.services.accounts import create_user, sign_in
from core.services.review import QueueFilter, current_item, upcoming_items
from core.services.sessions import cookie_max_age, end_session, first_start_note_due, session_user, start_session
from core.services.startup import open_desk


def test_a_session_lasts_until_sign_out(store):
    rita = create_user(store, username="rita", password="correct horse", role="reviewer")
    token = start_session(store, rita)
    assert session_user(store, token).username == "rita"
    assert session_user(store, "forged") is None
    end_session(store, token=token, reviewer="rita")
    assert session_user(store, token) is None


def test_signing_out_gives_held_images_back_to_the_team(seeded):
    queue = QueueFilter()
    held = current_item(seeded, reviewer="rita", where=queue)
    assert current_item(seeded, reviewer="sam", where=queue).version_id != held.version_id
    assert held.version_id not in [
        i.version_id for i in upcoming_items(seeded, reviewer="tom", where=queue, shown=None)
    ]
    end_session(seeded, token=None, reviewer="rita")
    assert current_item(seeded, reviewer="tom", where=queue).version_id == held.version_id


def test_the_cookie_lives_as_long_as_a_session_may(monkeypatch):
    assert cookie_max_age() == 12 * 3600
    monkeypatch.setenv("IMAGEDESK_SESSION_MAX_HOURS", "2")
    assert cookie_max_age() == 7200


def test_the_first_start_note_shows_until_someone_signs_in(tmp_path):
    start = open_desk(str(tmp_path / "data"), samples=tmp_path / "none")
    try:
        assert first_start_note_due(start.store)
        assert sign_in(start.store, "admin", "not the password").user is None
        assert first_start_note_due(start.store)  # a failed try is not a sign-in
        assert sign_in(start.store, "admin", start.admin.password).user is not None
        assert not first_start_note_due(start.store)
    finally:
        start.store.dispose()


def test_the_sign_in_form_is_told_why_a_session_ended(store):
    from datetime import UTC, datetime, timedelta

    from core.services.sessions import signed_out_notice
    from core.store.accounts import delete_user, set_active, set_password, set_role
    from core.store.sessions import session_user as checked_at

    changed = "You were signed out: your account was changed by an administrator. Please sign in again."
    changes = {
        "pat": lambda: set_password(store, username="pat", password="a new passphrase"),
        "rob": lambda: set_role(store, username="rob", role="merchant", merchant_id="acme"),
        "dan": lambda: set_active(store, "dan", False),
        "del": lambda: delete_user(store, "del"),
    }
    for name, change in changes.items():
        token = start_session(store, create_user(store, username=name, password="correct horse", role="reviewer"))
        assert signed_out_notice(store, token) is None  # live
        change()
        assert session_user(store, token) is None
        assert signed_out_notice(store, token) == changed, name
    rita = create_user(store, username="rita", password="correct horse", role="reviewer")
    idle = start_session(store, rita)
    assert checked_at(store, idle, at=datetime.now(UTC) + timedelta(hours=1)) is None  # 30 idle minutes
    assert signed_out_notice(store, idle) == "You were signed out: your session expired. Please sign in again."
    mine = start_session(store, rita)
    end_session(store, token=mine, reviewer="rita")
    assert signed_out_notice(store, mine) is None  # they signed out themselves
    assert signed_out_notice(store, "forged") is None and signed_out_notice(store, "A" * 43) is None
