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


@pytest.mark.parametrize("page", [p for p in PAGE_FILES if p != "sign_in.py"])
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
