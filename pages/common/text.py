"""Merchant text (file names, SKUs, merchant ids, comments) shown as the characters it is.

Streamlit renders titles, captions, messages and toasts as Markdown, with its own extras
(``:red[...]``, ``:material/...:``, emoji short codes, ``$...$`` LaTeX). :func:`plain` makes a
string inert in those places: every ASCII punctuation character is backslash-escaped (CommonMark
allows that for all of them) and a zero-width space after each colon breaks Streamlit's colon
directives, which escaping alone does not stop.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["plain"]

_PUNCT: Final = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")


def plain(text: object) -> str:
    """``text`` escaped for any Streamlit Markdown context; it displays exactly as given (line
    breaks become spaces)."""
    s = str(text if text is not None else "")
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ")
    return _PUNCT.sub(r"\\\1", s).replace(":", ":\u200b")
