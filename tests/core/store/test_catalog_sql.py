"""The catalogue in SQL (filters, sort, pages, counts, histogram, issue counts) agrees with the
in-memory reference (catalog_frame + filter_catalog) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.services.overview import overview
from core.store.catalog import catalog_frame, filter_catalog, issue_counts
from core.store.database import score_issues, scores
from core.store.queries import (
    CatalogFilter,
    CatalogScope,
    catalog_bins_and_count,
    catalog_count,
    catalog_issue_counts,
    catalog_page,
    catalog_score_bins,
    catalog_status_bins_and_count,
    catalog_status_counts,
    list_images,
    merchant_ids,
)
from core.store.reviews import decide, undo_last
from core.vocabulary import CATALOG_ORDERS

FILTERS = [
    CatalogFilter(),
    CatalogFilter(statuses=("unreviewed",)),
    CatalogFilter(statuses=("approved", "rejected")),
    CatalogFilter(issues=("blurry", "dark")),
    CatalogFilter(issues=("non_white_background",), statuses=("unreviewed", "needs_changes")),
    CatalogFilter(score_min=40, score_max=80),
    CatalogFilter(text="CAT"),
    CatalogFilter(text="%"),  # a LIKE wildcard is a plain character
    CatalogFilter(merchants=("acme-home",), score_max=90),
]


@pytest.fixture()
def decided(seeded):
    """The sample catalogue with some decisions: changed, undone, and by two reviewers."""
    vids = [r["version_id"] for r in catalog_page(seeded, CatalogScope(), limit=100)]
    decide(seeded, version_id=vids[0], reviewer="rita", decision="approved")
    decide(seeded, version_id=vids[1], reviewer="rita", decision="rejected", reasons=["blurry"])
    decide(seeded, version_id=vids[2], reviewer="rita", decision="needs_changes", reasons=["too dark"])
    decide(seeded, version_id=vids[2], reviewer="omar", decision="approved")  # the latest decision wins
    decide(seeded, version_id=vids[3], reviewer="rita", decision="rejected", reasons=["other"])
    undo_last(seeded, "rita")  # back to unreviewed
    return seeded


@pytest.mark.parametrize(
    "scope",
    [CatalogScope(), CatalogScope(merchant_id="acme-home"), CatalogScope(profile="amazon", include_optimized=True)],
    ids=["all", "merchant", "amazon"],
)
def test_sql_catalogue_equals_the_in_memory_reference(decided, scope):
    frame = catalog_frame(
        decided, profile=scope.profile, merchant_id=scope.merchant_id, include_optimized=scope.include_optimized
    )
    for flt in FILTERS:
        _check(decided, scope, flt, filter_catalog(frame, flt))


def _check(decided, scope, flt, ref):  # type: ignore[no-untyped-def]
    assert catalog_count(decided, scope, flt) == len(ref)
    got = catalog_page(decided, scope, flt, limit=1000)
    expected = ref.sort_values(["score", "version_id"], na_position="last")
    assert [r["version_id"] for r in got] == list(expected["version_id"])
    assert [r["status"] for r in got] == list(expected["status"])
    assert [r["issues"] for r in got] == list(expected["issues"])
    assert catalog_issue_counts(decided, scope, flt) == issue_counts(ref).to_dict()
    assert catalog_status_counts(decided, scope, flt) == ref["status"].value_counts().to_dict()
    bins: dict[int, int] = {}
    for s in ref["score"].dropna():
        b = min(int(s // 5) * 5, 95)
        bins[b] = bins.get(b, 0) + 1
    assert catalog_score_bins(decided, scope, flt) == bins
    assert catalog_bins_and_count(decided, scope, flt) == (bins, len(ref))
    assert catalog_status_bins_and_count(decided, scope, flt) == (
        ref["status"].value_counts().to_dict(),
        bins,
        len(ref),
    )


def test_pages_cover_the_catalogue_once_in_order(decided):
    scope = CatalogScope()
    whole = [r["version_id"] for r in catalog_page(decided, scope, limit=1000)]
    paged = [
        r["version_id"] for off in range(0, len(whole), 7) for r in catalog_page(decided, scope, offset=off, limit=7)
    ]
    assert paged == whole and len(set(whole)) == len(whole) > 7


def test_filtered_pages_cover_the_matches_once_in_order(decided):
    """Every filter's pages, of any size, list its matches once each in catalogue order, the last
    page short and past it nothing (the issue, decision and text filters included)."""
    scope = CatalogScope()
    for flt in FILTERS:
        whole = [r["version_id"] for r in catalog_page(decided, scope, flt, limit=1000)]
        assert len(whole) == catalog_count(decided, scope, flt), flt
        for size in (1, 3, 7):
            pages = [
                catalog_page(decided, scope, flt, offset=off, limit=size) for off in range(0, len(whole) + size, size)
            ]
            assert [r["version_id"] for page in pages for r in page] == whole, (flt, size)
            assert pages[-1] == [] and all(len(p) == size for p in pages[: len(whole) // size])


def test_overview_service(decided):
    ov = overview(decided, CatalogScope(), CatalogFilter(statuses=("unreviewed",)), page=99, page_size=4)
    assert ov.total == 20  # every sample image is in scope
    # The counters follow the filter: only unreviewed versions pass it.
    assert ov.shown == sum(ov.status_counts.values()) == ov.status_counts["unreviewed"] == 20 - 3
    whole = overview(decided, CatalogScope())
    assert whole.status_counts["approved"] == 2 and whole.status_counts["rejected"] == 1
    assert ov.page == ov.pages  # clamped to the last page
    assert 0 < len(ov.rows) <= 4 and all(r["status"] == "unreviewed" for r in ov.rows)
    assert sum(ov.score_bins.values()) == ov.shown
    assert ov.merchants == merchant_ids(decided) and "acme-home" in ov.merchants
    mine = overview(decided, CatalogScope(merchant_id="acme-home"))
    assert mine.merchants == ["acme-home"] and mine.total < ov.total


def test_issue_rows_follow_rescoring(decided):
    """score_issues mirrors scores.issues for every score, including after a rescore."""
    from core.engine.profiles import load_profile
    from core.store.scores import rescore_all

    strict = load_profile("generic")
    rescore_all(decided, strict)
    with decided.read() as conn:
        joined = {
            (r.version_id, r.profile): set(filter(None, r.issues.split(";")))
            for r in conn.execute(select(scores.c.version_id, scores.c.profile, scores.c.issues)).all()
        }
        rows: dict[tuple[int, str], set[str]] = {}
        for r in conn.execute(select(score_issues)).all():
            rows.setdefault((r.version_id, r.profile), set()).add(r.issue)
    assert {k: v for k, v in joined.items() if v} == rows


def test_tuned_profiles_live_in_the_database_and_old_files_are_imported(store, tmp_path, monkeypatch, capsys):
    """A second app server (another Store on the same database, another data folder) sees a
    profile saved by the first; profile files saved by older versions are imported once."""
    import dataclasses
    import json

    from core.engine.profiles import ProfileError, load_profile
    from core.store.database import open_store
    from core.store.profiles import all_profile_names, get_profile, save_profile

    tuned = dataclasses.replace(load_profile("generic"), name="house-style", title="House style")
    save_profile(store, tuned, actor="admin")
    other = open_store(tmp_path / "other-server", database_url=store.database_url)
    try:
        assert all_profile_names(other)[-1] == "house-style"
        assert get_profile(other, "house-style").to_dict() == tuned.to_dict()
    finally:
        other.dispose()
    with pytest.raises(ProfileError, match="built-in"):
        save_profile(store, load_profile("amazon"))
    legacy = dataclasses.replace(load_profile("ebay"), name="legacy-file")
    store.profiles_dir.mkdir(parents=True)
    (store.profiles_dir / "legacy-file.json").write_text(json.dumps(legacy.to_dict()))
    again = open_store(store.root, database_url=store.database_url)
    try:
        assert "legacy-file" in all_profile_names(again)
        assert get_profile(again, "legacy-file").checks == legacy.checks
    finally:
        again.dispose()
    # The command line finds a tuned profile in the database too (built-ins never open it).
    from core.cli.main import main
    from tests.conftest import ROOT

    monkeypatch.setenv("IMAGEDESK_DATABASE_URL", store.database_url)
    out = tmp_path / "scores.csv"
    assert (
        main(
            [
                "--data-dir",
                str(store.root),
                "score",
                str(ROOT / "sample_data" / "cat_photo.jpg"),
                "--profile",
                "house-style",
                "--workers",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert ",house-style," in out.read_text(encoding="utf-8")
    assert main(["--data-dir", str(store.root), "profiles"]) == 0
    assert "house-style: House style" in capsys.readouterr().out


def test_unscored_versions_come_last_on_every_page(decided):
    """Versions without a score under the profile (scored before the profile existed) sort after
    every scored one, by id, on whichever page they fall."""
    with decided.write() as conn:
        ids = conn.execute(
            select(scores.c.version_id).where(scores.c.profile == "generic").order_by(scores.c.version_id)
        )
        unscored = list(ids.scalars())[1:7:2]
        for table in (score_issues, scores):
            conn.execute(table.delete().where(table.c.version_id.in_(unscored), table.c.profile == "generic"))
    scope = CatalogScope()
    frame = catalog_frame(decided, profile="generic")
    for flt in FILTERS:
        _check(decided, scope, flt, filter_catalog(frame, flt))
    whole = [r["version_id"] for r in catalog_page(decided, scope, limit=1000)]
    assert whole[-3:] == sorted(unscored) and len(whole) == 20
    for size in (1, 3, 4, 7):
        pages = [catalog_page(decided, scope, offset=off, limit=size) for off in range(0, len(whole) + size, size)]
        assert [r["version_id"] for page in pages for r in page] == whole
    assert catalog_page(decided, scope, offset=len(whole), limit=5) == []


def test_optimized_versions_are_counted_apart_from_the_originals(decided):
    """The unfiltered catalogue of all merchants is counted from the indexes of scores, issues and
    decisions, with the optimized versions taken off when they are out of scope: the numbers equal
    the reference whether they are in scope or not, with and without a score or a decision."""
    from core.engine.loading import load_image
    from core.engine.recipe import Recipe, Step
    from core.store.blobs import read_blob
    from core.store.intake import save_optimized

    originals = [r for r in catalog_page(decided, CatalogScope(), limit=1000)]
    recipe = Recipe((Step("gamma", {"gamma": 0.7}),))
    made = []
    for row in originals[4:7]:
        pixels = recipe.apply(load_image(read_blob(decided, row["blob_path"])).pixels)
        made.append(save_optimized(decided, row["version_id"], pixels, recipe, created_by="bob").version_id)
    decide(decided, version_id=made[0], reviewer="rita", decision="rejected", reasons=["other"])
    decide(decided, version_id=made[1], reviewer="omar", decision="approved")
    with decided.write() as conn:  # one optimized version has no generic score
        for table in (score_issues, scores):
            conn.execute(table.delete().where(table.c.version_id == made[2], table.c.profile == "generic"))
    for scope in (CatalogScope(), CatalogScope(include_optimized=True)):
        frame = catalog_frame(decided, profile="generic", include_optimized=scope.include_optimized)
        assert (frame["kind"] == "optimized").sum() == (3 if scope.include_optimized else 0)
        for flt in FILTERS:
            _check(decided, scope, flt, filter_catalog(frame, flt))
        ov = overview(decided, scope)
        assert ov.total == ov.shown == len(frame)
        assert ov.status_counts == frame["status"].value_counts().to_dict()


def test_the_issue_filter_starts_from_the_index_of_issues(decided):
    """With an issue filter the database reads the matching entries of the issue index and looks
    up only those versions (on SQLite, whose plans can be read), not every version of the
    catalogue with a correlated test each (15 s at 1M images)."""
    from sqlalchemy import event

    if not decided.is_sqlite:
        pytest.skip("query plans read on SQLite")
    seen: list[tuple[str, object]] = []
    event.listen(decided.engine, "before_cursor_execute", lambda *a: seen.append((a[2], a[3])))
    catalog_count(decided, CatalogScope(), CatalogFilter(issues=("blurry", "dark")))
    with decided.read() as conn:
        raw = conn.connection.dbapi_connection
        plan = " / ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {seen[-1][0]}", seen[-1][1]).fetchall())
    assert "ix_score_issues_profile_issue (profile=? AND issue=?)" in plan, plan
    assert "CORRELATED" not in plan, plan


def test_postgresql_joins_the_unreviewed_filter_and_compiles_nothing(decided):
    """On PostgreSQL "unreviewed" is an anti-join with the active decisions, which the planner
    estimates from its statistics (as a per-version lookup IS NULL it guessed 0.5% pass, 80% did,
    and looked up 100,000 candidates one by one: 2.1 s at 1M images); and the store's sessions run
    without JIT compilation (0.1-0.2 s of each filtered count there)."""
    import json

    from sqlalchemy import event

    if decided.is_sqlite:
        pytest.skip("PostgreSQL's plans")
    seen: list[tuple[str, object]] = []
    event.listen(decided.engine, "before_cursor_execute", lambda *a: seen.append((a[2], a[3])))
    catalog_count(decided, CatalogScope(), CatalogFilter(issues=("blurry", "dark"), statuses=("unreviewed",)))
    sql, params = seen[-1]
    with decided.read() as conn:
        assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
        cur = conn.connection.dbapi_connection.cursor()
        cur.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = json.dumps(cur.fetchone()[0])
    assert '"Join Type": "Anti"' in plan and '"Relation Name": "reviews"' in plan, plan


def _reference_order(ref, order, names=None):  # type: ignore[no-untyped-def]
    """The version ids of the in-memory reference ``ref`` in ``order``: by score (the version id
    breaking ties, in the score's direction) with the unscored last by id, or newest (highest id) first."""
    if order == "newest":
        return sorted(ref["version_id"], reverse=True)
    if order == "name":  # the shown name in lower case, then the image, then the version
        named = ref.assign(key=ref["version_id"].map(names).str.lower())
        return list(named.sort_values(["key", "image_id", "version_id"])["version_id"])
    scored = ref[ref["score"].notna()]
    best = order == "highest_score"
    ranked = scored.sort_values(["score", "version_id"], ascending=not best)
    return list(ranked["version_id"]) + sorted(ref[ref["score"].isna()]["version_id"])


@pytest.mark.parametrize("order", CATALOG_ORDERS)
def test_every_order_sorts_the_whole_filtered_catalogue_before_paging(decided, order):
    """Each Overview order sorts every match of a filter (not a page of them): the pages, of any
    size, list the reference's matches once each in that order; unscored versions come last when
    the order is by score."""
    with decided.write() as conn:  # two versions without a generic score
        ids = list(conn.execute(select(scores.c.version_id).where(scores.c.profile == "generic")).scalars())
        for table in (score_issues, scores):
            conn.execute(table.delete().where(table.c.version_id.in_(ids[2:4]), table.c.profile == "generic"))
    names = {r.version_id: r.shown_name for r in list_images(decided, kind=None, with_metrics=False)}
    for scope in (CatalogScope(), CatalogScope(merchant_id="acme-home")):
        frame = catalog_frame(decided, profile="generic", merchant_id=scope.merchant_id)
        for flt in FILTERS:
            expected = _reference_order(filter_catalog(frame, flt), order, names)
            whole = [r["version_id"] for r in catalog_page(decided, scope, flt, limit=1000, order=order)]
            assert whole == expected, (scope, flt)
            for size in (1, 3, 7):
                pages = [
                    catalog_page(decided, scope, flt, offset=off, limit=size, order=order)
                    for off in range(0, len(whole) + size, size)
                ]
                assert [r["version_id"] for page in pages for r in page] == whole, (scope, flt, size)
    best = catalog_page(decided, CatalogScope(), limit=1, order="highest_score")[0]
    assert best["score"] == max(s for s in catalog_frame(decided, profile="generic")["score"].dropna())


def test_an_unknown_order_is_refused_by_name(decided):
    with pytest.raises(ValueError, match="order must be one of lowest_score, highest_score, newest, name"):
        catalog_page(decided, CatalogScope(), order="score")


@pytest.mark.parametrize("order", CATALOG_ORDERS)
def test_every_order_walks_an_index_instead_of_sorting_the_catalogue(decided, order):
    """Unfiltered, each order is read in an index's order and stops at the page (on SQLite, whose
    plans can be read): by score in an index of scores by profile and score (backwards for the best
    first), newest in the versions' primary key backwards. No sort of the whole catalogue (seconds at 1M images)."""
    from sqlalchemy import event

    if not decided.is_sqlite:
        pytest.skip("query plans read on SQLite")
    seen: list[tuple[str, object]] = []
    listen = lambda *a: seen.append((a[2], a[3]))  # noqa: E731
    event.listen(decided.engine, "before_cursor_execute", listen)
    catalog_page(decided, CatalogScope(), offset=0, limit=5, order=order)
    event.remove(decided.engine, "before_cursor_execute", listen)
    with decided.read() as conn:
        raw = conn.connection.dbapi_connection
        sql, params = next((s, p) for s, p in seen if "LIMIT" in s)  # the walk that finds the page's ids
        plan = " / ".join(row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall())
    if order == "name":
        # A page of images walked in the name index, then their originals put back in that
        # order: the one sort is of the page's rows.
        assert plan.startswith("MATERIALIZE") and "SCAN images USING INDEX ix_images_name_order" in plan, plan
        return
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan
    assert ("SEARCH scores USING COVERING INDEX ix_scores_" if order != "newest" else "SCAN versions") in plan, plan


@pytest.mark.parametrize("looked_up", [2000, 0], ids=["copies-first", "in-the-query"])
def test_the_copies_filter_lists_both_merchants_copies_of_a_file(decided, looked_up, monkeypatch):
    """The copies filter ("Also stored by another merchant"): each file stored under two merchants,
    both copies, and nothing else; every order and page, count and chart agrees with the in-memory
    reference, whether the copies are looked up first (few) or found by the query itself (many)."""
    from core.store import database
    from core.store.blobs import read_blob
    from core.store.intake import ingest_files

    monkeypatch.setattr(database, "COPIES_LOOKED_UP", looked_up)

    own = [r for r in list_images(decided, with_metrics=False) if r.merchant_id == "acme-home"][:2]
    ingest_files(decided, [("taken.jpg", read_blob(decided, own[0].blob_path))], merchant_id="copycat")
    ingest_files(decided, [("also-taken.png", read_blob(decided, own[1].blob_path))], merchant_id="other-shop")
    copies = {
        r.version_id for r in list_images(decided, with_metrics=False) if r.merchant_id in ("copycat", "other-shop")
    }
    copies |= {own[0].version_id, own[1].version_id}
    for scope in (CatalogScope(), CatalogScope(merchant_id="copycat"), CatalogScope(include_optimized=True)):
        frame = catalog_frame(
            decided, profile=scope.profile, merchant_id=scope.merchant_id, include_optimized=scope.include_optimized
        )
        for flt in (CatalogFilter(copied=True), CatalogFilter(copied=True, merchants=("acme-home",), score_max=99)):
            ref = filter_catalog(frame, flt)
            _check(decided, scope, flt, ref)
            for order in CATALOG_ORDERS:
                names = {r.version_id: r.shown_name for r in list_images(decided, kind=None, with_metrics=False)}
                got = [r["version_id"] for r in catalog_page(decided, scope, flt, limit=1000, order=order)]
                assert got == _reference_order(ref, order, names), (scope, flt, order)
    everything = {r["version_id"] for r in catalog_page(decided, CatalogScope(), CatalogFilter(copied=True))}
    assert everything == copies and len(copies) == 4
    ov = overview(decided, CatalogScope(), CatalogFilter(copied=True))
    assert ov.filtered and ov.shown == 4 and ov.narrowed_by == ("Also stored by another merchant",)
