"""The Overview's text search from a trigram index (revision 0011: pg_trgm on PostgreSQL, an FTS5
table on SQLite) finds exactly what the scan (``folded(column) LIKE '%text%'``) finds: any case of
any letter (revision 0012), ``%``, ``_``, quotes and the escape character taken literally, searches
shorter than a trigram, and after images are added, renamed and removed; on SQLite and on
PostgreSQL."""

from __future__ import annotations

import warnings

import pytest
from sqlalchemy import func, insert, select

from core.store import database, queries, textfold
from core.store.catalog import catalog_frame, filter_catalog
from core.store.database import images, open_store, scores, versions
from core.store.queries import (
    CatalogFilter,
    CatalogScope,
    catalog_count,
    catalog_page,
    catalog_status_counts,
)

#: (name as given, SKU) of the images each test adds to the sample catalogue.
NAMES = [
    ("Blue Mug.JPG", "MUG-001"),
    ("blue_mug_2.jpg", "mug-002"),
    ("50% off banner.png", "SALE_50"),
    ("500 offers.png", "SALE-500"),
    ("O'Brien's chair.jpg", "CH'1"),
    ('Lamp "desk".png', "LAMP/1"),
    ("back\\slash.jpg", "BS\\1"),
    ("under_score.jpg", "U_S"),
    ("underXscore.jpg", "UXS"),
    ("Crème brûlée.jpg", "CRÈME-1"),
    ("CRÈME BRÛLÉE.jpg", "creme-2"),
    ("ÉCLAIR.jpg", "éclair-3"),
    ("Überjacke 1.jpg", "ÜJ-1"),
    ("überjacke klein.png", "uj-2"),
    ("ΟΔΟΣ ΣΤΟΛΗ.jpg", "ΣΤ-1"),  # final and inner sigmas
    ("İSTANBUL MİNİ.jpg", "IST-1"),  # 'İ' folds to two characters, "i̇"
    ("ᎠᎡᎢ vase.jpg", "ᏣᎳᎩ-1"),  # Cherokee capitals: letters SQLite's FTS5 does not fold
    ("ᲛᲐᲦᲐᲖᲘᲐ.jpg", "GE-1"),  # Georgian Mtavruli, the same
    ("K-Kelvin.jpg", "KK-1"),  # the Kelvin sign, which folds to an ASCII "k"
]

#: Searches: ASCII in any case, LIKE's wildcards and escape, quotes, non-ASCII letters in any case
#: (including ones SQLite's FTS5 folds otherwise than the search: its candidates must still hold
#: every match), a search shorter than a trigram, one across the name's parts, one of spaces, one
#: matching nothing.
SEARCHES = [
    "blue mug",
    "BLUE",
    "mug-00",
    "mug",
    "50%",
    "% o",
    "_s",
    "r_s",
    "under_",
    "'",
    "o'brien's",
    "ch'1",
    '"desk"',
    'p "d',
    "/1",
    "\\",
    "k\\s",
    "crème",
    "CRÈME",
    "brûlée",
    "écl",
    "éclair",
    "ÉCL",
    "Überjacke",
    "überjacke",
    "ÜBERJACKE",
    "Ü",
    "üj-",
    "οδος",
    "ΟΔΟΣ ΣΤ",
    "οδοσ σ",
    "στολη",
    "i̇stanbul",
    "İstanbul",
    "stanbul",
    "mi̇ni̇",
    "MİNİ",
    "mi",
    "ꭰꭱꭲ",
    "ᎠᎡᎢ V",
    "ꮳꮃꭹ",
    "მაღაზია",
    "kk-",
    "-kelvin",
    "mu",
    "u",
    "%",
    "cat",
    "_photo",
    "   ",
    "no such image anywhere",
]


ALL = CatalogScope()


