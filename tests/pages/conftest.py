"""AppTest helpers: a fresh copy of the seeded store per test, and an app signed in as a role."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.store.accounts import User
from tests.conftest import ROOT

ADMIN = User(username="admin", role="admin", merchant_id=None)
REVIEWER = User(username="rita", role="reviewer", merchant_id=None)
MERCHANT = User(username="mia", role="merchant", merchant_id="acme-home")


def point_app_at(monkeypatch, root, url):
    """Set the environment an app run reads: its data folder and (None: SQLite there) database."""
    monkeypatch.setenv("IMAGEDESK_DATA_DIR", str(root))
    monkeypatch.setenv("IMAGEDESK_ADMIN_PASSWORD", "desk-pass-1")
    if url:
        monkeypatch.setenv("IMAGEDESK_DATABASE_URL", url)
    else:
        monkeypatch.delenv("IMAGEDESK_DATABASE_URL", raising=False)


@pytest.fixture()
def data_root(seeded_copy, monkeypatch):
    """A private copy of the seeded store on each backend (SQLite, PostgreSQL), set for the app."""
    root, url = seeded_copy
    point_app_at(monkeypatch, root, url)
    return root


@pytest.fixture()
def db(data_root):
    import os

    from core.store.database import open_store

    s = open_store(data_root, database_url=os.environ.get("IMAGEDESK_DATABASE_URL"))
    yield s
    s.dispose()


@pytest.fixture(autouse=True)
def _no_upload_left_running():
    """Each test's background uploads end with it: their reports must not reach the next test's page."""
    from core.services import upload_jobs

    yield
    for job in list(upload_jobs._jobs.values()):
        assert job.wait(120), f"an upload of {job.what} was still running"
    upload_jobs._jobs.clear()


def submit_upload(at: AppTest, user: User) -> None:
    """Click "Upload and score"; an upload it starts is waited for and the page run again, as its
    progress poll does once the upload is done (a refused click is left as it was drawn)."""
    from core.services.upload_jobs import upload_for

    before = upload_for(user.username)
    next(b for b in at.button if b.label == "Upload and score").click().run()
    assert not at.exception, [e.message for e in at.exception]
    job = upload_for(user.username)
    if job is not None and job is not before:
        assert job.wait(120), f"the upload of {job.what} did not finish"
        at.run()
        assert not at.exception, [e.message for e in at.exception]


def sign_in_as(at: AppTest, user: User) -> str:
    """Start a real server-side session for ``user`` (created if missing) in the app's session
    state, as signing in does; returns the session id. Setting ``session_state["user"]`` alone
    signs nobody in."""
    import os

    from core.store.accounts import AuthError, create_user, get_user
    from core.store.database import open_store
    from core.store.sessions import create_session

    store = open_store(os.environ.get("IMAGEDESK_DATA_DIR"), database_url=os.environ.get("IMAGEDESK_DATABASE_URL"))
    try:
        if get_user(store, user.username) is None:
            try:
                create_user(
                    store,
                    username=user.username,
                    password="test-password-1",
                    role=user.role,
                    merchant_id=user.merchant_id,
                    actor="test",
                )
            except AuthError:
                # The app's first start creates "admin" too; if that won the race, the account
                # exists, which is all this needs.
                if get_user(store, user.username) is None:
                    raise
        token = create_session(store, user)
    finally:
        store.dispose()
    at.session_state["session_token"] = token
    return token


def make_app(user: User | None, page: str | None = None, query: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if user is not None:
        sign_in_as(at, user)
    at.run()
    if page:
        at.switch_page(page)
        if query:
            for k, v in query.items():
                at.query_params[k] = v
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    """All visible text of a run, for loose assertions."""
    parts = [e.value for e in (*at.title, *at.header, *at.subheader, *at.markdown, *at.caption)]
    parts += [e.value for e in (*at.error, *at.warning, *at.success, *at.info)]
    return "\n".join(str(p) for p in parts)
