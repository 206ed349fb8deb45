import pytest

from core.services.upload import IngestError, ingest_uploads, is_zip
from core.store.accounts import create_user
from core.store.intake import read_manifest
from core.store.queries import merchant_ids
from tests.conftest import encode, zip_of


def test_zip_or_image_by_name():
    assert is_zip("photos.zip") and is_zip("PHOTOS.ZIP")
    assert not is_zip("photo.png") and not is_zip("zip.png") and not is_zip("archive.zip.png")


def test_images_and_zips_are_ingested_and_a_bad_zip_is_refused_alone(store, photo):
    small = photo[::4, ::4].copy()
    files = [
        ("bad.zip", b"not a zip at all"),
        ("a.png", encode(small)),
        ("more.zip", zip_of({"b.png": encode(small[::-1].copy()), "notes.txt": b"hello"})),
    ]
    outcome = ingest_uploads(store, files, merchant_id="acme", uploaded_by="mia", sku="SKU-1")
    assert [(r.name, r.status) for r in outcome.report.results] == [
        ("a.png", "added"),
        ("notes.txt", "refused"),
        ("b.png", "added"),
    ]
    assert outcome.refused_zips == [("bad.zip", "The upload is not a valid zip file.")]
    assert outcome.counts() == {"added": 2, "duplicate": 0, "repeat": 0, "refused": 1}


def test_a_refused_zip_can_stop_the_upload(store):
    with pytest.raises(IngestError, match="not a valid zip"):
        ingest_uploads(store, [("bad.zip", b"nope")], merchant_id="acme", uploaded_by="cli", stop_at_refused_zip=True)


def test_a_merchant_is_told_when_a_manifest_names_another_merchant(store, photo):
    small = photo[::4, ::4].copy()
    manifest = b"file,merchant_id,sku\nmine.png,,S-1\ntheirs.png,lumen-studio,Z-2\n"
    files = [
        (
            "up.zip",
            zip_of({"manifest.csv": manifest, "mine.png": encode(small), "theirs.png": encode(small[::-1].copy())}),
        )
    ]
    outcome = ingest_uploads(store, files, merchant_id="acme", uploaded_by="mia", only_own_merchant=True)
    by = {r.name: r for r in outcome.report.results}
    assert by["theirs.png"].status == "added" and "'lumen-studio' was not used" in by["theirs.png"].reason
    assert "'acme'" in by["theirs.png"].reason and by["mine.png"].reason == ""


def test_a_long_merchant_id_in_a_merchants_manifest_is_quoted_shortened(store, photo):
    small = photo[::4, ::4].copy()
    manifest = b"file,merchant_id,sku\ntheirs.png," + b"x" * 300 + b",Z-2\n"
    files = [("up.zip", zip_of({"manifest.csv": manifest, "theirs.png": encode(small)}))]
    outcome = ingest_uploads(store, files, merchant_id="acme", uploaded_by="mia", only_own_merchant=True)
    (result,) = outcome.report.results
    assert result.status == "added"
    assert result.reason == f"The manifest's merchant '{'x' * 39}\u2026' was not used: your uploads go to 'acme'."


def _fails_on_width(monkeypatch, width: int) -> None:
    """Make measuring raise for images ``width`` pixels wide (as a bug in a measure would)."""
    from core.engine import batch

    real = batch.analyze

    def analyze(image):
        if image.info.width == width:
            raise ValueError("a measure failed on this image")
        return real(image)

    monkeypatch.setattr(batch, "analyze", analyze)