def _add_image(store, name: str, sku: str) -> int:  # type: ignore[no-untyped-def]
    """A copy of the first sample image (its version and generic score too) named ``name``; its
    version id."""
    with store.write() as conn:
        image = dict(conn.execute(select(images).order_by(images.c.id).limit(1)).mappings().one())
        version = dict(
            conn.execute(select(versions).where(versions.c.image_id == image["id"]).order_by(versions.c.id).limit(1))
            .mappings()
            .one()
        )
        score = dict(
            conn.execute(select(scores).where(scores.c.version_id == version["id"], scores.c.profile == "generic"))
            .mappings()
            .one()
        )
        n = int(conn.execute(select(func.count()).select_from(images)).scalar_one())
        sha = f"{n:064x}"
        image_id = database.inserted_id(
            conn.execute(
                insert(images).values(
                    {**{k: v for k, v in image.items() if k != "id"}, "sha256": sha, "file_name": name, "sku": sku}
                    | {"display_name": name}
                )
            )
        )
        version_id = database.inserted_id(
            conn.execute(
                insert(versions).values(
                    {**{k: v for k, v in version.items() if k != "id"}, "image_id": image_id, "sha256": sha}
                )
            )
        )
        conn.execute(insert(scores).values({**{k: v for k, v in score.items() if k != "id"}, "version_id": version_id}))
    return version_id


def _found(store, text: str, *, scope: CatalogScope = ALL) -> list[int]:  # type: ignore[no-untyped-def]
    flt = CatalogFilter(text=text)
    got = [r["version_id"] for r in catalog_page(store, scope, flt, limit=1000)]
    assert catalog_count(store, scope, flt) == len(got)
    return got


def _scanned(store, text: str, monkeypatch, *, scope: CatalogScope = ALL) -> list[int]:  # type: ignore[no-untyped-def]
    """What the search found before revision 0011: the LIKE alone, no index asked."""
    with monkeypatch.context() as m:
        m.setattr(queries, "_text_index", lambda store, flt: False)
        return _found(store, text, scope=scope)


@pytest.fixture()
def named(seeded):
    for name, sku in NAMES:
        _add_image(seeded, name, sku)
    return seeded


def test_a_search_finds_what_the_scan_found(named, monkeypatch):
    for text in SEARCHES:
        for scope in (CatalogScope(), CatalogScope(merchant_id="acme-home"), CatalogScope(include_optimized=True)):
            assert _found(named, text, scope=scope) == _scanned(named, text, monkeypatch, scope=scope), (text, scope)


def test_a_search_is_case_insensitive_and_takes_wildcards_and_quotes_literally(named):
    def names(text: str) -> set[str]:
        rows = catalog_page(named, CatalogScope(), CatalogFilter(text=text), limit=1000)
        return {r["file_name"] for r in rows}

    assert names("BLUE mug") == {"Blue Mug.JPG"}
    assert names("mug-00") == {"Blue Mug.JPG", "blue_mug_2.jpg"}  # the SKU, in either case
    assert names("50%") == {"50% off banner.png"}  # not "500 offers": % is no wildcard
    assert names("under_") == {"under_score.jpg"}  # _ is no wildcard either
    assert names("o'brien's") == {"O'Brien's chair.jpg"}
    assert names('p "d') == {'Lamp "desk".png'}
    assert names("/1") == {'Lamp "desk".png'}  # the LIKE's escape character, literally
    assert names("k\\s") == {"back\\slash.jpg"}
    # Every letter, in any case (SQLite's lower() and a PostgreSQL in the C locale's fold A-Z only).
    assert names("crème") == {"Crème brûlée.jpg", "CRÈME BRÛLÉE.jpg"} and names("ÉCL") == {"ÉCLAIR.jpg"}
    assert names("no such image anywhere") == set()
    assert "Blue Mug.JPG" in names("mu")  # shorter than a trigram: the scan answers


