"""Merchants' file names: shown exactly as given, stored under a safe name, manifest collisions reported."""

from __future__ import annotations

import io

import cv2
import pytest
from sqlalchemy import select

from core.store.database import images
from core.store.intake import IngestError, display_name, ingest_files, ingest_zip, read_manifest, safe_name
from tests.conftest import encode, zip_of

ODD = 'say "cheese"\nback\\slash.jpg'


def test_name_is_kept_for_display_and_made_safe_for_storage(store, photo):
    report = ingest_files(store, [(ODD, encode(photo, "JPEG"))], merchant_id="acme")
    (r,) = report.results
    assert r.status == "added" and r.display_name == ODD and r.shown_name == ODD
    assert r.name == safe_name(ODD) and "\n" not in r.name and '"' not in r.name and "\\" not in r.name
    assert "slash" in r.name and r.name.startswith("say _cheese_")  # nothing before the backslash is lost
    with store.read() as conn:
        row = conn.execute(select(images.c.file_name, images.c.display_name)).one()
    assert row.display_name == ODD and row.file_name == r.name


def test_backslash_is_part_of_a_name_but_a_windows_path_is_cut():
    assert safe_name("back\\slash.jpg") == "back_slash.jpg" and display_name("back\\slash.jpg") == "back\\slash.jpg"
    assert (
        safe_name("C:\\Users\\x\\photo.png") == "photo.png" and display_name("C:\\Users\\x\\photo.png") == "photo.png"
    )
    assert display_name("a\x00b.jpg") == "ab.jpg" and len(display_name("x" * 900)) == 500


def test_manifest_rows_whose_cleaned_names_coincide_do_not_override_each_other(store, photo):
    manifest = read_manifest('file,merchant_id,sku\n"a""b.jpg",north,N-1\na_b.jpg,south,S-1\n')
    assert manifest == {'a"b.jpg': ("north", "N-1"), "a_b.jpg": ("south", "S-1")}
    dark = (photo * 0.5).astype(photo.dtype)
    report = ingest_files(
        store,
        [('a"b.jpg', encode(photo, "JPEG")), ("a_b.jpg", encode(dark, "JPEG")), ("a:b.jpg", encode(photo, "PNG"))],
        merchant_id="fallback",
        manifest=manifest,
    )
    by = {r.display_name: r for r in report.results}
    assert by['a"b.jpg'].status == "added" and by["a_b.jpg"].status == "added"
    with store.read() as conn:
        rows = {r.display_name: (r.merchant_id, r.sku) for r in conn.execute(select(images))}
    assert rows['a"b.jpg'] == ("north", "N-1") and rows["a_b.jpg"] == ("south", "S-1")
    # a third name that cleans to the same thing matches both rows: refused with the reason
    assert by["a:b.jpg"].status == "refused" and "2 rows" in by["a:b.jpg"].reason


def test_a_collision_names_five_rows_and_counts_the_others(store):
    """Each file matching many rows that clean alike was refused with every row named: a 5.5 MB
    manifest of 250,000 such rows put 3.9 MB of text in each file's reason (a zip of 2,000
    entries, 7.7 GB). Five are named, the others counted, whatever the rows' length."""
    import itertools

    names = ["a" + "".join(c) + ".jpg" for c in itertools.product(':*?<>|"', repeat=3)][:300]
    names[-1] = "a" + "?" * 3000 + ".jpg"  # cleans to another name: a long one, not matched
    text = "file,sku\n" + "".join('"' + n.replace('"', '""') + f'",S-{i}\n' for i, n in enumerate(names))
    report = ingest_files(
        store, [(f"d{k}/a___.jpg", b"x") for k in range(20)], merchant_id="acme", manifest=read_manifest(text)
    )
    for r in report.results:
        assert r.status == "refused" and len(r.reason) < 400, len(r.reason)
        assert r.reason.startswith("The manifest has 299 rows that match this file once names are cleaned (")
        assert r.reason.endswith(" and 294 more); name the file exactly as in one row.")
        assert r.reason.count("'a") == 5


