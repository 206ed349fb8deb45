"""The text search's case fold: every letter, the same on SQLite and PostgreSQL.

The catalogue compares names and SKUs *folded*: :func:`fold_text` lower-cases every letter (Python's
Unicode mapping: SQLite's ``lower()`` folds A-Z only, and so does PostgreSQL's in the C locale) and
writes a final sigma as a sigma (lower-casing "ΟΔΟΣ" alone gives "οδος", inside "ΟΔΟΣΚ" it gives
"οδοσκ"). SQL calls it as :data:`FOLD_FUNCTION`: a deterministic function registered on each
SQLite connection, and on PostgreSQL an SQL function over a Unicode-aware ``lower()`` (revision
0012) on which its trigram indexes are built.

SQLite runs the fold in Python, three times slower than its own ``lower()`` over a million names,
so two conditions it answers itself stand in front of it and only their survivors are folded:

- the FTS5 trigram table (:func:`fts_phrases`). FTS5 folds case by its own tables, which know
  fewer letters than Python's (none added to Unicode after 6.1, no 'İ'); a phrase is asked only of
  the parts of a search no such letter can have produced, so its candidates hold every match;
- :func:`prefilter_chars`: a name whose fold holds an ASCII search holds it in ASCII letters
  (SQLite's ``LIKE`` compares those in any case), or else holds one of the few other letters that
  fold into the search's letters ('İ' into "i", the Kelvin sign into "k", 'Ü' and 'ü' into "ü").
"""

from __future__ import annotations

import functools
from typing import Final

__all__ = ["FOLD_FUNCTION", "fold_text", "fts_phrases", "prefilter_chars", "sql_fold"]

#: The fold's name in SQL, on both backends (not ``lower``: SQLite's own stays as it is).
FOLD_FUNCTION: Final = "imagedesk_fold"

#: Code points below which every letter with a case lies (a test checks Python's tables agree).
CASED_LIMIT: Final = 0x20000

#: More letters than this to look for and :func:`prefilter_chars` gives up (each is a ``instr()``
#: per column and row; a search that long is answered by the trigram table anyway).
PREFILTER_MAX_CHARS: Final = 24


def fold_text(text: str) -> str:
    """``text`` with every letter lower-cased and each final sigma a sigma."""
    return text.lower().replace("ς", "σ")


def sql_fold(value: object) -> object:
    """:func:`fold_text` for SQLite (NULL and non-text values are returned as they are)."""
    return fold_text(value) if isinstance(value, str) else value


@functools.cache
def _cased() -> tuple[str, ...]:
    """The characters the fold changes."""
    return tuple(c for c in map(chr, range(CASED_LIMIT)) if fold_text(c) != c)


@functools.cache
def _folded_from() -> dict[str, frozenset[str]]:
    """character -> the other non-ASCII characters whose fold holds it."""
    found: dict[str, set[str]] = {}
    for c in _cased():
        if not c.isascii():
            for f in fold_text(c):
                found.setdefault(f, set()).add(c)
    return {f: frozenset(cs) for f, cs in found.items()}


def prefilter_chars(folded: str) -> frozenset[str] | None:
    """The non-ASCII characters of which a name must hold one when its fold holds the search
    ``folded`` (already folded) but the name does not hold it in ASCII letters; ``None`` when
    there are more than :data:`PREFILTER_MAX_CHARS` of them (no prefilter then)."""
    chars = {c for c in folded if not c.isascii()}
    for c in set(folded):
        chars |= _folded_from().get(c, frozenset())
    return frozenset(chars) if len(chars) <= PREFILTER_MAX_CHARS else None


@functools.cache
def _fts_unfolded() -> tuple[frozenset[str], tuple[str, ...]] | None:
    """What FTS5's trigram tokenizer folds otherwise than :func:`fold_text` (this SQLite's
    tables), as the folds of those characters: one-character ones, and longer ones ('i̇' for
    'İ'). ``None`` where this SQLite has no FTS5 trigram tokenizer.

    Each character and its fold are indexed, between two control characters, as one trigram:
    they agree when FTS5 made the same trigram of both (some 400 of 1,400 differ, 25 ms)."""
    import sqlite3

    cased = _cased()
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
        conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        conn.executemany(
            "INSERT INTO t(rowid, x) VALUES (?, ?)",
            [(2 * i + k + 1, f"\x01{s}\x02") for i, c in enumerate(cased) for k, s in enumerate((c, fold_text(c)))],
        )
        terms: dict[int, list[str]] = {}
        for term, doc in conn.execute("SELECT term, doc FROM v"):
            terms.setdefault(int(doc), []).append(str(term))
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    differ = [fold_text(c) for i, c in enumerate(cased) if sorted(terms[2 * i + 1]) != sorted(terms[2 * i + 2])]
    return frozenset(f for f in differ if len(f) == 1), tuple(sorted({f for f in differ if len(f) > 1}))


def fts_phrases(folded: str, *, min_chars: int) -> list[str]:
    """The runs of the search ``folded`` (already folded) that FTS5's trigram table may be asked
    for, each of ``min_chars`` or more: a name whose fold holds the search holds each of them as
    FTS5 folds it. Left out: every character that may come from a letter FTS5 folds otherwise
    (the fold of such a letter, or a part of it where the search may meet it, as the last "i" of
    a search, which may be the start of 'İ''s "i̇"). Empty: ask the table nothing."""
    unfolded = _fts_unfolded()
    if unfolded is None:
        return []
    chars, pieces = unfolded
    unsafe = [c in chars for c in folded]
    for piece in pieces:  # every way the piece may lie across the search, cut off at its ends
        for start in range(1 - len(piece), len(folded)):
            lo, hi = max(start, 0), min(start + len(piece), len(folded))
            if folded[lo:hi] == piece[lo - start : hi - start]:
                unsafe[lo:hi] = [True] * (hi - lo)
    runs: list[str] = []
    run = ""
    for c, bad in zip(folded, unsafe):
        if bad:
            runs.append(run)
            run = ""
        else:
            run += c
    runs.append(run)
    return [r for r in runs if len(r) >= min_chars]
