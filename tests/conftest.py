"""Shared fixtures: real photographs from scikit-image and product-style shots made from them."""

from __future__ import annotations

import io
import os
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


#: The ``IMAGEDESK_*`` variables of the shell that started pytest. Every test runs without them
#: (see :func:`_clean_imagedesk_environment`); a test that deliberately needs an outside
#: resource (say a PostgreSQL URL) reads it from here, explicitly.
ORIGINAL_ENV: dict[str, str] = {k: v for k, v in os.environ.items() if k.startswith("IMAGEDESK_")}


def _clear_imagedesk_env(mp: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("IMAGEDESK_")]:
        mp.delenv(name)


@pytest.fixture(scope="session", autouse=True)
def _clean_imagedesk_session_environment() -> Iterator[None]:
    """No ``IMAGEDESK_*`` variable (data folder, database URL, passwords) reaches the session-wide
    fixtures: with ``IMAGEDESK_DATABASE_URL`` set, they would otherwise write into that database."""
    with pytest.MonkeyPatch.context() as mp:
        _clear_imagedesk_env(mp)
        yield


@pytest.fixture(autouse=True)
def _keep_the_main_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test ends with the ``__main__`` module it started with. Streamlit's AppTest runs a
    page as ``__main__`` and leaves it there; a process pool started later in the same worker
    ("spawn") re-runs ``__main__``'s file in each child, so a page that raises (the error-details
    test's) killed every child as it started and the soak test's pool waited until its timeout."""
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])


@pytest.fixture(autouse=True)
def _clean_imagedesk_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same for every test (it runs before the test's own fixtures, which may set some again)."""
    _clear_imagedesk_env(monkeypatch)


def encode(rgb: np.ndarray, fmt: str = "PNG", **kw: object) -> bytes:
    if fmt == "HEIF":  # phones' HEIC: Pillow writes it once pillow-heif has registered itself
        import pillow_heif

        pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, fmt, **kw)
    return buf.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    """A zip file (deflated) holding ``members``: name inside the zip -> bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="session")
def product() -> np.ndarray:
    """A sharp, well-exposed product (coffee cup crop) filling most of a pure white 1200 px frame."""
    import cv2
    from skimage import data

    cup = cv2.resize(data.coffee()[20:380, 60:560], (1100, 720), interpolation=cv2.INTER_CUBIC)
    frame = np.full((1200, 1200, 3), 255, np.uint8)
    frame[240:960, 50:1150] = cup
    return frame


#: Store backends every store and page test runs against (issue 9): the embedded SQLite default,
#: and a real PostgreSQL server started by :func:`pg_server`.
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_server():
    """A private PostgreSQL server for the session (see ``tests/pg.py``). Skipped locally when no
    PostgreSQL binaries are installed; in CI (``CI=true``) their absence is a failure."""
    from tests.pg import pg_bin_dir, running_postgres

    if pg_bin_dir() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                "CI must test the PostgreSQL backend, but no PostgreSQL binaries were found "
                "(.ci/run installs Debian's 'postgresql' package)"
            )
        pytest.skip("PostgreSQL backend not tested: no /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    with running_postgres() as server:
        yield server


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return str(request.param)


@pytest.fixture()
def database_url(backend, request):
    """``None`` (SQLite in the data folder) or the URL of a fresh, empty PostgreSQL database."""
    if backend == "sqlite":
        yield None
        return
    server = request.getfixturevalue("pg_server")
    url = server.create_database("t")
    yield url
    server.drop_database(url)


@pytest.fixture()
def store(tmp_path, database_url):
    from core.store.database import open_store

    s = open_store(tmp_path / "data", database_url=database_url)
    yield s
    s.dispose()


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory):
    """A store with the sample data ingested once per session; tests copy it (ingest is slow-ish)."""
    from core.store.database import open_store
    from core.store.samples import seed_samples

    root = tmp_path_factory.mktemp("seeded") / "data"
    s = open_store(root)
    seed_samples(s)
    s.dispose()
    return root


@pytest.fixture(scope="session")
def seeded_pg_template(tmp_path_factory, pg_server):
    """The same on PostgreSQL: (data folder with the blobs, template database name)."""
    from core.store.database import open_store
    from core.store.samples import seed_samples

    root = tmp_path_factory.mktemp("seeded_pg") / "data"
    url = pg_server.create_database("seeded")
    s = open_store(root, database_url=url)
    seed_samples(s)
    s.dispose()
    return root, url.rsplit("/", 1)[-1]


@pytest.fixture()
def seeded_copy(tmp_path, backend, seeded_template, request):
    """(data folder, database URL or None): a private copy of the seeded store on ``backend``."""
    import shutil

    root = tmp_path / "data"
    if backend == "sqlite":
        shutil.copytree(seeded_template, root)
        yield root, None
        return
    server = request.getfixturevalue("pg_server")
    template_root, template_db = request.getfixturevalue("seeded_pg_template")
    shutil.copytree(template_root, root)
    url = server.create_database("s", template=template_db)
    yield root, url
    server.drop_database(url)


@pytest.fixture()
def seeded(seeded_copy):
    from core.store.database import open_store

    root, url = seeded_copy
    s = open_store(root, database_url=url)
    yield s
    s.dispose()
