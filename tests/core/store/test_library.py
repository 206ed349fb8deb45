import io
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from core.engine.loading import load_image
from core.engine.profiles import load_profile, save_profile
from core.engine.recipe import Recipe, Step
from core.store.blobs import read_blob
from core.store.database import images, versions
from core.store.intake import (
    IngestError,
    SavedVersion,
    ingest_files,
    ingest_zip,
    read_manifest,
    safe_name,
    save_optimized,
)
from core.store.queries import get_image, list_images, versions_of
from core.store.scores import rescore_all
from tests.conftest import encode, zip_of


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\x\\photo.png", "photo.png"),
        ("bad\x00name\x1f.jpg", "badname.jpg"),
        (".hidden.jpg", "hidden.jpg"),
        ("", "image"),
        ("a" * 300 + ".jpeg", "a" * 115 + ".jpeg"),
        ("we<ird>:na|me?.jpg", "we_ird__na_me_.jpg"),
    ],
)
def test_safe_name(raw, expected):
    assert safe_name(raw) == expected


def test_ingest_roundtrip_and_no_duplicate_on_reupload(store, photo):
    data = encode(photo, "JPEG", quality=90)
    r1 = ingest_files(store, [("../shot.jpg", data)], merchant_id="m1", uploaded_by="alice", sku="S1")
    assert [x.status for x in r1.results] == ["added"] and r1.results[0].name == "shot.jpg"
    r2 = ingest_files(store, [("again.jpg", data)], merchant_id="m1")
    assert r2.results[0].status == "duplicate" and r2.results[0].image_id == r1.results[0].image_id
    recs = list_images(store, profile="amazon")
    assert len(recs) == 1
    rec = recs[0]
    assert (rec.merchant_id, rec.sku, rec.file_name, rec.width) == ("m1", "S1", "shot.jpg", 512)
    assert read_blob(store, rec.blob_path) == data  # stored byte for byte
    assert rec.blob_path.startswith(rec.sha256[:2] + "/") and rec.score is not None
    assert "non_white_background" in rec.issues
    # Same bytes from another merchant: a separate image record, but one stored file.
    ingest_files(store, [("x.jpg", data)], merchant_id="m2")
    assert len(list(store.blob_dir.rglob("*.jpg"))) == 1


def test_every_profile_is_scored_at_ingest(store, photo):
    ingest_files(store, [("a.png", encode(photo))], merchant_id="m")
    for name in ("generic", "amazon", "walmart", "google", "shopify", "ebay"):
        assert list_images(store, profile=name)[0].score is not None


def test_bad_files_are_refused_by_name_and_the_rest_ingested(store, photo):
    report = ingest_zip(
        store,
        zip_of(
            {
                "good.jpg": encode(photo, "JPEG"),
                "folder/also_good.png": encode(photo[::2, ::2]),
                "broken.jpg": b"\xff\xd8\xff garbage",
                "empty.png": b"",
                "readme.txt": b"hello",
            }
        ),
        merchant_id="m",
    )
    status = {r.name: (r.status, r.reason) for r in report.results}
    assert status["good.jpg"][0] == "added" and status["also_good.png"][0] == "added"
    assert status["broken.jpg"][0] == "refused" and status["broken.jpg"][1]
    assert status["empty.png"] == ("refused", "The file is empty (0 bytes).")
    assert status["readme.txt"][0] == "refused"
    assert len(list_images(store)) == 2


def test_zip_manifest_assigns_merchant_and_sku(store, photo):
    manifest = b"file,merchant_id,sku\ngood.jpg,acme,SKU-9\n"
    report = ingest_zip(
        store,
        zip_of({"manifest.csv": manifest, "good.jpg": encode(photo, "JPEG"), "other.png": encode(photo[:300])}),
        merchant_id="default",
    )
    assert len(report.added) == 2
    recs = {r.file_name: r for r in list_images(store)}
    assert (recs["good.jpg"].merchant_id, recs["good.jpg"].sku) == ("acme", "SKU-9")
    assert recs["other.png"].merchant_id == "default"


def test_zip_with_traversal_is_refused_whole(store, photo):
    with pytest.raises(IngestError, match="unsafe path"):
        ingest_zip(
            store, zip_of({"ok.jpg": encode(photo, "JPEG"), "../evil.jpg": encode(photo, "JPEG")}), merchant_id="m"
        )
    assert list_images(store) == []


