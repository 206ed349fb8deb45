"""Service tests check rules, not SQL dialects: they run on SQLite only (the store's own tests
cover every backend)."""

import pytest


@pytest.fixture()
def backend() -> str:
    return "sqlite"
