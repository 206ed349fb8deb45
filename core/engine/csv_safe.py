"""Formula-safe CSV cells: text a spreadsheet would run as a formula gets a leading apostrophe.

Every CSV the product writes (score results, feedback exports) passes its text cells through
:func:`formula_safe`. Carriage returns inside a cell become line feeds, so no cell can end a
row early in a reader that treats a bare CR as a line break.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["FORMULA_START", "formula_safe"]

#: Leading characters that make Excel, LibreOffice or Google Sheets evaluate a cell (full-width
#: forms included: some locales' spreadsheets treat them as formula starts too).
FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def formula_safe(value: Any) -> Any:
    """``value`` unchanged unless it is text that a spreadsheet would evaluate (also after leading
    spaces); such text gets a leading apostrophe. CR and CRLF inside text become LF."""
    if not isinstance(value, str):
        return value
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    if text.lstrip(" ").startswith(FORMULA_START) or (text and text[0] in FORMULA_START):
        return "'" + text
    return text
