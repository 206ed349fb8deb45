"""Issue 8, item 4: small uploads cannot exhaust memory.

On the old code a 17 MB zip of junk raised the server from 0.5 to 2.1 GB (every entry read
before any check), a 120 KB PNG declaring 9990x9990 was accepted, each view decoded it again,
and six 10000-px resize steps took 1.35 GB.
"""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile

import numpy as np
import pytest
from PIL import Image

from core.engine.loading import DEFAULT_MAX_PIXELS, ImageLoadError, load_image
from core.engine.recipe import MAX_STEPS, Recipe, RecipeError
from core.store import intake
from core.store.intake import ingest_files, ingest_zip
from tests.conftest import encode


def _bilevel_png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("1", (w, h), 1).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def test_zip_entries_are_read_and_checked_one_at_a_time(store):
    junk = [os.urandom(1024 * 1024) for _ in range(40)]  # 40 MB of entries that are not images
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for i, data in enumerate(junk):
            zf.writestr(f"junk{i:02d}.jpg", data)
    data = buf.getvalue()
    del junk, buf
    tracemalloc.start()
    report = ingest_zip(store, data, merchant_id="m1")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(report.refused) == 40 and not report.added
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB: entries were held together"


def test_the_zip_total_is_counted_while_reading(store, monkeypatch):
    monkeypatch.setitem(intake.ZIP_LIMITS, "max_total_bytes", 3 * 1024 * 1024)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for i in range(2):
            zf.writestr(f"a{i}.jpg", os.urandom(1024 * 1024))
    ok = ingest_zip(store, buf.getvalue(), merchant_id="m1")
    assert len(ok.refused) == 2
    monkeypatch.setitem(intake.ZIP_LIMITS, "max_total_bytes", int(1.5 * 1024 * 1024))
    # A zip whose headers understate its sizes gets past the up-front check; the budget counts
    # the bytes actually read and still stops it.
    monkeypatch.setattr(
        intake, "_zip_members", lambda d: (zipfile.ZipFile(io.BytesIO(d)), zipfile.ZipFile(io.BytesIO(d)).infolist())
    )
    with pytest.raises(intake.IngestError, match="expands to more than"):
        ingest_zip(store, buf.getvalue(), merchant_id="m1")


def test_tiny_file_declaring_a_huge_canvas_is_refused_before_decoding():
    data = _bilevel_png(7000, 7000)  # 49 MP, under the pixel limit, in a few kB
    assert len(data) < 100_000
    with pytest.raises(ImageLoadError, match="pixels per byte") as err:
        load_image(data)
    assert err.value.kind == "too_many_pixels"


def test_pixel_limit_is_a_setting_defaulting_to_50_mp(store, monkeypatch, product):
    assert DEFAULT_MAX_PIXELS == 50_000_000
    data = encode(product)  # 1200 x 1200 = 1.44 MP
    monkeypatch.setenv("IMAGEDESK_MAX_MEGAPIXELS", "1")
    report = ingest_files(store, [("big.png", data)], merchant_id="m1")
    assert report.refused and "the limit is 1 MP" in report.refused[0].reason
    monkeypatch.delenv("IMAGEDESK_MAX_MEGAPIXELS")
    assert ingest_files(store, [("big.png", data)], merchant_id="m1").added


def test_each_image_is_decoded_once_and_kept_at_display_size(store, product, monkeypatch):
    from core.store import blobs

    report = ingest_files(store, [("p.png", encode(product))], merchant_id="m1")
    with store.read() as conn:
        sha, rel = conn.exec_driver_sql("SELECT sha256, blob_path FROM versions").first()
    first = blobs.display_pixels(store, sha, rel, side=512)
    assert max(first.shape[:2]) == 512 and report.added

    def no_decoding(*_a, **_k):  # noqa: ANN002, ANN003
        raise AssertionError("decoded the file again")

    monkeypatch.setattr(blobs, "load_image", no_decoding)
    again = blobs.display_pixels(store, sha, rel, side=512)
    assert np.array_equal(first, again)


def test_recipes_are_limited_in_steps_and_output_size():
    six = Recipe.from_dict({"steps": [{"op": "resize", "params": {"long_side": 10000}}] * 6})
    with pytest.raises(RecipeError, match="limit is 50 MP"):
        six.apply(np.zeros((1000, 1000, 3), np.uint8))
    with pytest.raises(RecipeError, match="at most"):
        Recipe.from_dict({"steps": [{"op": "resize", "params": {"long_side": 500}}] * (MAX_STEPS + 1)})
    pad = Recipe.from_dict({"steps": [{"op": "pad_square", "params": {"margin": 0.3}}] * 8})
    with pytest.raises(RecipeError, match="step"):
        pad.apply(np.zeros((2000, 3000, 3), np.uint8))


def test_files_of_millions_of_empty_pieces_are_refused_before_pillow_reads_them(store, product, monkeypatch):
    """A 50 MB image of millions of empty segments (JPEG), chunks (PNG), strips (TIFF) or frames
    (GIF, WebP) cost Pillow 0.4-42 s and up to 2.9 GB, and the JPEG, PNG and TIFF were stored as
    photos. Each is now refused, named, in the same upload as a good file, and Pillow never
    opens it."""
    from PIL import Image

    from core.engine.loading import MAX_FRAMES
    from tests.core.engine.test_structure import _anim_webp, _chunk, _gif_frames, _jpeg_with, _png_with, _tiff

    hostile = {
        "segments.jpg": _jpeg_with(b"\xff\xfe\x00\x02" * 12_000),
        "chunks.png": _png_with(_chunk(b"zzZz", b"") * 12_000),
        "strips.tif": _tiff(strips=12_000),
        "frames.gif": _gif_frames(20_000),
        "frames.webp": _anim_webp(MAX_FRAMES + 1),
    }
    opened = []
    real = Image.open
    monkeypatch.setattr(Image, "open", lambda fp, *a, **kw: opened.append(len(fp.getvalue())) or real(fp, *a, **kw))
    report = ingest_files(store, [("good.png", encode(product)), *hostile.items()], merchant_id="m1")
    assert [r.name for r in report.added] == ["good.png"]
    reasons = {r.name: r.reason for r in report.refused}
    assert set(reasons) == set(hostile)
    for name in ("segments.jpg", "chunks.png", "strips.tif"):
        assert "it is damaged or built to be slow to read" in reasons[name], reasons[name]
    assert (
        reasons["frames.gif"].startswith("The file holds more than 1,000 frames")
        and reasons["frames.webp"] == reasons["frames.gif"]
    )
    assert len(encode(product)) in opened  # (measured in this process)
    assert all(size not in opened for size in map(len, hostile.values()))
