"""Shared fixtures: real photographs from scikit-image and product-style shots made from them."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


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
