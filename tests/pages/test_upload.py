"""The Upload page: a refused submission keeps the chosen files, an upload empties the form and
leaves a report that stays readable for hundreds of files, and one file the engine fails on is
that file's verdict, never the end of the upload."""

from __future__ import annotations

import pytest

from core.engine.batch import UNMEASURABLE
from core.store.queries import list_images
from pages.common.text import plain
from tests.conftest import encode, zip_of
from tests.pages.conftest import ADMIN, MERCHANT, make_app, submit_upload, texts


def _uploader(at, label_start: str):
    return next(u for u in at.file_uploader if u.label.startswith(label_start))


def _submit(at, user=ADMIN):
    submit_upload(at, user)


def _merchant(at):
    return next(t for t in at.text_input if t.label == "Merchant id")


@pytest.fixture()
def day_zip(photo) -> bytes:
    """Twelve files: ten different images, a copy of the first (in another folder), and one text file."""
    small = photo[::8, ::8].copy()
    members = {f"red/{i:02d}.png": encode(small[:, : 64 - i].copy()) for i in range(10)}
    members["blue/00.png"] = members["red/00.png"]
    members["notes.txt"] = b"hello"
    return zip_of(members)


def test_a_refused_submission_keeps_the_files_and_an_upload_empties_the_form(db, day_zip):
    at = make_app(ADMIN, "pages/upload.py")
    _uploader(at, "Zip files").set_value([("day.zip", day_zip, "application/zip")])
    _submit(at)
    assert "Enter the merchant id first." in texts(at)
    assert [t.value for t in at.toast] == ["Enter the merchant id first."]  # also where the view is, at the button
    kept = _uploader(at, "Zip files").value
    assert [f.name for f in kept] == ["day.zip"]  # still chosen: no need to pick and send 500 MB again
    assert not list_images(db, merchant_id="zip-shop")

    _merchant(at).input("zip-shop")
    _submit(at)
    assert "10 added · 0 already uploaded · 1 refused · 1 copy of a file earlier in this upload" in texts(at)
    assert "Report of the last upload: 12 files" in texts(at)
    assert _uploader(at, "Zip files").value == []  # uploaded: the form is empty again
    assert _uploader(at, "Images").value == []
    assert len(list_images(db, merchant_id="zip-shop")) == 10
    table = at.dataframe[0].value
    copy = table[table["file"] == "day.zip › blue/00.png"].iloc[0]
    assert copy["result"] == "copy in this upload"
    assert copy["reason"] == "The same file as red/00.png earlier in this upload."
    # A second click (during a long upload it lands on the emptied form): the report stays.
    _submit(at)
    assert "Choose at least one file." in texts(at)
    assert "Report of the last upload: 12 files" in texts(at) and len(at.dataframe[0].value) == 12


def test_the_report_shows_every_file_and_a_view_of_each_verdict(db, day_zip):
    at = make_app(ADMIN, "pages/upload.py")
    _merchant(at).input("view-shop")
    _uploader(at, "Zip files").set_value([("day.zip", day_zip, "application/zip")])
    _submit(at)
    (views,) = at.button_group
    labels = list(views.options)
    assert labels[0] == "All files (12)" and "Refused (1)" in labels and "Copies within this upload (1)" in labels
    assert not any(label.startswith("Already uploaded") for label in labels)  # none: not offered
    assert len(at.dataframe[0].value) == 12
    views.set_value("refused").run()
    assert not at.exception, [e.message for e in at.exception]
    assert list(at.dataframe[0].value["file"]) == ["day.zip › notes.txt"]  # named with its zip
    assert "10 added" in texts(at)  # the report is still there after choosing a view


