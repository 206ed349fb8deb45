"""Manifests as spreadsheets export them: a cell too many, an unquoted comma, text that is not
UTF-8 or not CSV, merchant ids and SKUs the database cannot hold. Each is an :class:`IngestError`
naming the row, never another exception (the page and ``ingest`` show only IngestError)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.store.database import images
from core.store.intake import IngestError, ingest_files, ingest_folder, ingest_zip, read_manifest
from tests.conftest import encode, zip_of

HEADER = "file,merchant_id,sku\n"


def _refused(text: str | bytes, **kw) -> str:
    with pytest.raises(IngestError) as err:
        read_manifest(text, **kw)
    return str(err.value)


def test_empty_cells_beyond_the_columns_are_ignored():
    """Excel's trailing comma, on the rows and on the header; DictReader put them under the key
    None as a list and read_manifest crashed with AttributeError."""
    assert read_manifest(HEADER + "new_cup.jpg,acme-home,CUP-900,\nmug.jpg,acme-home,MUG-1,, \n") == {
        "new_cup.jpg": ("acme-home", "CUP-900"),
        "mug.jpg": ("acme-home", "MUG-1"),
    }
    assert read_manifest("file,merchant_id,sku,\nnew_cup.jpg,acme-home,CUP-900,\n") == {
        "new_cup.jpg": ("acme-home", "CUP-900")
    }
    # a short row still reads as before: the missing cells are empty
    assert read_manifest(HEADER + "\nalone.jpg\n") == {"alone.jpg": ("", "")}


def test_a_value_beyond_the_columns_refuses_the_manifest_naming_the_row():
    message = _refused(HEADER + "cup.jpg,acme-home,CUP-1\nnew_cup.jpg,acme-home,CUP 9,00\n")
    assert "row 3 ('new_cup.jpg')" in message and "'00'" in message
    assert "double quotes" in message and "nothing was imported" in message
    # quoted, the comma is part of the SKU
    assert read_manifest(HEADER + 'new_cup.jpg,acme-home,"CUP 9,00"\n') == {"new_cup.jpg": ("acme-home", "CUP 9,00")}
    # under a header cell left empty: which column was meant cannot be known either
    message = _refused("file,,sku\nbowl.jpg,oops,B-1\n")
    assert "row 2 ('bowl.jpg')" in message and "'oops'" in message


def test_every_bad_row_is_named_up_to_five_then_counted():
    rows = "".join(f"f{i}.jpg,acme,S-{i},extra\n" for i in range(8))
    message = _refused(HEADER + "ok.jpg,acme,S\n" + rows)
    assert all(f"row {n} " in message for n in range(3, 8)) and "row 8 " not in message
    assert "and 3 more rows" in message and "Correct these rows" in message


def test_merchant_ids_and_skus_the_database_cannot_hold_are_named():
    message = _refused(HEADER + f"a.jpg,{'m' * 80},S-1\nb.jpg,acme,{'s' * 200}\nc.jpg,acme home,S-3\n")
    assert "row 2 ('a.jpg'): a merchant id may be at most 64 characters (this one has 80)" in message
    assert "row 3 ('b.jpg'): a SKU may be at most 128 characters (this one has 200)" in message
    assert "row 4 ('c.jpg'): a merchant id may use only letters" in message
    assert "control characters" in _refused(HEADER + 'a.jpg,acme,"S-1\nnext"\n')
    # at the limits: kept
    assert read_manifest(HEADER + f"a.jpg,{'m' * 64},{'s' * 128}\n") == {"a.jpg": ("m" * 64, "s" * 128)}


def test_a_merchants_manifest_is_not_refused_for_the_merchant_column_it_ignores():
    text = HEADER + f"a.jpg,{'m' * 80},S-1\n"
    assert read_manifest(text, uses_merchant_ids=False) == {"a.jpg": ("m" * 80, "S-1")}
    assert "128 characters" in _refused(HEADER + f"a.jpg,acme,{'s' * 129}\n", uses_merchant_ids=False)


def test_text_that_is_not_utf8_or_not_csv_is_explained():
    assert "not UTF-8 text (byte 0xe9 on line 2)" in _refused(
        HEADER.encode() + "caf\u00e9.jpg,acme,S\n".encode("cp1252")
    )
    message = _refused(HEADER + 'a.jpg,acme,"S-1\n' + "x" * 200_000)  # a quote never closed
    assert "row 2" in message and "double quote" in message
    # A quote never closed in a short file took the next row into the value: the rows merged silently.
    assert "row 2: a double quote opens a value and none closes it" in _refused(
        HEADER + 'a.jpg,acme,"S-1\nb.jpg,acme,S-2\n'
    )
    assert "row 2: a quoted value goes on after its closing double quote" in _refused(HEADER + 'a.jpg,acme,"S"1\n')
    # Quotes as the format means them, and a quote inside an unquoted name, are read as written.
    assert read_manifest(HEADER + '"a, b.jpg",acme,"S ""1"""\nshirt 15" wide.jpg,acme,S-2\n') == {
        "a, b.jpg": ("acme", 'S "1"'),
        'shirt 15" wide.jpg': ("acme", "S-2"),
    }
    assert "2 'sku' columns" in _refused("file,sku,sku\na.jpg,S,T\n")
    assert "'file' column" in _refused(b"")