def test_zip_bomb_is_refused(store):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.png", b"\x00" * (50 * 1024 * 1024))
    with pytest.raises(IngestError, match="zip bomb"):
        ingest_zip(store, buf.getvalue(), merchant_id="m")


def _central_directory_only(entries: int) -> bytes:
    """A zip of ``entries`` central-directory entries named "a.jpg" (47 bytes each) and its ZIP64
    end records: all zipfile reads to list the entries (no entry's data exists)."""
    import struct

    name = b"a.jpg"
    entry = struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, *[0] * 7, len(name), *[0] * 6) + name
    directory = entry * entries
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, len(directory), 0)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, len(directory), 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return directory + record + locator + end


def test_a_zip_of_too_many_entries_is_refused_before_they_are_listed(store, monkeypatch):
    """zipfile reads a zip's whole central directory into objects before the entries can be
    counted: a million entries (51 MB) took 470 MB and 9 s, a 500 MB upload several GB. They are
    counted in the bytes first; zipfile never opens such a zip."""
    from core.store import intake

    data = _central_directory_only(100_000)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:  # a zip zipfile would list
        assert len(zf.infolist()) == 100_000
    opened = []
    real = zipfile.ZipFile
    monkeypatch.setattr(intake.zipfile, "ZipFile", lambda *a, **kw: opened.append(a) or real(*a, **kw))
    with pytest.raises(IngestError) as err:
        ingest_zip(store, data, merchant_id="m")
    assert str(err.value) == "The zip holds 100000 entries; the limit is 2000."
    assert opened == []
    assert list_images(store) == []


def test_a_zip_whose_list_of_contents_is_huge_is_refused_before_it_is_listed(store, photo, monkeypatch):
    """zipfile reads the central directory whole and keeps every name, extra field and comment:
    2,000 entries of 64 KB each (a 480 MB zip) cost +721 MB to list. 200 entries with 60 KB
    comments (a 12 MB directory) are refused before zipfile opens the zip; the same images
    without the comments are read."""
    from core.store import intake

    def build(comment: bytes) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            for i in range(200):
                info = zipfile.ZipInfo(f"{i:03d}-{'n' * 200}.png")
                info.comment = comment
                zf.writestr(info, b"" if i else encode(photo, "PNG"))
        return buf.getvalue()

    huge, plain = build(b"c" * 60_000), build(b"")  # long names alone: 45 KB of directory
    opened = []
    real = zipfile.ZipFile
    monkeypatch.setattr(intake.zipfile, "ZipFile", lambda *a, **kw: opened.append(a) or real(*a, **kw))
    with pytest.raises(IngestError, match=r"list of contents takes 11 MB .*the limit is 8 MB"):
        ingest_zip(store, huge, merchant_id="m")
    assert opened == [] and list_images(store) == []
    ingest_zip(store, plain, merchant_id="m")
    assert opened and len(list_images(store)) == 1


def test_a_zip_whose_stored_files_hold_the_directory_signature_is_read(store, photo):
    """The entries were counted by the central directory's signature anywhere in the bytes, so a
    stored (uncompressed) file holding those four bytes counted as entries too: 1,999 files
    holding 7,997 of them were refused as 'The zip holds 7997 entries'. Only the directory counts."""
    from PIL import Image, PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("note", "PK\x01\x02")
    png = io.BytesIO()
    Image.fromarray(photo[:64, :64]).save(png, "PNG", pnginfo=text)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("shirt.png", png.getvalue())
        for i in range(1998):
            zf.writestr(f"notes/{i}.txt", b"PK\x01\x02" * 4)
    data = buf.getvalue()
    assert data.count(b"PK\x01\x02") > 2000 + 1999
    report = ingest_zip(store, data, merchant_id="m")
    assert [r.name for r in report.added] == ["shirt.png"] and len(report.refused) == 1998
    assert {r.reason for r in report.refused} == {"Not an image file type (by its extension)."}