def test_the_report_lists_stored_files_first_and_a_view_shows_the_reason_beside_the_name(db, day_zip):
    at = make_app(ADMIN, "pages/upload.py")
    _merchant(at).input("order-shop")
    _uploader(at, "Zip files").set_value([("day.zip", day_zip, "application/zip")])
    _submit(at)
    (grid,) = at.dataframe
    # What was stored, then what needs attention, then what was not stored again.
    assert list(grid.value["result"]) == ["added"] * 10 + ["REFUSED", "copy in this upload"]
    # Upload order within, each named with the zip it came out of.
    assert list(grid.value["file"][:3]) == ["day.zip › red/00.png", "day.zip › red/01.png", "day.zip › red/02.png"]
    assert list(grid.proto.column_order) == ["file", "image", "result", "score", "issues", "reason"]
    (views,) = at.button_group
    for view, columns in (("refused", ["file", "reason"]), ("repeat", ["file", "reason", "image"])):
        views.set_value(view).run()
        assert not at.exception, [e.message for e in at.exception]
        # On a phone the table is some 360 px wide: the name and the reason fit, nothing empty
        # (no link or score for a refused file) or the same on every row (its verdict) between them.
        assert list(at.dataframe[0].proto.column_order) == columns, view


def test_one_file_the_engine_fails_on_is_refused_and_the_rest_are_stored(db, day_zip, monkeypatch):
    from core.engine import batch

    real = batch.analyze

    def analyze(image):
        if image.info.width == 61:  # red/03.png
            raise ValueError("a measure failed on this image")
        return real(image)

    monkeypatch.setattr(batch, "analyze", analyze)
    at = make_app(ADMIN, "pages/upload.py")
    _merchant(at).input("crash-shop")
    _uploader(at, "Zip files").set_value([("day.zip", day_zip, "application/zip")])
    _submit(at)
    assert "9 added · 0 already uploaded · 2 refused" in texts(at)
    table = at.dataframe[0].value
    failed = table[table["file"] == "day.zip › red/03.png"].iloc[0]
    assert (failed["result"], failed["reason"]) == ("REFUSED", UNMEASURABLE)
    assert len(list_images(db, merchant_id="crash-shop")) == 9


def test_the_images_uploader_names_the_types_as_the_limits_box_does(db):
    at = make_app(ADMIN, "pages/upload.py")
    label = _uploader(at, "Images").label
    assert "JPEG" in label and "TIFF" in label and "WebP" in label
    # Streamlit's own line under the dropzone (extensions without JPEG and TIFF) is hidden.
    assert any("st-key-upload_images_" in h.proto.body and "display: none" in h.proto.body for h in at.get("html"))


def _chosen(at, label_start: str) -> list[str]:
    value = _uploader(at, label_start).value
    return [f.name for f in (value if isinstance(value, list) else [value] if value else [])]


@pytest.mark.parametrize(
    ("merchant", "sku", "manifest", "said"),
    [
        # a value beyond the columns: AttributeError, Streamlit's generic error page
        ("m-a", "", b"file,merchant_id,sku\nnew_cup.png,acme-home,CUP 9,00\n", "row 2 ('new_cup.png') has a value"),
        # not UTF-8 (a spreadsheet's own encoding): UnicodeDecodeError
        ("m-a", "", b"file,merchant_id,sku\nnew_cup.png,caf\xe9,CUP-9\n", "not UTF-8 text (byte 0xe9 on line 2)"),
        # too long for the database: DataError on PostgreSQL, stored silently on SQLite
        ("m-a", "", b"file,merchant_id,sku\nnew_cup.png," + b"m" * 80 + b",CUP-9\n", "at most 64 characters"),
        ("m" * 80, "", None, "The merchant id cannot be used: a merchant id may be at most 64 characters"),
        ("m-a", "s" * 200, None, "The SKU cannot be used: a SKU may be at most 128 characters (this one has 200)"),
    ],
    ids=["extra-value", "not-utf8", "manifest-merchant-80", "merchant-field-80", "sku-field-200"],
)
def test_a_manifest_merchant_id_or_sku_that_cannot_be_used_is_explained_and_the_files_kept(
    db, photo, merchant, sku, manifest, said
):
    at = make_app(ADMIN, "pages/upload.py")
    _merchant(at).input(merchant)
    next(t for t in at.text_input if t.label.startswith("SKU")).input(sku)
    _uploader(at, "Images").set_value([("new_cup.png", encode(photo[::8, ::8].copy()), "image/png")])
    if manifest is not None:
        _uploader(at, "Manifest CSV").set_value(("manifest.csv", manifest, "text/csv"))
    _submit(at)
    (error,) = at.error
    assert said in error.value.replace("\\", ""), error.value  # shown as plain text (escaped)
    assert _chosen(at, "Images") == ["new_cup.png"]  # kept for a corrected submission
    assert not [r for r in list_images(db) if r.file_name == "new_cup.png"]  # nothing stored