def test_a_file_listed_twice_names_both_rows():
    message = _refused(HEADER + "x.jpg,a,S\ny.jpg,a,S\nx.jpg,b,S\n")
    assert "row 4 ('x.jpg') lists 'x.jpg' twice" in message and "row 2" in message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_any_bytes_give_a_manifest_or_an_ingest_error(data):
    try:
        read_manifest(data)
    except IngestError:
        pass


#: CSV-like text: cells, quotes, line ends, control characters, the column names.
_CSVISH = st.lists(st.sampled_from(list('ab,"\n\r \t;\x00\u00e9\u2028') + ["file", "sku", "merchant_id"])).map("".join)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_CSVISH, st.builds(lambda body: HEADER + body, _CSVISH), st.text()), st.booleans())
def test_any_text_gives_a_manifest_or_an_ingest_error(text, own):
    try:
        manifest = read_manifest(text, uses_merchant_ids=not own)
    except IngestError:
        return
    for merchant, sku in manifest.values():
        assert len(sku) <= 128 and "\n" not in sku and (own or len(merchant) <= 64)


def _count(store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(images)).scalar_one())


def test_a_zip_whose_manifest_has_a_bad_row_is_refused_whole(store, photo):
    """On both backends (PostgreSQL crashed with DataError on the 80-character merchant id)."""
    small = encode(photo[::4, ::4].copy())
    for manifest in (HEADER + "a.png,acme,A-1,oops\n", HEADER + f"a.png,{'m' * 80},A-1\n"):
        with pytest.raises(IngestError, match="row 2"):
            ingest_zip(store, zip_of({"manifest.csv": manifest.encode(), "a.png": small}), merchant_id="acme")
    assert _count(store) == 0
    report = ingest_zip(
        store, zip_of({"manifest.csv": (HEADER + "a.png,acme,A-1,\n").encode(), "a.png": small}), merchant_id="x"
    )
    assert [r.status for r in report.results] == ["added"]
    with store.read() as conn:
        assert conn.execute(select(images.c.merchant_id, images.c.sku)).one() == ("acme", "A-1")


def test_a_merchants_zip_manifest_may_name_any_merchant_it_ignores(store, photo):
    small = encode(photo[::4, ::4].copy())
    manifest = (HEADER + f"a.png,{'m' * 80},A-1\n").encode()
    report = ingest_zip(
        store, zip_of({"manifest.csv": manifest, "a.png": small}), merchant_id="acme", only_own_merchant=True
    )
    assert [r.status for r in report.results] == ["added"]
    with store.read() as conn:
        assert conn.execute(select(images.c.merchant_id, images.c.sku)).one() == ("acme", "A-1")


