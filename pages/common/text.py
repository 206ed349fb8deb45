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

import pandas as pd

from core.services.catalog import OtherNames, SameFile
from core.services.upload import quoted

__all__ = [
    "COPIED_FILTER_HELP",
    "gist",
    "other_names_note",
    "plain",
    "plain_lines",
    "reused_file_note",
    "same_file_note",
    "sku_words",
    "when",
]

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


def plain_lines(text: object) -> str:
    """``text`` as :func:`plain` makes it, but its line breaks kept (as Markdown hard breaks): a
    reviewer's comment written on several lines reads on several lines."""
    s = str(text if text is not None else "").replace("\r\n", "\n").replace("\r", "\n")
    return "  \n".join(plain(line).rstrip() for line in s.split("\n"))


def gist(text: str, *, limit: int = 120) -> str:
    """The first clause of a long description (up to its first parenthesis or semicolon), for a
    grid cell that cuts what does not fit: "Tint of the plain backdrop …", never a sentence cut
    mid-word. Text that fits (``limit`` characters) is kept whole."""
    if len(text) <= limit:
        return text
    cut = min((i for i in (text.find(" ("), text.find(";")) if i >= 12), default=-1)
    head = text[:cut] if 0 < cut <= limit else text[:limit].rsplit(" ", 1)[0]
    return head.rstrip(" ,:") + " …"


def sku_words(sku: str | None) -> str:
    """An image's SKU for a caption: "SKU CUP-001" (as plain text), or "no SKU"."""
    return f"SKU {plain(sku)}" if sku else "no SKU"


def when(stamp: object) -> str:
    """A stored timestamp as people read it, in UTC (``30 Nov 2026, 09:59 UTC``)."""
    t = pd.Timestamp(str(stamp))
    return t.tz_convert("UTC").strftime("%d %b %Y, %H:%M UTC") if t.tzinfo else t.strftime("%d %b %Y, %H:%M")


def same_file_note(copies: Sequence[SameFile]) -> str:
    """Staff's warning that other merchants stored the very same file, naming each copy with when
    it was stored and whether before or after this image (who had it first is the question a
    copy raises); the merchants' text is shown as typed."""
    where = "; ".join(
        f"{plain(c.name)} under merchant {plain(c.merchant_id)} (#{c.version_id}), stored "
        f"{when(c.stored_at)}, {'before' if c.earlier else 'after'} this one"
        for c in copies
    )
    first = "" if any(c.earlier for c in copies) else " This image was stored first."
    return (
        f"The same file is also stored by another merchant: {where}.{first} Is it a photo copied from another seller?"
    )


def other_names_note(names: OtherNames) -> str:
    """The names (and SKUs) the merchant also uploaded this image's very file under: "Also uploaded
    as 'shirt-2.jpg' (no SKU), 'shirt-blue.jpg' (SKU SH-2) and 3 more." (a copy is stored once)."""
    listed = ", ".join(f"{plain(quoted(n.name))} ({sku_words(n.sku)})" for n in names.names)
    more = names.count - len(names.names)
    return f"Also uploaded as {listed}{f' and {more:,} more' if more > 0 else ''}."


def reused_file_note(names: OtherNames) -> str:
    """Staff's warning that the merchant uploaded this very file for other SKUs too: one photo for
    two products (the "blue" page showing the black shirt), which no check sees in the pixels."""
    skus = names.other_skus
    shown = ", ".join(plain(quoted(s)) for s in skus[:5]) + (f" and {len(skus) - 5:,} more" if len(skus) > 5 else "")
    return (
        f"The same file was uploaded for {'another SKU' if len(skus) == 1 else f'{len(skus):,} other SKUs'} too: "
        f"{shown}. One photo for {'two products' if len(skus) == 1 else 'several products'}? Check that it shows "
        f"this one ({sku_words(names.own_sku)})."
    )