def test_the_manifest_is_described_per_role_and_a_merchants_merchant_column_is_ignored(db, photo):
    at = make_app(ADMIN, "pages/upload.py")
    admin = _uploader(at, "Manifest CSV")
    assert admin.label == "Manifest CSV (optional: columns file, merchant_id, sku)"
    assert "merchant id" in admin.help

    at = make_app(MERCHANT, "pages/upload.py")
    mine = _uploader(at, "Manifest CSV")
    assert mine.label == "Manifest CSV (optional: columns file, sku)"
    assert "always go to your shop acme\\-home" in mine.help and "ignored" in mine.help
    # The column it is told is ignored is not checked either.
    manifest = b"file,merchant_id,sku\nnew_cup.png," + b"m" * 80 + b",CUP-9\n"
    _uploader(at, "Images").set_value([("new_cup.png", encode(photo[::8, ::8].copy()), "image/png")])
    mine.set_value(("manifest.csv", manifest, "text/csv"))
    _submit(at, MERCHANT)
    assert "1 added · 0 already uploaded · 0 refused" in texts(at), texts(at)
    assert "Report of the last upload: 1 file" in texts(at)
    (row,) = [r for r in list_images(db, merchant_id="acme-home") if r.file_name == "new_cup.png"]
    assert row.sku == "CUP-9"


def test_a_manifest_row_that_names_no_file_is_shown_after_the_upload(db, photo):
    """The row's file name is the merchant's text: shown as the characters it is, not markup."""
    manifest = b"file,sku\nin/a.png,A-1\n**bold**.png,B-1\n"
    zipped = zip_of({"manifest.csv": manifest, "in/a.png": encode(photo[::8, ::8].copy())})
    at = make_app(ADMIN, "pages/upload.py")
    _merchant(at).input("row-shop")
    _uploader(at, "Zip files").set_value([("rows.zip", zipped, "application/zip")])
    _submit(at)
    (note,) = [w.value for w in at.warning if "manifest row" in w.value]
    said = (
        "1 manifest row named no file in this upload, so its SKU was not used: '**bold**.png' (manifest.csv in "
        "rows.zip). A row must name the file as uploaded, with its folders inside a zip (e.g. red/shirt.jpg)."
    )
    assert note == plain(said) and "\\*\\*bold\\*\\*" in note  # escaped: shown as typed, not bold