def test_a_file_listed_twice_with_different_values_is_refused_whole():
    with pytest.raises(IngestError, match="twice"):
        read_manifest("file,merchant_id\nx.jpg,a\nx.jpg,b\n")
    assert read_manifest("file,merchant_id\nx.jpg,a\nx.jpg,a\n") == {"x.jpg": ("a", "")}


def test_zip_entries_keep_their_names_for_display(store, photo):
    report = ingest_zip(
        store, zip_of({'folder/it\'s "new".jpg': encode(photo, "JPEG"), "notes.txt": b"x"}), merchant_id="acme"
    )
    by = {r.display_name: r for r in report.results}
    assert by['folder/it\'s "new".jpg'].status == "added" and by["notes.txt"].status == "refused"
    assert by['folder/it\'s "new".jpg'].name == "it's _new_.jpg"  # stored without its folder


def test_zip_and_folder_entries_are_told_apart_by_their_folders(store, photo, tmp_path):
    """Exports with a folder per SKU or colour repeat one file name: each keeps its folder, and a
    manifest may name either file by its path."""
    from core.store.intake import ingest_folder

    red, blue = encode(photo, "JPEG"), encode(photo[::-1], "JPEG")
    manifest = read_manifest("file,merchant_id,sku\nred/shirt.jpg,acme,R-1\nblue/shirt.jpg,acme,B-1\n")
    report = ingest_zip(
        store, zip_of({"red/shirt.jpg": red, "blue/shirt.jpg": blue}), merchant_id="x", manifest=manifest
    )
    assert sorted(r.display_name for r in report.results) == ["blue/shirt.jpg", "red/shirt.jpg"]
    assert {r.status for r in report.results} == {"added"}
    with store.read() as conn:
        rows = {r.display_name: r.sku for r in conn.execute(select(images))}
    assert rows == {"red/shirt.jpg": "R-1", "blue/shirt.jpg": "B-1"}
    # A name with a slash in it is a path inside a zip: it is shown whole, not cut to its end.
    odd = ingest_zip(store, zip_of({"<b>bold</b>.png": encode(photo[:, ::-1], "PNG")}), merchant_id="acme")
    assert [r.display_name for r in odd.results] == ["<b>bold</b>.png"]
    (tmp_path / "export" / "SKU-1").mkdir(parents=True)
    (tmp_path / "export" / "SKU-1" / "main.jpg").write_bytes(encode(photo[::2], "JPEG"))
    folder = ingest_folder(store, tmp_path / "export", merchant_id="acme")
    assert [r.display_name for r in folder.results] == ["SKU-1/main.jpg"]


def test_folder_ingest_stores_phone_heic_and_reports_svg_with_a_reason(store, photo, tmp_path):
    from core.store.intake import ingest_folder

    (tmp_path / "ok.jpg").write_bytes(encode(photo, "JPEG"))
    (tmp_path / "phone.heic").write_bytes(encode(photo, "HEIF", quality=85))
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tmp_path / "cut.heic").write_bytes(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64)
    by = {r.display_name: r for r in ingest_folder(store, tmp_path, merchant_id="acme").results}
    assert by["ok.jpg"].status == "added" and by["phone.heic"].status == "added"
    assert sorted(p.suffix for p in store.blob_dir.rglob("*.*")) == [".heic", ".jpg"]
    assert by["logo.svg"].status == "refused" and "SVG" in by["logo.svg"].reason
    assert by["cut.heic"].status == "refused" and "HEIC" in by["cut.heic"].reason


