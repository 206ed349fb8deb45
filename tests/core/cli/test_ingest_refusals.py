"""``ingest`` explains a manifest or a merchant id it cannot use, with exit code 1 and nothing
stored; it printed a traceback (AttributeError, UnicodeDecodeError) or, on PostgreSQL, DataError."""

from __future__ import annotations

import pytest

from core.cli.main import main
from tests.conftest import encode


@pytest.fixture()
def drop(tmp_path, photo):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "new_cup.jpg").write_bytes(encode(photo[::4, ::4].copy(), "JPEG"))
    return folder


def _stored(data: str) -> int:
    from core.store.database import open_store
    from core.store.queries import list_images

    store = open_store(data, database_url=None)
    try:
        return len(list_images(store))
    finally:
        store.dispose()


@pytest.mark.parametrize(
    ("manifest", "said"),
    [
        (b"file,merchant_id,sku\nnew_cup.jpg,acme-home,CUP 9,00\n", "row 2 ('new_cup.jpg') has a value beyond"),
        (b"file,merchant_id,sku\nnew_cup.jpg,acme-home,CUP-9\xe9\n", "not UTF-8 text"),
        (b"file,merchant_id,sku\nnew_cup.jpg," + b"m" * 80 + b",CUP-9\n", "at most 64 characters"),
    ],
)
def test_a_folders_manifest_it_cannot_use_is_explained(drop, tmp_path, capsys, manifest, said):
    (drop / "manifest.csv").write_bytes(manifest)
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "ingest", str(drop), "--merchant", "acme-home"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and said in err and "Traceback" not in err
    assert _stored(data) == 0


def test_a_trailing_empty_cell_is_ignored(drop, tmp_path, capsys):
    (drop / "manifest.csv").write_bytes(b"file,merchant_id,sku\nnew_cup.jpg,acme-home,CUP-900,\n")
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "ingest", str(drop), "--merchant", "x"]) == 0
    assert "added" in capsys.readouterr().out


@pytest.mark.parametrize("use_folder", [True, False])
def test_a_merchant_id_too_long_for_the_database_is_refused(drop, tmp_path, capsys, use_folder):
    data = str(tmp_path / "data")
    target = drop if use_folder else drop / "new_cup.jpg"
    assert main(["--data-dir", data, "ingest", str(target), "--merchant", "m" * 80]) == 1
    err = capsys.readouterr().err
    assert "The merchant id cannot be used: a merchant id may be at most 64 characters (this one has 80)" in err
    assert _stored(data) == 0


def test_a_folders_manifest_row_that_names_no_file_is_told(drop, tmp_path, capsys):
    """The file is stored (exit 0) and the row that matched nothing is named on stderr."""
    (drop / "manifest.csv").write_bytes(b"file,merchant_id,sku\nnew_cup.jpg,,CUP-900\nnew_cup.jpeg,,CUP-901\n")
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "ingest", str(drop), "--merchant", "acme-home"]) == 0
    out = capsys.readouterr()
    assert "added" in out.out
    assert (
        f"note: 1 manifest row named no file in this upload, so its SKU was not used: 'new_cup.jpeg' (manifest.csv in {drop})"
        in out.err
    )


def test_ingest_says_whose_catalogue_the_files_went_to(drop, tmp_path, capsys, photo):
    """Found by a browser probe: a folder's manifest.csv put files under another merchant than
    --merchant, and nothing in the output said so."""
    (drop / "other_cup.jpg").write_bytes(encode(photo[::5, ::5].copy(), "JPEG"))
    (drop / "manifest.csv").write_bytes(b"file,merchant_id,sku\nnew_cup.jpg,acme-home,CUP-9\n")
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "ingest", "--merchant", "zeta", str(drop)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == [
        "1 added under merchant 'acme-home' (named by a manifest.csv; --merchant was 'zeta')",
        "1 added under merchant 'zeta'",
    ]