def test_a_running_upload_is_counted_then_reported_in_every_tab_of_the_account(db, day_zip, photo, monkeypatch):
    """A probe found the report going to whichever tab looked first: the tab the upload was started
    and watched in was left empty, or showing the report before. Every tab shows the latest."""
    import threading

    from core.services.upload_jobs import upload_for
    from core.store import intake

    go, real = threading.Event(), intake.measure_upload

    def measure(*args, **kwargs):
        assert go.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(intake, "measure_upload", measure)
    at = make_app(ADMIN, "pages/upload.py")
    idle = make_app(ADMIN, "pages/upload.py")  # a tab opened before the upload starts
    _merchant(at).input("bg-shop")
    _uploader(at, "Zip files").set_value([("day.zip", day_zip, "application/zip")])
    next(b for b in at.button if b.label == "Upload and score").click().run()
    assert not at.exception, [e.message for e in at.exception]
    # Seen wherever the page is scrolled: on a phone the progress above the form is far off screen.
    assert [t.value for t in at.toast] == [
        "Upload started: scoring the images in 1 zip file. Its progress is at the top of this page."
    ]
    for tab in (at, make_app(ADMIN, "pages/upload.py")):  # this tab, and another of the account's
        (bar,) = tab.get("progress")
        assert bar.proto.text.startswith("Scoring the images in 1 zip file for bg\\-shop: 0 of 12 files scored")
        assert "Report of the last upload" not in texts(tab)
    assert _uploader(at, "Zip files").value == []  # started: the form is empty again
    # The tab opened before: a second upload is refused (one at a time), saying why, its file kept.
    _merchant(idle).input("bg-shop")
    _uploader(idle, "Images").set_value([("cup.png", encode(photo[::8, ::8].copy()), "image/png")])
    next(b for b in idle.button if b.label == "Upload and score").click().run()  # (not waited for: it runs)
    assert [e.value for e in idle.error] == [
        plain(
            "Your upload of the images in 1 zip file is still being scored, so this one was not started: upload "
            "these files once its report is here."
        )
    ]
    assert [f.name for f in _uploader(idle, "Images").value] == ["cup.png"]
    go.set()
    assert upload_for("admin").wait(60)
    for tab in (at, idle):  # both showed it running: both say it is done
        tab.run()
        assert "Report of the last upload: 12 files" in texts(tab) and not tab.get("progress")
        assert [t.value for t in tab.toast] == [
            "Upload done: 10 added, 1 copy not stored again, 1 refused. The report is below the form."
        ]
    late = make_app(ADMIN, "pages/upload.py")  # opened afterwards: the report, no news of it
    assert "Report of the last upload: 12 files" in texts(late) and not late.toast


def test_an_upload_that_stops_says_so_and_the_next_one_clears_it(db, photo, monkeypatch):
    from core.services import upload_jobs

    real, failing = upload_jobs.ingest_uploads, [True]

    def ingest(*args, **kwargs):
        if failing[0]:
            raise RuntimeError("disk gone")
        return real(*args, **kwargs)

    at = make_app(ADMIN, "pages/upload.py")
    _merchant(at).input("bg-shop")
    monkeypatch.setattr(upload_jobs, "ingest_uploads", ingest)
    _uploader(at, "Images").set_value([("cup.png", encode(photo[::8, ::8].copy()), "image/png")])
    _submit(at)
    assert [e.value for e in at.error] == [plain(upload_jobs.UPLOAD_FAILED)]
    failing[0] = False
    _merchant(at).input("bg-shop")
    _uploader(at, "Images").set_value([("cup.png", encode(photo[::8, ::8].copy()), "image/png")])
    _submit(at)
    assert not at.error and "1 added · 0 already uploaded · 0 refused" in texts(at)


def test_a_zip_refused_whole_is_no_good_news(db):
    """A probe's corrupt zip got a check mark: "Upload done: 0 added, 0 refused"."""
    from core.services.upload_jobs import upload_for

    at = make_app(ADMIN, "pages/upload.py")
    _merchant(at).input("zip-shop")
    _uploader(at, "Zip files").set_value([("x.zip", b"random bytes", "application/zip")])
    next(b for b in at.button if b.label == "Upload and score").click().run()
    assert upload_for("admin").wait(60)

    # Said once: in the run after the click if the upload was done by then, else when the page looks again.
    def done(toasts):
        return [t for t in toasts if t.value.startswith("Upload done")]

    # "Upload started" only while it runs: never beside "Upload done".
    assert len(at.toast) == 1
    seen = done(at.toast)
    seen += [] if seen else done(at.run().toast)
    (toast,) = seen
    assert not list(at.run().toast)
    assert toast.value == "Upload done: 0 added, 0 refused, 1 zip refused whole. The report is below the form."
    assert toast.icon == ":material/warning:"
    assert "x.zip: The upload is not a valid zip file." in [e.value.replace("\\", "") for e in at.error]
    assert "Report of the last upload" in [h.value for h in at.subheader]  # headed, with no file to list
