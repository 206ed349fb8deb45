"""Issue 8, item 5: merchant text is shown as plain text, never as Markdown.

On the old code a SKU with backticks became bold text and a link on Inspect and Review, and
file names rendered as italics and LaTeX in titles.
"""

from __future__ import annotations

import re

from core.store.intake import ingest_files
from pages.common.text import plain, plain_lines
from tests.conftest import encode
from tests.pages.conftest import ADMIN, make_app

HOSTILE_SKU = "`x` **bold** [link](http://evil.example) :red[red] :material/home: $x^2$"
HOSTILE_NAME = "*italic* $\\frac{a}{b}$ _u_.png"

#: Markdown that would still do something: an unescaped special character, or a colon directive.
_ACTIVE = re.compile(r"(?<!\\)[*_`\[\]$<>]|:(?!\u200b)[a-z]")


def test_plain_escapes_everything_markdown_would_act_on():
    for text in [HOSTILE_SKU, HOSTILE_NAME, "a\\b", "# heading", "1. item", "<b>x</b>", "~~s~~", "a\nb"]:
        out = plain(text)
        assert not _ACTIVE.search(out), (text, out)
        # Removing the escapes and the zero-width spaces gives back the text (line breaks as spaces).
        assert re.sub(r"\\(.)", r"\1", out).replace("\u200b", "") == text.replace("\n", " ")


def test_plain_lines_keeps_line_breaks_and_nothing_else_active():
    """Found by a browser probe: a reviewer's comment on two lines showed on one."""
    out = plain_lines("**first** line\r\n<script>x</script>\rthird :red[x]")
    lines = out.split("  \n")
    assert len(lines) == 3 and not any(_ACTIVE.search(line) for line in lines), out
    assert [re.sub(r"\\(.)", r"\1", line).replace("\u200b", "") for line in lines] == [
        "**first** line",
        "<script>x</script>",
        "third :red[x]",
    ]
    assert plain_lines("one line") == plain("one line")


def test_plain_leaves_a_colon_before_a_space_alone():
    """Only a colon touching the next character can start a directive: prose keeps no invisible
    characters that a user copying it would carry along."""
    assert "\u200b" not in plain("The photo looks flat: its tones span 0.3:")
    assert plain("size:XL") == "size\\:\u200bXL"


def test_inspect_shows_a_hostile_sku_and_name_as_plain_text(db, product):
    report = ingest_files(db, [(HOSTILE_NAME, encode(product[::3, ::3]))], merchant_id="evil:shop", sku=HOSTILE_SKU)
    vid = report.added[0].version_id
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(vid)})
    title = at.title[0].value
    caption = next(c.value for c in at.caption if "SKU" in c.value)
    for shown in (title, caption):
        assert not _ACTIVE.search(shown), shown
    assert plain(HOSTILE_SKU) in caption and plain("evil:shop") in caption