def test_a_search_folds_the_case_of_every_letter(named):
    """A name with an accented capital is found by itself, by its lower case and by a part of it
    (a search for "Überjacke" found no "Überjacke 1.jpg" on SQLite, whose lower() folds A-Z only,
    nor on PostgreSQL in the C locale), as are Greek, Turkish, Cherokee and Georgian capitals; on
    both backends, from the trigram indexes and without them."""

    def names(text: str) -> set[str]:
        return {r["file_name"] for r in catalog_page(named, CatalogScope(), CatalogFilter(text=text), limit=1000)}

    jackets = {"Überjacke 1.jpg", "überjacke klein.png"}
    for text in ("Überjacke", "überjacke", "ÜBERJACKE", "üBERJACKE", "berjacke"):
        assert names(text) == jackets, text
    assert names("Ü") == jackets and names("üj-") == {"Überjacke 1.jpg"}  # the SKU "ÜJ-1"
    assert names("éclair") == {"ÉCLAIR.jpg"} and names("brûlée") == {"Crème brûlée.jpg", "CRÈME BRÛLÉE.jpg"}
    greek = {"ΟΔΟΣ ΣΤΟΛΗ.jpg"}  # a final sigma is a sigma: "οδος" and "οδοσ" alike, at any place
    assert names("οδος") == names("οδοσ") == names("ΟΔΟΣ ΣΤ") == names("δοσ σ") == names("στολη") == greek
    assert names("i̇stanbul") == names("İstanbul") == names("mi̇ni̇") == {"İSTANBUL MİNİ.jpg"}
    assert names("ꭰꭱꭲ") == names("ᎠᎡᎢ") == names("ꮳꮃꭹ") == {"ᎠᎡᎢ vase.jpg"}
    assert names("მაღაზია") == names("ᲛᲐᲦᲐᲖᲘᲐ") == {"ᲛᲐᲦᲐᲖᲘᲐ.jpg"}
    assert names("k-kelvin") == {"K-Kelvin.jpg"} and names("kk-1") == {"K-Kelvin.jpg"}
    flt = CatalogFilter(text="überjacke")
    assert catalog_count(named, ALL, flt) == 2 and catalog_status_counts(named, ALL, flt) == {"unreviewed": 2}


def test_on_sqlite_only_names_that_may_hold_the_search_are_folded_in_python(named, monkeypatch):
    """The fold is a Python function on SQLite (three times SQLite's lower() over a million names):
    an ASCII search is decided by SQLite's LIKE, which compares ASCII letters in any case, and only
    names holding a letter that folds into the search's letters ('İ' into "i", 'Ü' into "ü") are
    folded; the FTS5 table's candidates first, for searches it answers."""
    if not named.is_sqlite:
        pytest.skip("PostgreSQL folds in SQL")
    folded_names: list[str] = []

    def counting(value: object) -> object:
        folded_names.append(str(value))
        return textfold.sql_fold(value)

    monkeypatch.setattr(database, "sql_fold", counting)
    named.engine.dispose()  # new connections, with the counting function

    def folds(text: str, *, index: bool) -> set[str]:
        folded_names.clear()
        with monkeypatch.context() as m:
            if not index:
                m.setattr(queries, "_text_index", lambda store, flt: False)
            _found(named, text)
        return {n for n in folded_names if n != textfold.fold_text(text)}  # the names, not the search

    for index in (True, False):
        assert folds("blue mug", index=index) == folds("mu", index=index) == set()
        assert folds("mini", index=index) <= {"İSTANBUL MİNİ.jpg"}
        assert folds("überjacke", index=index) <= {"Überjacke 1.jpg", "überjacke klein.png", "ÜJ-1"}
    assert _found(named, "MİNİ") == _found(named, "mi̇ni̇") != [] == _found(named, "mini")  # "İ" folds to "i̇"


def test_the_sql_search_agrees_with_the_in_memory_reference(named):
    """The catalogue table in memory (folded by Python) agrees too."""
    frame = catalog_frame(named, profile="generic")
    for text in SEARCHES:
        ref = filter_catalog(frame, CatalogFilter(text=text)).sort_values(["score", "version_id"])
        assert _found(named, text) == list(ref["version_id"]), text


