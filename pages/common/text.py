"""Merchant text (file names, SKUs, merchant ids, comments) shown as the characters it is.

Streamlit renders titles, captions, messages and toasts as Markdown, with its own extras
(``:red[...]``, ``:material/...:``, emoji short codes, ``$...$`` LaTeX). :func:`plain` makes a
string inert in those places: every ASCII punctuation character is backslash-escaped (CommonMark
allows that for all of them) and a zero-width space after a colon that touches the next
character breaks Streamlit's colon directives, which escaping alone does not stop. A colon
followed by a space or the end starts no directive and is left alone, so prose copied from the
page ("looks flat: its tones") carries no invisible characters.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["plain"]

_PUNCT: Final = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")
#: A colon with something right after it: where ``:red[``, ``:material/`` and ``:smile:`` begin.
_DIRECTIVE_COLON: Final = re.compile(r":(?=\S)")


def plain(text: object) -> str:
    """``text`` escaped for any Streamlit Markdown context; it displays exactly as given (line
    breaks become spaces)."""
    s = str(text if text is not None else "")
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ")
    return _DIRECTIVE_COLON.sub(":\u200b", _PUNCT.sub(r"\\\1", s))
