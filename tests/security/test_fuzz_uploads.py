"""Issue 8, evidence: fuzzing upload bytes and zip entries raises nothing but the product's own
errors (``ImageLoadError`` per file, ``IngestError`` for a whole zip)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.engine.loading import ImageLoadError, load_image
from core.store.intake import IngestError, ingest_zip
from tests.conftest import encode

_rng = np.random.default_rng(8)
_SMALL = _rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)
SEEDS = [
    encode(_SMALL, "PNG"),
    encode(_SMALL, "JPEG", quality=80),
    encode(_SMALL, "WEBP"),
    encode(_SMALL, "GIF"),
    encode(_SMALL, "TIFF"),
    encode(_SMALL, "BMP"),
]


@st.composite
def mutated(draw) -> bytes:  # type: ignore[no-untyped-def]
    """A real small image file with bytes flipped, cut, or spliced; or plain random bytes."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=2048))
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        i = draw(st.integers(0, len(data) - 1))
        data[i] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.booleans()):
        data += draw(st.binary(max_size=64))
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_load_image_raises_only_image_load_error(data):
    try:
        load_image(data, reduce_to=256)
    except ImageLoadError:
        pass


_names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=40
)


@st.composite
def zips(draw) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if draw(st.booleans()) else zipfile.ZIP_STORED) as zf:
        for _ in range(draw(st.integers(0, 5))):
            name = draw(
                st.one_of(
                    _names,
                    st.sampled_from(
                        ["a.jpg", "../x.png", "/abs.png", "C:\\x.png", "manifest.csv", "d/", "__MACOSX/._a.jpg"]
                    ),
                )
            )
            content = draw(st.one_of(mutated(), st.just(b"file,merchant_id,sku\na.jpg,m2,=1+1\n")))
            zf.writestr(
                name if name.endswith((".jpg", ".png", ".csv", "/")) or draw(st.booleans()) else name + ".jpg", content
            )
    raw = bytearray(buf.getvalue())
    if raw and draw(st.booleans()):  # damage the archive itself
        for _ in range(draw(st.integers(1, 4))):
            raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    return bytes(raw)


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory):
    from core.store.database import open_store

    s = open_store(tmp_path_factory.mktemp("fuzz") / "data", database_url=None)
    yield s
    s.dispose()


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(data=zips())
def test_ingest_zip_raises_only_ingest_error(fuzz_store, data):
    try:
        report = ingest_zip(fuzz_store, data, merchant_id="fuzz")
    except IngestError:
        return
    for r in report.results:
        assert r.status in ("added", "duplicate", "refused") and isinstance(r.reason, str)