def test_a_file_the_engine_fails_on_is_refused_alone_and_the_rest_of_the_zip_is_stored(
    store, photo, monkeypatch, caplog
):
    from core.engine.batch import UNMEASURABLE
    from core.store.queries import list_images

    _fails_on_width(monkeypatch, 63)
    small = photo[::4, ::4].copy()
    members = {
        "a.png": encode(small),
        "bad/odd.png": encode(small[:, :63].copy()),
        "c.png": encode(small[::-1].copy()),
    }
    with caplog.at_level("ERROR", logger="imagedesk"):
        outcome = ingest_uploads(store, [("day.zip", zip_of(members))], merchant_id="acme", uploaded_by="mia")
    by = {r.shown_name: r for r in outcome.report.results}
    assert {n: r.status for n, r in by.items()} == {"a.png": "added", "bad/odd.png": "refused", "c.png": "added"}
    assert by["bad/odd.png"].reason == UNMEASURABLE and outcome.refused_zips == []
    assert sorted(r.file_name for r in list_images(store, merchant_id="acme")) == ["a.png", "c.png"]
    (record,) = [r for r in caplog.records if r.exc_info]
    assert "'bad/odd.png'" in record.getMessage()  # the server's log says which file, with the traceback


def test_copies_within_one_upload_name_the_first_file_and_a_later_upload_is_already_uploaded(store, photo):
    small = photo[::4, ::4].copy()
    shirt, other = encode(small), encode(small[::-1].copy())
    files = [
        ("shirt.png", shirt),
        ("one.zip", zip_of({"red/shirt.png": shirt, "blue/shirt.png": other, "blue/again.png": other})),
        ("two.zip", zip_of({"green/shirt.png": other})),
    ]
    outcome = ingest_uploads(store, files, merchant_id="acme", uploaded_by="mia")
    by = {r.shown_name: r for r in outcome.report.results}
    assert by["red/shirt.png"].reason == "The same file as shirt.png earlier in this upload."
    assert by["blue/again.png"].repeat_of == "blue/shirt.png" and by["green/shirt.png"].repeat_of == "blue/shirt.png"
    assert by["red/shirt.png"].version_id == by["shirt.png"].version_id  # "Inspect" opens the first one
    assert outcome.counts() == {"added": 2, "duplicate": 0, "repeat": 3, "refused": 0}
    assert outcome.view_counts() == {"all": 5, "refused": 0, "issues": 2, "repeat": 3, "duplicate": 0}
    assert [r.shown_name for r in outcome.in_view("repeat")] == ["red/shirt.png", "blue/again.png", "green/shirt.png"]

    again = ingest_uploads(
        store, [("more.zip", zip_of({"x.png": shirt, "y.png": shirt}))], merchant_id="acme", uploaded_by="mia"
    )
    (x, y) = again.report.results
    first = by["shirt.png"].version_id
    # The copy names the image that holds its bytes (a browser probe: the merchant could not tell which).
    assert (x.status, x.repeat_of, x.reason) == (
        "duplicate",
        "",
        f"These exact bytes were uploaded before, as 'shirt.png' (#{first}).",
    )
    assert x.version_id == first
    assert (y.status, y.repeat_of) == ("duplicate", "")  # its bytes were in the catalogue before this upload too
    assert again.counts() == {"added": 0, "duplicate": 2, "repeat": 0, "refused": 0}
    assert [r.shown_name for r in again.in_view("duplicate")] == ["x.png", "y.png"]


def test_the_uploaders_name_the_types_as_the_limits_do():
    from core.services.upload import upload_limits

    limits = upload_limits()
    assert limits.type_names == "JPEG, PNG, WebP, HEIC, AVIF, TIFF, BMP, GIF, MPO"
    assert all(name in limits.image_types for name in limits.type_names.split(", "))
    assert all(ext in limits.image_types for ext in limits.image_extensions)  # none accepted unnamed


