"""Start the real app on 127.0.0.1 for browser tests and benchmarks, and a headless Chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_PASSWORD = "e2e-desk-password"


def require_browser() -> None:
    """Skip the calling test module without Chromium or Playwright; in CI, where the browser tests
    must run, a missing Chromium is an error. Called at a module's top level."""
    import pytest  # here, not at the top: the benches start the app with this module too

    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"Chromium is required for the browser tests in CI and is missing at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's 'chromium')", allow_module_level=True)
    pytest.importorskip("playwright.sync_api")  # skipped locally without Playwright


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_app(
    data_dir: Path,
    *,
    seed_from: Path | None = None,
    timeout: float = 90.0,
    database_url: str | None = None,
    on_start: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> Iterator[str]:
    """Run ``streamlit run app.py`` against ``data_dir`` (and ``database_url``, default the SQLite
    file inside it); yields the base URL; stops it afterwards. ``on_start`` gets the process."""
    if seed_from is not None and not data_dir.exists():
        shutil.copytree(seed_from, data_dir)
    port = free_port()
    env = {**os.environ, "IMAGEDESK_DATA_DIR": str(data_dir), "IMAGEDESK_ADMIN_PASSWORD": ADMIN_PASSWORD}
    env.pop("IMAGEDESK_DATABASE_URL", None)
    if database_url:
        env["IMAGEDESK_DATABASE_URL"] = database_url
    log = open(data_dir.parent / f"streamlit-{port}.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start; see {log.name}")
            time.sleep(0.3)
        if on_start is not None:
            on_start(proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def sign_in(page, base: str, username: str = "admin", password: str = ADMIN_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    # A fresh server's first page on a loaded 2-core CI machine once took over Playwright's 30 s.
    page.goto(base + "/", timeout=90_000)
    page.get_by_role("textbox", name="User name").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Catalogue overview").wait_for(timeout=60_000)
    # The sign-in cookie (which keeps later page loads signed in) is written by the browser.
    page.wait_for_function("() => document.cookie.includes('imagedesk_session=')", timeout=30_000)


def wait_idle(page, timeout: float = 60_000) -> None:  # type: ignore[no-untyped-def]
    """Wait until Streamlit has finished running the script (the app root says so)."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state')"
        " === 'notRunning'",
        timeout=timeout,
    )
    page.wait_for_timeout(200)  # let the last deltas paint
