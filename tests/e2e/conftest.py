"""Fixtures every browser test module shares: the real app on 127.0.0.1 and a headless Chromium,
one of each per test module."""

import pytest

from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, running_app


@pytest.fixture(scope="module")
def app(tmp_path_factory, seeded_template, request):
    """The app on a copy of the seeded sample catalogue: ``(base_url, data_dir)``."""
    root = tmp_path_factory.mktemp(f"e2e-{request.module.__name__.rsplit('.', 1)[-1]}") / "data"
    with running_app(root, seed_from=seeded_template) as base:
        yield base, root


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
