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
from collections.abc import Sequence
from typing import Final

__all__ = ["COPIED_FILTER_HELP", "plain", "same_file_note"]

_PUNCT: Final = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")
#: A colon with something right after it: where ``:red[``, ``:material/`` and ``:smile:`` begin.
_DIRECTIVE_COLON: Final = re.compile(r":(?=\S)")

#: The help of the copies filter (:data:`~core.vocabulary.COPIED_FILTER_LABEL`), on Overview and Review.
COPIED_FILTER_HELP: Final = (
    "A seller's photo copied by another: no check flags it, as its pixels are fine. Both merchants' copies are listed."
)


def plain(text: object) -> str:
    """``text`` escaped for any Streamlit Markdown context; it displays exactly as given (line
    breaks become spaces)."""
    s = str(text if text is not None else "")
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\n", " ")
    return _DIRECTIVE_COLON.sub(":\u200b", _PUNCT.sub(r"\\\1", s))


def same_file_note(copies: Sequence[tuple[int, str, str]]) -> str:
    """Staff's warning that other merchants stored the very same file, from
    ``(version id, merchant id, name as given)`` rows; their text is shown as typed."""
    where = "; ".join(f"{plain(name)} under merchant {plain(merchant)} (#{v})" for v, merchant, name in copies)
    return f"The same file is also stored by another merchant: {where}. Is it a photo copied from another seller?"
