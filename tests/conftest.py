"""Shared fixtures: real photographs from scikit-image and product-style shots made from them."""

from __future__ import annotations

import io
import os
import sys
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
def _clean_imagedesk_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same for every test (it runs before the test's own fixtures, which may set some again)."""
    _clear_imagedesk_env(monkeypatch)


def encode(rgb: np.ndarray, fmt: str = "PNG", **kw: object) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, fmt, **kw)
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


@pytest.fixture()
def store(tmp_path):
    from core.store.database import open_store

    s = open_store(tmp_path / "data", database_url=None)
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


@pytest.fixture()
def seeded(tmp_path, seeded_template):
    import shutil

    from core.store.database import open_store

    root = tmp_path / "data"
    shutil.copytree(seeded_template, root)
    s = open_store(root)
    yield s
    s.dispose()
