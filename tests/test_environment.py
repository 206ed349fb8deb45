"""The test environment itself: no outside ``IMAGEDESK_*`` setting reaches a test."""

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_no_imagedesk_variable_is_visible():
    assert [k for k in os.environ if k.startswith("IMAGEDESK_")] == []


def test_a_database_url_in_the_shell_does_not_reach_the_tests(tmp_path):
    """With IMAGEDESK_DATABASE_URL pointing at a database, the store tests still use their own."""
    outside = tmp_path / "outside.sqlite3"
    env = {**os.environ, "IMAGEDESK_DATABASE_URL": f"sqlite:///{outside}", "IMAGEDESK_DATA_DIR": str(tmp_path / "x")}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            "tests/core/store/test_accounts.py::test_create_and_authenticate",
            "tests/test_environment.py::test_no_imagedesk_variable_is_visible",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert not outside.exists()
