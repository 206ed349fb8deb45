"""The text search's case fold (``core.store.textfold``): what it folds, that SQLite's and
PostgreSQL's SQL fold as Python does, and that the two conditions standing in front of it on SQLite
(FTS5's candidates, the ``LIKE``/``instr()`` prefilter) never leave out a name the fold finds."""

from __future__ import annotations

import sqlite3
import sys

import pytest
from sqlalchemy import select, text

from core.store import database, textfold
from core.store.database import TEXT_SEARCH_COLUMNS, folded, open_store
from core.store.textfold import CASED_LIMIT, fold_text, fts_phrases, prefilter_chars

#: Every character the fold changes, once.
CASED = [c for c in map(chr, range(CASED_LIMIT)) if fold_text(c) != c]

#: A-Z to a-z only, as SQLite's LIKE compares.
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _names(c: str) -> list[str]:
    """Names around ``c``: between ASCII letters, repeated, next to an "i"."""
    return [f"ab{c}cd", f"{c}{c}x", f"i{c}i"]


def _parts(text: str) -> set[str]:
    return {text[i:j] for i in range(len(text)) for j in range(i + 1, len(text) + 1)}


def test_the_fold_lowers_every_letter_and_writes_a_final_sigma_as_a_sigma():
    assert fold_text("ÜBERJACKE Écl") == "überjacke écl"
    assert fold_text("ΟΔΟΣ") == fold_text("ΟΔΟΣΚ")[:4] == "οδοσ"
    assert fold_text("İ") == "i̇" and fold_text("K") == "k"  # the Kelvin sign
    assert fold_text("ᎠᲛ") == "ꭰმ"  # Cherokee and Georgian capitals, younger than SQLite's FTS5 tables
    assert textfold.sql_fold(None) is None and textfold.sql_fold(3) == 3


def test_no_letter_at_or_past_the_limit_has_a_case():
    assert not [hex(i) for i in range(CASED_LIMIT, sys.maxunicode + 1) if fold_text(chr(i)) != chr(i)]


def test_the_fts5_phrases_of_a_search_are_in_every_name_whose_fold_holds_it():
    """For every character the fold changes, in a few names: each part of the folded name (each
    search that finds the name), asked of an FTS5 trigram table as the catalogue asks it, finds
    the name. FTS5 folds some 400 of these characters otherwise (Cherokee, Georgian Mtavruli, 'İ'):
    their folds are left out of the phrases."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
    names = [n for c in CASED for n in _names(c)]
    conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)", enumerate(names, 1))
    asked = missed = 0
    for rowid, name in enumerate(names, 1):
        for part in _parts(fold_text(name)):
            phrases = fts_phrases(part, min_chars=3)
            if phrases:
                asked += 1
                query = " AND ".join('"' + p.replace('"', '""') + '"' for p in phrases)
                found = conn.execute("SELECT 1 FROM t WHERE t MATCH ? AND rowid = ?", (query, rowid)).fetchone()
                missed += found is None
    assert missed == 0 and asked > 5000
    assert fts_phrases("überjacke", min_chars=3) == ["überjacke"]  # letters FTS5 folds alike: one phrase
    assert fts_phrases("i̇stanbul mini", min_chars=3) == ["stanbul min"]  # the last "i" may start 'İ'
    assert fts_phrases("ꭰꭱꭲ vase", min_chars=3) == [" vase"]


def test_the_sqlite_prefilter_holds_every_name_whose_fold_holds_the_search():
    """A name whose fold holds a search holds it in ASCII letters (any case: SQLite's LIKE), when
    the search is ASCII, or else holds one of the characters the prefilter looks for."""
    for c in CASED:
        for name in _names(c):
            for part in _parts(fold_text(name)):
                chars = prefilter_chars(part)
                assert chars is not None, part
                in_ascii = part.isascii() and part in name.translate(ASCII_LOWER)
                assert in_ascii or any(x in name for x in chars), (name, part, sorted(chars))
    assert prefilter_chars("blue mug") == frozenset()  # SQLite's LIKE alone tells
    assert prefilter_chars("mini") == {"İ"} and prefilter_chars("ü") == {"ü", "Ü"}


def test_the_database_folds_as_python_does_and_sqlite_keeps_its_own_lower(store):
    """The SQL function (registered on SQLite; revision 0012's on PostgreSQL, over ICU's lower()
    where the server's own folds A-Z only) folds every character as Python does. SQLite's lower()
    is left as it is (an index or another tool may rely on it)."""
    sample = " ".join(CASED) + " ΟΔΟΣ ΟΔΟΣΚ ὈΔΥΣΣΕΎΣ"
    with store.read() as conn:
        got = conn.execute(select(folded(sample))).scalar_one()
        if store.is_sqlite:
            assert conn.exec_driver_sql("SELECT lower('ÜBER')").scalar_one() == "Über"
    differ = [(a, b) for a, b in zip(got.split(" "), fold_text(sample).split(" ")) if a != b]
    assert not differ and len(got) == len(fold_text(sample))


def _trigram_indexes(store) -> list[str]:  # type: ignore[no-untyped-def]
    names = [f"ix_images_{c}_trgm" for c in TEXT_SEARCH_COLUMNS]
    sql = text("SELECT indexdef FROM pg_indexes WHERE indexname = ANY(:n)")
    with store.read() as conn:
        return list(conn.execute(sql, {"n": names}).scalars())


def test_revision_0012_builds_postgresqls_trigram_indexes_again_on_the_fold(store):
    """A database at revision 0011 (indexes on lower(), which folds A-Z only in the C locale) gets
    them built again on the fold, under the same names."""
    from tests.core.store.old_schema import ADDED_BY

    if store.is_sqlite:
        pytest.skip("PostgreSQL's indexes (SQLite's revision 0012 makes nothing)")
    assert [d for d in _trigram_indexes(store) if f"{textfold.FOLD_FUNCTION}(" in d] and len(
        _trigram_indexes(store)
    ) == 3
    with store.write() as conn:  # back to revision 0011
        for sql in ADDED_BY[12]["postgresql"]:
            conn.exec_driver_sql(sql)
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0011'")
        conn.execute(database.schema_info.delete().where(database.schema_info.c.version > 11))
    assert all("lower(" in d and textfold.FOLD_FUNCTION not in d for d in _trigram_indexes(store))
    store.dispose()
    again = open_store(store.root, database_url=store.database_url)
    try:
        defs = _trigram_indexes(again)
        assert len(defs) == 3 and all(f"{textfold.FOLD_FUNCTION}(" in d for d in defs), defs
        assert again.schema_version() == database.SCHEMA_VERSION
    finally:
        again.dispose()