def _zip_variants() -> dict[str, bytes]:
    def made(comment: bytes = b"", prefix: bytes = b"") -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            for i in range(30):
                zf.writestr(f"d/{i}.jpg", b"PK\x01\x02" * i)
            zf.comment = comment
        return prefix + buf.getvalue()

    return {
        "plain": made(),
        "comment": made(b"PK\x01\x02 a comment holding the signature " * 100),
        "fake end in the comment": made(b"PK\x05\x06" + b"\x00" * 30),
        "bytes before (a self-extractor)": made(prefix=b"MZ" + b"PK\x01\x02" * 500),
        "zip64": _central_directory_only(300),
    }


@pytest.mark.parametrize("name", list(_zip_variants()))
def test_the_entries_are_counted_where_zipfile_reads_them(name):
    """The count walks the central directory zipfile reads (found as zipfile finds it, after a
    comment, in a ZIP64 record, with bytes before the zip) and lists as many entries."""
    from core.store.intake import _central_directory, _count_entries

    data = _zip_variants()[name]
    found = _central_directory(data)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        assert found is None or _count_entries(data, limit=10**6)[0] == 0
        return
    assert found is not None and found[0] == zf.start_dir
    assert _count_entries(data, limit=10**6)[0] == len(zf.infolist())


def test_a_zip_understating_its_entries_is_still_refused_past_the_limit(store):
    """The count walks the directory and stops past the limit, whatever the end record declares."""
    import struct

    directory = _central_directory_only(2500)[: 2500 * 51]
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 5, 5, len(directory), 0, 0)
    with pytest.raises(IngestError) as err:
        ingest_zip(store, directory + end, merchant_id="m")
    assert str(err.value) == "The zip holds more than 2000 entries; the limit is 2000."


def test_a_zip_too_large_unpacked_names_the_limit_the_upload_page_states(store):
    """The Upload page says "2 GB unpacked" (binary gigabytes); the refusal said "2.1 GB"."""
    import struct

    from core.services.upload import upload_limits

    name, size = b"a.jpg", 1200 * 1024**2  # two entries declaring 1.2 GiB each, nothing compressed
    entry = struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, *[0] * 4, 0, 0, size, len(name), *[0] * 6)
    directory = (entry + name) * 2
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 2, 2, len(directory), 0, 0)
    with pytest.raises(IngestError) as err:
        ingest_zip(store, directory + end, merchant_id="m")
    assert str(err.value) == "The zip would expand to 2.3 GB; the limit is 2 GB."
    assert "2 GB unpacked" in upload_limits().describe()
    assert list_images(store) == []


def test_not_a_zip(store):
    with pytest.raises(IngestError, match="not a valid zip"):
        ingest_zip(store, b"PK but not really", merchant_id="m")


def test_bad_manifest_is_explained():
    with pytest.raises(IngestError, match="'file' column"):
        read_manifest(b"name,merchant\nx.jpg,m\n")


def test_failed_ingest_leaves_nothing_behind(store, photo, monkeypatch):
    """A database error aborts the whole upload (a file whose scoring fails for another reason is
    refused alone: see test_intake_scoring)."""
    import core.store.intake as lib

    calls = {"n": 0}
    real = lib.store_scores

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OperationalError("INSERT INTO scores ...", {}, Exception("database or disk is full"))
        return real(*args, **kwargs)

    monkeypatch.setattr(lib, "store_scores", failing)
    files = [("a.jpg", encode(photo, "JPEG", quality=80)), ("b.jpg", encode(photo, "JPEG", quality=70))]
    with pytest.raises(OperationalError, match="disk is full"):
        ingest_files(store, files, merchant_id="m")
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(images)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(versions)).scalar() == 0
    assert [p for p in store.blob_dir.rglob("*") if p.is_file()] == []


def test_optimized_version_is_linked_to_its_recipe(store, photo):
    ingest_files(store, [("a.png", encode((photo * 0.3).astype(np.uint8)))], merchant_id="m")
    original = list_images(store)[0]
    recipe = Recipe((Step("gamma", {"gamma": 0.5}),))
    pixels = recipe.apply(load_image(read_blob(store, original.blob_path)).pixels)
    vid = save_optimized(store, original.version_id, pixels, recipe, created_by="bob").version_id
    rec = get_image(store, vid)
    assert rec.kind == "optimized" and Recipe.from_json(rec.recipe_json) == recipe.__class__.from_dict(recipe.to_dict())
    assert rec.image_id == original.image_id and rec.score > original.score
    assert [v.kind for v in versions_of(store, original.image_id)] == ["original", "optimized"]
    # The original file is untouched.
    assert load_image(read_blob(store, original.blob_path)).info.sha256 == original.sha256