def test_folder_ingest_reads_a_windows_jfif_and_reports_a_pdf_with_a_reason(store, photo, tmp_path):
    """Windows browsers save JPEGs as .jfif: read as JPEG, not skipped. A PDF spec sheet in the
    same folder is named as refused, never dropped silently."""
    from core.store.intake import ingest_folder

    (tmp_path / "saved from web.jfif").write_bytes(encode(photo, "JPEG"))
    (tmp_path / "spec sheet.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    by = {r.display_name: r for r in ingest_folder(store, tmp_path, merchant_id="acme").results}
    assert set(by) == {"saved from web.jfif", "spec sheet.pdf"}
    assert by["saved from web.jfif"].status == "added"
    assert by["spec sheet.pdf"].status == "refused" and "PDF" in by["spec sheet.pdf"].reason


def test_browser_escapes_in_uploaded_names_are_undone():
    from core.services.upload import browser_file_name

    assert browser_file_name("say %22cheese%22%0Aback\\slash.jpg") == ODD
    assert browser_file_name("plain 100% cotton.jpg") == "plain 100% cotton.jpg"


def test_feedback_rows_and_csv_name_the_image_as_the_merchant_gave_it(store, photo):
    """The Feedback table and its CSV show the display name (not the storage name), and the CSV
    still neutralizes a name a spreadsheet would run as a formula."""
    import csv

    from core.store.feedback import feedback_csv, feedback_frame
    from core.store.queries import list_images
    from core.store.reviews import decide

    names = ["<b>bold</b>.jpg", '=HYPERLINK("x").jpg']
    dark = (photo * 0.5).astype(photo.dtype)
    ingest_files(store, [(names[0], encode(photo, "JPEG")), (names[1], encode(dark, "PNG"))], merchant_id="acme")
    for rec in list_images(store):
        decide(store, version_id=rec.version_id, reviewer="rita", decision="approved", profile="generic")
    frame = feedback_frame(store)
    assert sorted(frame["file_name"]) == sorted(names)
    rows = list(csv.DictReader(io.StringIO(feedback_csv(frame).decode("utf-8-sig"))))
    assert sorted(r["file_name"] for r in rows) == sorted(["<b>bold</b>.jpg", '\'=HYPERLINK("x").jpg'])


def test_a_duplicate_names_the_earlier_image_as_the_merchant_gave_it(store, photo):
    """Its message names the earlier upload by the name the merchant gave (not the storage
    name), also once rescored from stored metrics; :func:`earlier_copy` says which version."""
    from core.engine.profiles import load_profile
    from core.store.queries import issue_details
    from core.store.scores import earlier_copy, score_version

    big = cv2.resize(photo, (1024, 1024), interpolation=cv2.INTER_AREA)
    first = ingest_files(store, [(ODD, encode(big, "JPEG"))], merchant_id="acme").results[0]
    again = ingest_files(store, [("copy.jpg", encode(big[::2, ::2], "JPEG", quality=85))], merchant_id="acme")
    (r,) = again.results
    assert "near_duplicate" in r.issues and earlier_copy(store, r.version_id) == (first.version_id, ODD)
    assert earlier_copy(store, first.version_id) is None
    for rescored in (False, True):
        if rescored:
            score_version(store, r.version_id, load_profile("generic"))
        stored, _ = issue_details(store, r.version_id, "generic")
        message = next(i["message"] for i in stored if i["name"] == "near_duplicate")
        assert f"the same photo as {ODD}," in message, message


def test_a_duplicate_in_the_same_upload_names_the_earlier_file_with_its_folder(store, photo):
    """Within one zip, the earlier file is named as the merchant gave it too: with its folder, as
    the link beside the message shows it (``photos/80_days.jpg``, not the storage name)."""
    from core.store.queries import issue_details

    big = cv2.resize(photo, (1024, 1024), interpolation=cv2.INTER_AREA)
    files = {"photos/80 days.jpg": encode(big, "JPEG"), "resized/copy.jpg": encode(big[::2, ::2], "JPEG", quality=85)}
    report = ingest_zip(store, zip_of(files), merchant_id="acme")
    first, again = report.results
    assert "near_duplicate" in again.issues, again
    stored, _ = issue_details(store, again.version_id, "generic")
    message = next(i["message"] for i in stored if i["name"] == "near_duplicate")
    assert "the same photo as photos/80 days.jpg," in message, message


def test_a_folder_for_a_merchant_id_that_differs_only_in_case_is_refused_whole(store, photo, tmp_path):
    from core.store.intake import ingest_folder

    (tmp_path / "a.jpg").write_bytes(encode(photo, "JPEG"))
    ingest_folder(store, tmp_path, merchant_id="acme")
    (tmp_path / "b.jpg").write_bytes(encode(photo[::-1], "JPEG"))
    with pytest.raises(IngestError, match="'ACME' differs from the merchant 'acme'.*Nothing was imported"):
        ingest_folder(store, tmp_path, merchant_id="ACME")
    with store.read() as conn:
        assert conn.execute(select(images.c.merchant_id)).scalars().all() == ["acme"]