def test_the_report_lists_the_files_stored_first_then_those_refused_then_the_copies(store, photo):
    small = photo[::4, ::4].copy()
    shirt, cup = encode(small), encode(small[::-1].copy())
    ingest_uploads(store, [("old.png", cup)], merchant_id="acme", uploaded_by="mia")
    members = {"notes.txt": b"hello", "a.png": shirt, "broken.png": b"\x89PNG not really", "again.png": shirt}
    files = [("before.png", cup), ("day.zip", zip_of(members)), ("b.png", encode(small[:, ::-1].copy()))]
    outcome = ingest_uploads(store, files, merchant_id="acme", uploaded_by="mia")
    # The report itself holds each ingest's refusals before its stored files (loose images first).
    shown = [(r.shown_name, "repeat" if r.repeat_of else r.status) for r in outcome.in_view("all")]
    assert shown == [
        ("b.png", "added"),
        ("a.png", "added"),
        ("notes.txt", "refused"),
        ("broken.png", "refused"),
        ("again.png", "repeat"),
        ("before.png", "duplicate"),
    ]
    assert [r.shown_name for r in outcome.in_view("refused")] == ["notes.txt", "broken.png"]
    assert [r.shown_name for r in outcome.in_view("duplicate")] == ["before.png"]


@pytest.mark.parametrize(
    ("merchant", "sku", "reason"),
    [
        ("m" * 80, "", "a merchant id may be at most 64 characters (this one has 80)"),
        ("acme home", "", "a merchant id may use only letters"),
        ("acme", "s" * 200, "a SKU may be at most 128 characters (this one has 200)"),
        ("acme", "S-1\nS-2", "a SKU cannot contain control characters"),
    ],
)
def test_the_merchant_id_and_sku_fields_are_checked_before_anything_is_read(store, photo, merchant, sku, reason):
    """PostgreSQL crashed with DataError ('value too long') once every file was measured; SQLite
    stored the 80-character id silently. Refused up front, even for zips alone (each zip would
    otherwise be 'refused whole' with the same reason)."""
    from sqlalchemy import func, select

    from core.store.database import images

    small = encode(photo[::4, ::4].copy())
    for files in ([("a.png", small)], [("day.zip", zip_of({"a.png": small}))]):
        with pytest.raises(IngestError) as err:
            ingest_uploads(store, files, merchant_id=merchant, uploaded_by="admin", sku=sku)
        assert reason in str(err.value) and "Nothing was imported" in str(err.value)
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(images)).scalar_one() == 0


def test_a_merchants_own_id_is_taken_from_the_account_as_it_is(store, photo):
    """Accounts made before merchant ids were checked keep uploading (their id was stored then)."""
    outcome = ingest_uploads(
        store,
        [("a.png", encode(photo[::4, ::4].copy()))],
        merchant_id="Acme Home",
        uploaded_by="mia",
        only_own_merchant=True,
    )
    assert outcome.counts()["added"] == 1


def test_the_summary_counts_in_the_singular_and_the_plural(store, photo):
    small = photo[::4, ::4].copy()
    a = encode(small)
    one = ingest_uploads(
        store,
        [("x.png", a), ("day.zip", zip_of({"copy.png": a})), ("bad.zip", b"no")],
        merchant_id="acme",
        uploaded_by="mia",
    )
    assert one.summary() == (
        "1 added · 0 already uploaded · 0 refused · 1 copy of a file earlier in this upload · 1 zip refused whole"
    )
    b = encode(small[::-1].copy())
    files = [("y.png", b), ("day.zip", zip_of({"c1.png": b, "c2.png": b})), ("bad.zip", b"no"), ("worse.zip", b"no")]
    two = ingest_uploads(store, files, merchant_id="acme", uploaded_by="mia")
    assert two.summary() == (
        "1 added · 0 already uploaded · 0 refused · 2 copies of files earlier in this upload · 2 zips refused whole"
    )
    assert ingest_uploads(store, [("x.png", a)], merchant_id="acme", uploaded_by="mia").summary() == (
        "0 added · 1 already uploaded · 0 refused"
    )