def test_saving_the_same_result_again_stores_nothing_new(store, photo, monkeypatch):
    import core.store.intake as intake

    ingest_files(store, [("a.png", encode((photo * 0.3).astype(np.uint8)))], merchant_id="m")
    original = list_images(store)[0]
    recipe = Recipe((Step("gamma", {"gamma": 0.5}),))
    pixels = recipe.apply(load_image(read_blob(store, original.blob_path)).pixels)
    first = save_optimized(store, original.version_id, pixels, recipe, created_by="bob")
    measured = []
    monkeypatch.setattr(intake, "analyze", lambda image: measured.append(image))
    again = save_optimized(store, original.version_id, pixels, recipe, created_by="rita")
    assert measured == []  # found before measuring anything
    assert first.created and not again.created and again.version_id == first.version_id
    assert [v.kind for v in versions_of(store, original.image_id)] == ["original", "optimized"]


def test_two_saves_at_the_same_instant_store_one_version(store, photo):
    # The duplicate check sits inside the write transaction: checked before it, both threads
    # would find nothing and both insert.
    ingest_files(store, [("a.png", encode((photo * 0.3).astype(np.uint8)))], merchant_id="m")
    original = list_images(store)[0]
    recipe = Recipe((Step("gamma", {"gamma": 0.5}),))
    pixels = recipe.apply(load_image(read_blob(store, original.blob_path)).pixels)
    start = threading.Barrier(4)

    def save(who: str) -> SavedVersion:
        start.wait()
        return save_optimized(store, original.version_id, pixels, recipe, created_by=who)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(save, ["a", "b", "c", "d"]))
    assert sum(r.created for r in results) == 1
    assert len({r.version_id for r in results}) == 1
    assert [v.kind for v in versions_of(store, original.image_id)] == ["original", "optimized"]


def test_merchant_cannot_get_another_merchants_image(store, photo):
    ingest_files(store, [("a.png", encode(photo))], merchant_id="m1")
    vid = list_images(store)[0].version_id
    assert get_image(store, vid, merchant_id="m1") is not None
    assert get_image(store, vid, merchant_id="m2") is None


def test_rescore_with_a_new_profile_needs_no_decoding(store, photo, tmp_path):
    ingest_files(store, [("a.png", encode(photo))], merchant_id="m")
    strict = load_profile("generic")
    data = strict.to_dict()
    data["name"] = "strict"
    data["checks"]["low_resolution"]["rules"][0].update(ideal=5000, warn=4000, fail=3000)
    from core.engine.profiles import profile_from_dict

    prof = profile_from_dict(data)
    save_profile(prof, store.profiles_dir)
    for p in store.blob_dir.rglob("*.png"):
        p.unlink()  # prove it works from stored metrics alone
    assert rescore_all(store, prof) == 1
    rec = list_images(store, profile="strict")[0]
    assert "low_resolution" in rec.issues and rec.score < list_images(store, profile="generic")[0].score


def test_seeded_sample_data(seeded):
    recs = list_images(seeded)
    assert len(recs) == 20
    assert {r.merchant_id for r in recs} == {"acme-home", "lumen-studio", "northwind-pets"}


def test_list_images_without_metrics_is_the_same_catalogue(seeded):
    full = list_images(seeded, profile="amazon")
    lean = list_images(seeded, profile="amazon", with_metrics=False)
    assert [(r.version_id, r.score, r.issues) for r in lean] == [(r.version_id, r.score, r.issues) for r in full]
    assert all(r.metrics == {} for r in lean) and all(r.metrics for r in full)


def test_measuring_in_this_process_fixes_the_allocators_thresholds_once(store, photo, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    import core.store.intake as intake

    calls: list[dict] = []
    monkeypatch.setattr(intake, "tune_allocator", lambda **kw: calls.append(kw))
    ingest_files(store, [("a.jpg", encode(photo, "JPEG"))], merchant_id="m")
    assert calls == [{"keep_free_mb": 32}]  # the app server: little free heap kept
    with ThreadPoolExecutor(1) as pool:  # measured elsewhere: that process tunes itself
        ingest_files(store, [("b.png", encode(photo, "PNG"))], merchant_id="m", executor=pool)
    assert calls == [{"keep_free_mb": 32}]
