"""Issue 8, item 7: private files, a local-only default address, and a password shown once.

On the old code the database was world-readable, the README's run command listened on every
interface, and the README showed a password on the command line.
"""

from __future__ import annotations

import re
import stat
import tomllib

from core.store.accounts import ensure_default_admin
from core.store.database import open_store
from core.store.intake import ingest_files
from tests.conftest import ROOT, encode


def _mode(path) -> int:  # type: ignore[no-untyped-def]
    return stat.S_IMODE(path.stat().st_mode)


def test_data_folder_is_0700_and_its_files_0600(tmp_path, product):
    store = open_store(tmp_path / "data", database_url=None)
    try:
        report = ingest_files(store, [("p.png", encode(product[::4, ::4]))], merchant_id="m1")
        from core.store.blobs import display_pixels
        from core.store.queries import list_images

        rec = list_images(store)[0]
        display_pixels(store, rec.sha256, rec.blob_path, side=64)  # the preview cache: previews/ab/...
        assert report.added and (store.root / "previews").is_dir()
        root = store.root
        assert _mode(root) == 0o700
        files = [p for p in root.rglob("*") if p.is_file()]
        assert any(p.name == "imagedesk.sqlite3" for p in files) and any(p.suffix == ".png" for p in files)
        assert {str(p.relative_to(root)): oct(_mode(p)) for p in files if _mode(p) & 0o077} == {}
        assert all(_mode(p) & 0o077 == 0 for p in root.rglob("*") if p.is_dir())
    finally:
        store.dispose()


def test_an_existing_world_readable_folder_is_tightened(tmp_path):
    root = tmp_path / "old"
    root.mkdir(mode=0o755)
    (root / "imagedesk.sqlite3").touch(mode=0o644)
    open_store(root, database_url=None).dispose()
    assert _mode(root) == 0o700 and _mode(root / "imagedesk.sqlite3") == 0o600


def test_server_listens_on_this_machine_with_xsrf_protection():
    server = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    assert server["address"] == "127.0.0.1" and server["enableXsrfProtection"] is True
    readme = (ROOT / "README.md").read_text()
    assert not re.search(r"(?<![\d.])0\.0\.0\.0", readme.split("## Running for a team")[0])
    assert "--server.enableXsrfProtection" in readme and "reverse proxy" in readme


def test_readme_shows_no_password_on_a_command_line():
    readme = (ROOT / "README.md").read_text()
    assert "--password" not in readme and "IMAGEDESK_ADMIN_PASSWORD=..." not in readme


def test_generated_admin_password_is_stored_nowhere(tmp_path, monkeypatch):
    monkeypatch.delenv("IMAGEDESK_ADMIN_PASSWORD", raising=False)
    store = open_store(tmp_path / "data", database_url=None)
    try:
        setup = ensure_default_admin(store)
        assert setup.password
        secret = setup.password.encode()
        store.dispose()
        for path in (tmp_path / "data").rglob("*"):
            if path.is_file():
                assert secret not in path.read_bytes(), path
    finally:
        store.dispose()
