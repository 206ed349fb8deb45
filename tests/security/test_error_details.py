"""An unexpected error shows users a generic message, never the exception, its traceback (with
the server's file paths) or "Ask Google / Ask ChatGPT" links; the server's log still has it all."""

from __future__ import annotations

import tomllib

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def test_the_app_is_configured_to_show_no_error_details():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    # "none": no message, type or traceback. (False, the old boolean, would still show the traceback.)
    assert config["client"]["showErrorDetails"] == "none"
    # Streamlit's default ("auto") still draws "Ask Google / Ask ChatGPT" on localhost.
    assert config["client"]["showErrorLinks"] is False


def test_an_uncaught_error_reaches_the_user_without_its_details(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)  # where `streamlit run app.py` reads .streamlit/config.toml
    script = tmp_path / "page.py"
    script.write_text('raise RuntimeError("password=hunter2 in /srv/imagedesk/core/secret.py")\n')
    at = AppTest.from_file(str(script)).run()
    (shown,) = at.exception
    assert "hunter2" not in shown.message and "/srv/" not in shown.message and "redacted" in shown.message
    assert shown.stack_trace == [] and not shown.proto.type  # no traceback, not even the exception's type