def test_without_pillow_heif_the_uploaders_do_not_offer_heic():
    """HEIC support is optional (a licence choice, see the README): where it is left out, the
    page must not invite HEIC files that would then be refused."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = (
        "import sys; sys.modules['pillow_heif'] = None\n"  # as if it were not installed
        "from core.services.upload import upload_limits\n"
        "limits = upload_limits(); print(limits.type_names); print(sorted(limits.image_extensions))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    names, extensions = out.stdout.splitlines()
    assert names == "JPEG, PNG, WebP, AVIF, TIFF, BMP, GIF, MPO" and ".heic" not in extensions


def test_manifest_rows_that_name_no_uploaded_file_are_told_not_dropped_silently(store, photo):
    """Found by a browser probe: a manifest row whose file name did not match (the zip's name was
    garbled) gave no SKU and said nothing. Rows of the page's manifest that no file matched, and
    rows of a zip's own manifest.csv that no file in it matched, are named; a file that was there
    but could not be read is matched (its refusal says why)."""
    from core.store.intake import read_manifest

    a, b = encode(photo[::4, ::4].copy()), encode(photo[::5, ::5].copy())
    manifest = read_manifest(b"file,merchant_id,sku\na.png,,A-1\nx.png,,X-1\nbroken.png,,B-1\n")
    inner = b"file,sku\nin/b.png,B-2\nin/gone.png,G-2\n"
    out = ingest_uploads(
        store,
        [("a.png", a), ("broken.png", b"not an image"), ("z.zip", zip_of({"manifest.csv": inner, "in/b.png": b}))],
        merchant_id="acme",
        uploaded_by="ann",
        manifest=manifest,
    )
    # The page's manifest applies to the zip too: its own manifest.csv is then not read.
    assert out.unmatched_rows == [("the manifest", "x.png")]
    note = out.unmatched_note()
    assert note == (
        "1 manifest row named no file in this upload, so its SKU was not used: 'x.png' (the manifest). A row "
        "must name the file as uploaded, with its folders inside a zip (e.g. red/shirt.jpg)."
    )
    out = ingest_uploads(
        store, [("z.zip", zip_of({"manifest.csv": inner, "in/b.png": b}))], merchant_id="acme", uploaded_by="ann"
    )
    assert out.unmatched_rows == [("manifest.csv in z.zip", "in/gone.png")]
    everything = ingest_uploads(
        store, [("a.png", a)], merchant_id="acme", uploaded_by="ann", manifest={"a.png": ("", "")}
    )
    assert everything.unmatched_rows == [] and everything.unmatched_note() is None


def test_many_unused_manifest_rows_are_named_up_to_five_then_counted():
    from core.services.upload import UploadOutcome

    # As the upload keeps it: the first five rows and the count (a catalogue-wide manifest is large).
    out = UploadOutcome(unmatched_rows=[("the manifest", f"{i}.jpg") for i in range(5)], unmatched_count=1207)
    note = out.unmatched_note() or ""
    assert note.startswith("1,207 manifest rows named no file in this upload, so their SKUs were not used: '0.jpg'")
    assert "'4.jpg' (the manifest) and 1,202 more." in note
    # A name is the merchant's text: quoted and cut, as the manifest's other messages name rows.
    long = UploadOutcome(unmatched_rows=[("the manifest", "x" * 5000)], unmatched_count=1).unmatched_note() or ""
    assert f"'{'x' * 39}\u2026' (the manifest)" in long and len(long) < 300


def test_an_upload_keeps_five_unused_rows_and_their_count(store, photo):
    from core.store.intake import read_manifest

    rows = "".join(f"{i}.png,,S-{i}\n" for i in range(7))
    out = ingest_uploads(
        store,
        [("a.png", encode(photo[::4, ::4].copy()))],
        merchant_id="acme",
        uploaded_by="ann",
        manifest=read_manifest(("file,merchant_id,sku\n" + rows).encode()),
    )
    assert out.unmatched_count == 7 and [r for _, r in out.unmatched_rows] == [
        "0.png",
        "1.png",
        "2.png",
        "3.png",
        "4.png",
    ]
    assert "and 2 more." in (out.unmatched_note() or "")


def test_a_copy_uploaded_with_another_sku_says_where_the_sku_went(store, photo):
    """Found by a browser probe: "SKU for all files" given with files already uploaded was dropped
    without a word (a copy stores nothing). The copy's reason says which SKU the image keeps, and
    that the other is kept with it as another name."""
    shirt = encode(photo[::4, ::4].copy())
    ingest_uploads(store, [("shirt.png", shirt)], merchant_id="acme", uploaded_by="mia", sku="SH-1")
    again = ingest_uploads(store, [("shirt.png", shirt)], merchant_id="acme", uploaded_by="mia", sku="SH-2")
    (r,) = again.report.results
    assert r.status == "duplicate" and r.reason == (
        f"These exact bytes were uploaded before, as 'shirt.png' (#{r.version_id}). The stored image keeps its "
        "SKU 'SH-1'; this name and the SKU 'SH-2' are kept with it as another name, and its reviewer is told the "
        "file serves two SKUs."
    )
    same = ingest_uploads(store, [("shirt.png", shirt)], merchant_id="acme", uploaded_by="mia", sku="SH-1")
    # Nothing lost: no more said.
    assert same.report.results[0].reason == f"These exact bytes were uploaded before, as 'shirt.png' (#{r.version_id})."


def test_a_merchant_id_that_differs_only_in_case_is_refused_before_anything_is_stored(store, photo):
    """'Madison' beside 'madison' would be a second merchant whose images the merchant's account
    never sees: a typo, not a new shop (found in a browser walk-through)."""
    small = photo[::4, ::4].copy()
    ingest_uploads(store, [("a.png", encode(small))], merchant_id="madison", uploaded_by="mia")
    with pytest.raises(IngestError, match="'Madison' differs from the merchant 'madison' only in upper and lower"):
        ingest_uploads(store, [("b.png", encode(small[::-1].copy()))], merchant_id=" Madison ", uploaded_by="mia")
    assert merchant_ids(store) == ["madison"]
    # A merchant account counts too, before its shop has uploaded anything.
    create_user(store, username="nora", password="long enough", role="merchant", merchant_id="Northwind")
    with pytest.raises(IngestError, match="Use 'Northwind'"):
        ingest_uploads(store, [("c.png", encode(small))], merchant_id="northwind", uploaded_by="mia")
    # The exact id, and a merchant id that is new, are taken.
    again = ingest_uploads(store, [("b.png", encode(small[::-1].copy()))], merchant_id="madison", uploaded_by="mia")
    new = ingest_uploads(store, [("c.png", encode(small))], merchant_id="lumen", uploaded_by="mia")
    assert [r.status for r in again.report.results + new.report.results] == ["added", "added"]


def test_a_manifest_row_whose_merchant_differs_only_in_case_is_refused_alone(store, photo):
    small = photo[::4, ::4].copy()
    ingest_uploads(store, [("a.png", encode(small))], merchant_id="madison", uploaded_by="mia")
    manifest = b"file,merchant_id,sku\nx.png,MADISON,S-1\ny.png,lumen,S-2\nz.png,Lumen,S-3\n"
    files = [
        ("x.png", encode(small[::-1].copy())),
        ("y.png", encode(small[:, ::-1].copy())),
        ("z.png", encode(small.transpose(1, 0, 2).copy())),
    ]
    outcome = ingest_uploads(store, files, merchant_id="acme", uploaded_by="mia", manifest=read_manifest(manifest))
    by = {r.name: r for r in outcome.report.results}
    assert by["x.png"].status == "refused" and "Use 'madison'" in by["x.png"].reason
    assert by["y.png"].status == "added"
    # A new merchant's case is set by its first file.
    assert by["z.png"].status == "refused" and "Use 'lumen'" in by["z.png"].reason
    assert merchant_ids(store) == ["lumen", "madison"]
