"""Issue 8, item 6: bad input gets a clear message, never a traceback.

On the old code a cookie whose signature held non-ASCII characters raised TypeError on every
page, a recipe ``{"version": "x"}`` raised ValueError on Optimize and in the CLI (exit 1), and
an administrator password under 8 characters from the environment crashed every first visit.
"""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from core.cli.main import main
from core.engine.recipe import Recipe, RecipeError
from core.store.accounts import AdminSetup, ensure_default_admin
from core.store.sessions import session_user
from tests.conftest import ROOT, encode


@pytest.mark.parametrize("cookie", ["YWRtaW58OTk5OTk5OTk5OXzDqcOp", "é" * 43, "\x00" * 43, "a" * 10_000])
def test_any_cookie_value_is_just_not_a_session(store, cookie):
    assert session_user(store, cookie) is None


@pytest.mark.parametrize(
    "text",
    [
        '{"version":"x"}',
        '{"version":"x","steps":[]}',
        '{"version":null,"steps":[]}',
        '{"version":[1],"steps":[]}',
        '{"steps":[{"op":"resize","params":{"long_side":[1]}}]}',
        '{"steps":[{"op":"resize","params":{"long_side":"NaN"}}]}',
        "[1]",
        "null",
    ],
)
def test_bad_recipes_raise_only_recipe_error(text):
    with pytest.raises(RecipeError):
        Recipe.from_json(text)


def test_cli_bad_recipe_exits_2_with_a_message(tmp_path, product, capsys):
    src = tmp_path / "in.png"
    src.write_bytes(encode(product[::4, ::4]))
    recipe = tmp_path / "r.json"
    recipe.write_text(json.dumps({"version": "x", "steps": []}))
    assert main(["optimize", str(src), str(tmp_path / "out.jpg"), "--recipe", str(recipe)]) == 2
    err = capsys.readouterr().err
    assert "version" in err and "Traceback" not in err


def test_short_admin_password_from_the_environment(store, monkeypatch):
    monkeypatch.setenv("IMAGEDESK_ADMIN_PASSWORD", "short")
    setup = ensure_default_admin(store)
    assert setup.username is None and "IMAGEDESK_ADMIN_PASSWORD" in setup.problem and "8 characters" in setup.problem
    monkeypatch.setenv("IMAGEDESK_ADMIN_PASSWORD", "long enough now")
    assert ensure_default_admin(store) == AdminSetup(username="admin")


def test_short_admin_password_on_first_start_shows_a_message_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGEDESK_DATA_DIR", str(tmp_path / "fresh"))
    monkeypatch.setenv("IMAGEDESK_ADMIN_PASSWORD", "short")
    monkeypatch.delenv("IMAGEDESK_DATABASE_URL", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("IMAGEDESK_ADMIN_PASSWORD" in e.value for e in at.error)
    assert at.text_input  # the sign-in form is still there