def test_a_large_manifest_is_cleaned_once_not_once_a_file(store, photo, monkeypatch):
    """A file the manifest does not name exactly is matched by its cleaned name. Every row was
    cleaned again for each such file: with a 5 MB manifest (150,000 rows) that took 0.36 s a
    file, 12 minutes of the server's CPU for a zip of 2,000 entries. The rows are now cleaned
    once, and the match is the same: a folder's file by its base name, a name cleaned alike."""
    from core.store import intake

    rows = 2000
    manifest = read_manifest(
        HEADER + "".join(f"photo-{i:05d}.jpg,,SKU-{i}\n" for i in range(rows)) + 'my"cup.png,,CUP-1\n'
    )
    calls = 0
    clean = intake.safe_name

    def counted(name: str, **kw: int) -> str:
        nonlocal calls
        calls += 1
        return clean(name, **kw)

    monkeypatch.setattr(intake, "safe_name", counted)
    files = [(f"red/other-{k}.jpg", b"not an image") for k in range(50)]
    files += [("shop/photo-00007.jpg", encode(photo[::4, ::4].copy())), ("my_cup.png", b"nope")]
    report = ingest_files(store, files, merchant_id="acme", manifest=manifest)
    assert calls < rows + 10 * len(files), calls  # was rows x files: 104,000
    assert [r.status for r in report.results].count("refused") == 51
    with store.read() as conn:
        assert conn.execute(select(images.c.display_name, images.c.sku)).one() == ("shop/photo-00007.jpg", "SKU-7")


def test_the_longest_merchant_id_and_sku_are_stored_and_a_longer_sku_refused(store, photo):
    small = encode(photo[::4, ::4].copy())
    with pytest.raises(IngestError, match="128 characters"):
        ingest_files(store, [("a.png", small)], merchant_id="acme", sku="s" * 200)
    with pytest.raises(IngestError, match="control characters"):
        ingest_files(store, [("a.png", small)], merchant_id="acme", sku="S-1\tS-2")
    assert _count(store) == 0
    report = ingest_files(store, [("a.png", small)], merchant_id="m" * 64, sku=" " + "s" * 128 + " ")
    assert [r.status for r in report.results] == ["added"]
    with store.read() as conn:
        assert conn.execute(select(images.c.merchant_id, images.c.sku)).one() == ("m" * 64, "s" * 128)


def test_a_folder_with_a_bad_manifest_or_merchant_id_is_refused_before_anything_is_read(store, photo, tmp_path):
    (tmp_path / "a.png").write_bytes(encode(photo[::4, ::4].copy()))
    with pytest.raises(IngestError, match="64 characters"):
        ingest_folder(store, tmp_path, merchant_id="m" * 80)
    (tmp_path / "manifest.csv").write_bytes(b"file,merchant_id,sku\na.png,acme,A 1,2\n")
    with pytest.raises(IngestError, match=r"row 2 \('a.png'\)"):
        ingest_folder(store, tmp_path, merchant_id="acme")
    (tmp_path / "manifest.csv").write_bytes(b"file,merchant_id,sku\na.png,acme,\xff\n")
    with pytest.raises(IngestError, match="not UTF-8"):
        ingest_folder(store, tmp_path, merchant_id="acme")
    assert _count(store) == 0


def _renamed(zipped: bytes, placeholder: str, raw: bytes) -> bytes:
    """``zipped`` with ``placeholder``'s name bytes replaced by ``raw`` (as long), the UTF-8 flag
    left unset: what Linux's and macOS's zip tools write, and old Windows tools in CP437."""
    assert len(placeholder.encode()) == len(raw)
    return zipped.replace(placeholder.encode(), raw)


def test_zip_names_written_in_utf8_without_the_flag_are_read_as_written(store, photo):
    """A name "cat ü.jpg" zipped on Linux read "cat ├╝.jpg" (CP437), and the manifest row giving it a SKU
    matched nothing; a CP437 name ("café" from an old Windows tool) still reads as CP437."""
    small = encode(photo[::4, ::4].copy())
    manifest = (HEADER + "cat ü.png,,CAT-9\n").encode()
    zipped = _renamed(zip_of({"manifest.csv": manifest, "cat __.png": small}), "cat __.png", "cat ü.png".encode())
    report = ingest_zip(store, zipped, merchant_id="acme")
    assert [(r.status, r.display_name) for r in report.results] == [("added", "cat ü.png")]
    zipped = _renamed(zip_of({"caf_.png": encode(photo[::5, ::5].copy())}), "caf_.png", "café.png".encode("cp437"))
    report = ingest_zip(store, zipped, merchant_id="acme")
    assert [r.display_name for r in report.results] == ["café.png"]
    with store.read() as conn:
        assert sorted(conn.execute(select(images.c.sku)).scalars()) == ["", "CAT-9"]