def test_a_search_holding_a_nul_finds_nothing(named):
    """No name or SKU holds a NUL (names drop it, SKUs refuse it): a search holding one (sent by a
    crafted client) matches nothing, on both backends. SQLite's LIKE ended its pattern at the NUL
    and matched every image; PostgreSQL refused the query (psycopg's DataError)."""
    from core.services.catalog import picker_list
    from core.services.overview import overview

    for text in ("\x00", "blue\x00", "\x00mug", "mu\x00g"):
        assert _found(named, text) == [], repr(text)
        assert _found(named, text, scope=CatalogScope(merchant_id="acme-home", include_optimized=True)) == []
        assert overview(named, ALL, CatalogFilter(text=text)).shown == 0
        listed = picker_list(named, profile="generic", merchant_id="acme-home", search=text)
        assert listed.picks == [] and listed.matches == 0, repr(text)


def test_a_search_follows_images_added_renamed_and_removed(named, monkeypatch):
    added = _add_image(named, "Walnut tray.jpg", "TRAY-9")
    assert _found(named, "walnut") == [added]
    with named.write() as conn:  # renamed: found by its new name, not by the old one
        conn.execute(
            images.update()
            .where(images.c.id == select(versions.c.image_id).where(versions.c.id == added).scalar_subquery())
            .values(file_name="oak_tray.jpg", display_name="Oak tray.jpg", sku="TRAY-10")
        )
    assert _found(named, "walnut") == [] and _found(named, "oak tray") == [added] == _found(named, "tray-10")
    with named.write() as conn:  # removed (the last image: SQLite may give its id to the next one)
        image_id = conn.execute(select(versions.c.image_id).where(versions.c.id == added)).scalar_one()
        conn.execute(scores.delete().where(scores.c.version_id == added))
        conn.execute(versions.delete().where(versions.c.id == added))
        conn.execute(images.delete().where(images.c.id == image_id))
    assert _found(named, "oak tray") == []
    again = _add_image(named, "Cherry box.jpg", "BOX-1")
    assert _found(named, "oak tray") == [] and _found(named, "cherry box") == [again]
    for text in ("tray", "box", "cherry", "oak"):
        assert _found(named, text) == _scanned(named, text, monkeypatch)
    if named.is_sqlite:  # the FTS5 table agrees with its content table, entry by entry
        with named.write() as conn:
            conn.exec_driver_sql(
                f"INSERT INTO {database.IMAGES_FTS}({database.IMAGES_FTS}, rank) VALUES ('integrity-check', 1)"
            )


def _search_plans(store, run) -> list[str]:  # type: ignore[no-untyped-def]
    """The SQLite query plans of the searches (the SELECTs with a LIKE) ``run()`` makes."""
    from sqlalchemy import event

    seen: list[tuple[str, object]] = []

    def listen(*a: object) -> None:
        seen.append((a[2], a[3]))  # type: ignore[arg-type]

    event.listen(store.engine, "before_cursor_execute", listen)
    try:
        run()
    finally:
        event.remove(store.engine, "before_cursor_execute", listen)
    with store.read() as conn:
        raw = conn.connection.dbapi_connection
        return [
            " / ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
            for sql, params in seen
            if sql.lstrip().upper().startswith("SELECT") and " LIKE " in sql
        ]


def test_a_search_starts_from_the_trigram_index(named):
    """Every Overview query of a search of 3 characters or more (the counters and histogram, the
    issue counts, the page) starts from the FTS5 table and looks up the matching images' versions
    (on SQLite, whose plans can be read): no scan of the images or the versions (3.7 s at 1M
    images). Shorter searches keep the scan."""
    from core.services.overview import overview

    if not named.is_sqlite:
        pytest.skip("query plans read on SQLite")
    plans = _search_plans(named, lambda: overview(named, ALL, CatalogFilter(text="blue mug")))
    assert len(plans) == 3
    for plan in plans:
        assert f"SCAN {database.IMAGES_FTS} VIRTUAL TABLE" in plan, plan
        assert "SCAN versions " not in f"{plan} " and "SCAN images " not in f"{plan} ", plan
    short = _search_plans(named, lambda: overview(named, ALL, CatalogFilter(text="mu")))
    assert len(short) == 3 and not any(database.IMAGES_FTS in p for p in short)


