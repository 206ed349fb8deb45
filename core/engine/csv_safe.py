"""Formula-safe CSV cells: text a spreadsheet would run as a formula gets a leading apostrophe.

Every CSV the product writes (score results, feedback exports) passes its text cells through
:func:`formula_safe`. Carriage returns inside a cell become line feeds, so no cell can end a
row early in a reader that treats a bare CR as a line break.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["FORMULA_START", "LEADING_SPACES", "formula_safe"]

#: Leading characters that make Excel, LibreOffice or Google Sheets evaluate a cell (full-width
#: forms included: some locales' spreadsheets treat them as formula starts too).
FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

#: Characters looked past before a formula start: every Unicode space (what ``str.isspace`` is
#: true for, but for the tab, CR and LF above, which are formula starts themselves), the no-break
#: space among them, and the invisible zero-width ones (zero-width space, joiners, word joiner,
#: byte order mark). A spreadsheet that trims spaces before evaluating sees the formula;
#: LibreOffice 7.4 trims only ASCII spaces ("Trim spaces" on import), but another program or
#: version may trim more, and an apostrophe costs nothing.
LEADING_SPACES: Final = (
    "\x0b\x0c\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000" + "\u180e\u200b\u200c\u200d\u2060\ufeff"
)


def formula_safe(value: Any) -> Any:
    """``value`` unchanged unless it is text that a spreadsheet would evaluate (also after leading
    spaces of any kind: :data:`LEADING_SPACES`); such text gets a leading apostrophe. CR and CRLF
    inside text become LF."""
    if not isinstance(value, str):
        return value
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    if text.lstrip(LEADING_SPACES).startswith(FORMULA_START):
        return "'" + text
    return text
