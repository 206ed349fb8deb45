"""Who sees what: signed-out visitors, roles, and pages opened directly on a fresh server."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.pages.conftest import ADMIN, MERCHANT, REVIEWER, make_app, sign_in_as, texts

PAGE_FILES = sorted(p.name for p in (ROOT / "pages").glob("*.py"))


def test_every_page_is_in_the_router():
    app = (ROOT / "app.py").read_text()
    for name in PAGE_FILES:
        assert f'"pages/{name}"' in app, name


def test_signed_out_visitor_sees_only_sign_in(data_root):
    at = make_app(None)
    assert [t.value for t in at.title] == ["Image Quality Desk"]
    assert len(at.text_input) == 2 and at.button  # user name, password, sign-in
    assert "Catalogue" not in texts(at)


@pytest.mark.parametrize("page", [p for p in PAGE_FILES if p != "sign-in.py"])
def test_pages_opened_directly_require_sign_in(data_root, page):
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=120)
    at.run()
    assert not at.exception
    assert "Please sign in" in texts(at)
    assert not at.dataframe and not at.title  # nothing of the page's content leaked


def test_sign_in_with_the_form(data_root):
    at = make_app(None)
    at.text_input[0].input("admin")
    at.text_input[1].input("wrong-password")
    at.button[0].click().run()
    assert "Wrong user name or password" in texts(at) and "user" not in at.session_state
    at.text_input[0].input("admin")
    at.text_input[1].input("desk-pass-1")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user"].role == "admin"
    assert [t.value for t in at.title] == ["Catalogue overview"]


@pytest.mark.parametrize(
    "user,page,allowed",
    [
        (MERCHANT, "pages/review.py", False),
        (MERCHANT, "pages/feedback.py", False),
        (MERCHANT, "pages/users.py", False),
        (REVIEWER, "pages/users.py", False),
        (REVIEWER, "pages/upload.py", False),
        (REVIEWER, "pages/review.py", True),
        (MERCHANT, "pages/upload.py", True),
        (ADMIN, "pages/users.py", True),
    ],
)
def test_roles(data_root, user, page, allowed):
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    sign_in_as(at, user)
    at.run()
    assert not at.exception
    refused = "not available to the" in texts(at)
    assert refused is (not allowed)


ROLE_PAGES = {
    "admin": ["overview", "inspect", "optimize", "review", "feedback", "upload", "users"],
    "reviewer": ["overview", "inspect", "optimize", "review", "feedback"],
    "merchant": ["overview", "inspect", "optimize", "upload"],
}


@pytest.mark.parametrize("user", [ADMIN, REVIEWER, MERCHANT], ids=lambda u: u.role)
def test_every_page_renders_for_every_role(data_root, user):
    at = make_app(user)
    for name in ROLE_PAGES[user.role]:
        at.switch_page(f"pages/{name}.py")
        at.run()
        assert not at.exception, (name, [e.message for e in at.exception])
        assert at.title, name
        assert "not available" not in texts(at), name


def _tab_of(user):
    """An app whose browser tab holds a live session of ``user`` (it was signed in earlier): the
    next run goes through the router, as every click in a browser does."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    return at, sign_in_as(at, user)


def _notices(at):
    return [i.value for i in at.info if "signed out" in str(i.value)]


def _sign_in_form_shown(at):
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.title] == ["Image Quality Desk"] and "user" not in at.session_state


def test_the_sign_in_form_says_why_an_administrator_ended_the_session(db):
    from core.store.accounts import set_role

    at, _ = _tab_of(REVIEWER)
    set_role(db, username=REVIEWER.username, role="merchant", merchant_id="acme-home")
    at.run()
    _sign_in_form_shown(at)
    changed = "You were signed out: your account was changed by an administrator. Please sign in again."
    assert _notices(at) == [changed]
    assert not any(word in str(i.value) for i in at.info for word in ("merchant", "role"))  # not which change
    at.text_input[0].input(REVIEWER.username)
    at.text_input[1].input("wrong-password")
    at.button[0].click().run()
    assert _notices(at) == [changed]  # still there beside the error, until a sign-in
    at.text_input[0].input(REVIEWER.username)
    at.text_input[1].input("test-password-1")
    at.button[0].click().run()
    assert not at.exception and at.session_state["user"].role == "merchant"
    assert not _notices(at) and "signed_out_notice" not in at.session_state


def test_the_sign_in_form_says_an_idle_session_expired(db):
    from datetime import UTC, datetime, timedelta

    from core.store.database import sessions
    from core.store.sessions import token_hash

    at, token = _tab_of(REVIEWER)
    long_ago = (datetime.now(UTC) - timedelta(hours=2)).isoformat(timespec="microseconds")
    with db.write() as conn:
        conn.execute(sessions.update().where(sessions.c.token_hash == token_hash(token)).values(last_seen_at=long_ago))
    at.run()
    _sign_in_form_shown(at)
    assert _notices(at) == ["You were signed out: your session expired. Please sign in again."]


def test_a_sign_out_in_another_tab_needs_no_notice(db):
    from core.store.sessions import revoke_session

    at, token = _tab_of(REVIEWER)
    assert revoke_session(db, token)  # what "Sign out" does, in the other tab
    at.run()
    _sign_in_form_shown(at)
    assert not _notices(at) and not at.info


def test_a_refused_page_offers_a_way_on(data_root):
    """On a phone the menu is folded away: the refusal links to the Overview, which every role has."""
    at = make_app(MERCHANT, "pages/review.py")
    assert "This page is not available to the merchant role." in texts(at)
    (link,) = [e for e in at.get("page_link")]
    assert link.proto.label == "Go to the overview" and link.proto.page.endswith("overview")