def test_postgresql_answers_a_search_from_the_trigram_indexes(named):
    """On PostgreSQL the catalogue's own condition (``lower(column) LIKE '%text%' ESCAPE '/'`` on
    each column) is what the pg_trgm indexes answer: a bitmap scan of the three. (Over the 32
    images here the planner rightly prefers reading them, so sequential scans are made dear, as a
    million images make them.)"""
    from core.store.queries import _catalog_where, _latest_decision

    if named.is_sqlite:
        pytest.skip("PostgreSQL's plans (SQLite's are pinned above)")
    for text in ("blue mug", "50%", "o'brien", "under_"):
        condition = _catalog_where(ALL, CatalogFilter(text=text), _latest_decision())[-1]
        with named.read() as conn:
            compiled = select(images.c.id).where(condition).compile(dialect=conn.dialect)
            cur = conn.connection.dbapi_connection.cursor()
            cur.execute("SET enable_seqscan = off")
            cur.execute(f"EXPLAIN {compiled}", compiled.params)
            plan = "\n".join(r[0] for r in cur.fetchall())
        for column in database.TEXT_SEARCH_COLUMNS:
            assert f"Bitmap Index Scan on ix_images_{column}_trgm" in plan, plan


@pytest.mark.parametrize("missing", ["extension", "tokenizer"])
def test_without_trigrams_the_revision_makes_nothing_and_search_scans(tmp_path, database_url, monkeypatch, missing):
    """Where pg_trgm (PostgreSQL) or FTS5's trigram tokenizer (SQLite) is missing, revision 0011
    still succeeds, with a warning, and the search reads every image as before."""
    if (missing == "extension") == (database_url is None):
        pytest.skip("the other backend's")
    monkeypatch.setattr(database, "PG_TRIGRAM_EXTENSION", "no_such_extension")
    monkeypatch.setattr(database, "SQLITE_TRIGRAM_TOKENIZER", "no_such_tokenizer")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        store = open_store(tmp_path / "data", database_url=database_url)
    try:
        assert any("no text search index" in str(w.message) for w in caught)
        assert store.schema_version() == database.SCHEMA_VERSION
        with store.read() as conn:
            assert not database.has_text_index(conn)
        from core.store.samples import seed_samples

        seed_samples(store)
        _add_image(store, "Blue Mug.JPG", "MUG-001")
        assert len(_found(store, "blue mug")) == 1 and len(_found(store, "mug")) == 1
        assert _found(store, "cat") == _scanned(store, "cat", monkeypatch)
    finally:
        store.dispose()


def test_a_populated_database_gets_the_index_of_the_images_it_has(tmp_path, database_url, monkeypatch):
    """Revision 0011 indexes the images a database already holds (SQLite's FTS5 table is rebuilt
    from them; PostgreSQL's indexes are built over them)."""
    from tests.core.store.old_schema import ADDED_BY

    store = open_store(tmp_path / "data", database_url=database_url)
    from core.store.samples import seed_samples

    seed_samples(store)
    before = {t: _found(store, t) for t in ("cat", "print", "mug-")}
    with store.write() as conn:  # back to revision 0010, as a database written then
        for sql in (*ADDED_BY[12].get(conn.dialect.name, []), *ADDED_BY[11].get(conn.dialect.name, [])):
            conn.exec_driver_sql(sql)
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0010'")
        conn.execute(database.schema_info.delete().where(database.schema_info.c.version > 10))
        assert not database.has_text_index(conn)
    _add_image(store, "Blue Mug.JPG", "MUG-001")  # written while there was no index
    _add_image(store, "Überjacke 1.jpg", "ÜJ-1")
    store.dispose()
    store = open_store(tmp_path / "data", database_url=database_url)
    try:
        with store.read() as conn:
            assert database.has_text_index(conn)
        assert len(_found(store, "blue mug")) == 1 and len(_found(store, "überjacke")) == 1
        assert {t: _found(store, t) for t in ("cat", "print")} == {t: before[t] for t in ("cat", "print")}
        if store.is_sqlite:
            with store.write() as conn:
                conn.exec_driver_sql(
                    f"INSERT INTO {database.IMAGES_FTS}({database.IMAGES_FTS}, rank) VALUES ('integrity-check', 1)"
                )
    finally:
        store.dispose()
