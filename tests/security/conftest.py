"""The page-test fixtures (a seeded data folder set for the app, and its store) for the app-level security tests."""

from tests.pages.conftest import data_root, db  # noqa: F401 - pytest fixtures
