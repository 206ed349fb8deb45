"""The Overview's numbers (core.services.overview): counted in the database, every status listed."""

from core.services.overview import COLUMNS, REVIEW_STATUSES, CatalogFilter, CatalogScope, overview
from core.services.review import record_decision
from core.store.queries import list_images


def test_every_review_status_is_counted_in_order(seeded):
    ov = overview(seeded, CatalogScope(profile="generic"))
    assert list(ov.review_status) == list(REVIEW_STATUSES) == ["unreviewed", "approved", "rejected", "needs_changes"]
    assert ov.review_status == {"unreviewed": 20, "approved": 0, "rejected": 0, "needs_changes": 0}
    first, second = list_images(seeded)[:2]
    record_decision(seeded, version_id=first.version_id, reviewer="rita", decision="approved")
    record_decision(seeded, version_id=second.version_id, reviewer="rita", decision="needs_changes", reasons=["other"])
    ov = overview(seeded, CatalogScope(profile="generic"))
    assert ov.review_status == {"unreviewed": 18, "approved": 1, "rejected": 0, "needs_changes": 1}


def test_the_counters_follow_the_filters_and_the_heading_gives_the_total(seeded):
    first, second = list_images(seeded)[:2]
    record_decision(seeded, version_id=first.version_id, reviewer="rita", decision="approved")
    record_decision(seeded, version_id=second.version_id, reviewer="rita", decision="needs_changes", reasons=["other"])
    ov = overview(seeded, CatalogScope(profile="generic"), CatalogFilter(statuses=["approved", "needs_changes"]))
    assert ov.review_status == {"unreviewed": 0, "approved": 1, "rejected": 0, "needs_changes": 1}
    assert ov.total == 20 and ov.shown == 2 and sum(ov.score_bins.values()) == 2
    assert ov.count_label == "Matching images"
    assert ov.heading == "Images 1-2 of 2 matching the filters (20 in all)"
    merchant = first.merchant_id
    ov = overview(seeded, CatalogScope(profile="generic"), CatalogFilter(merchants=[merchant]))
    assert sum(ov.review_status.values()) == ov.shown == sum(r.merchant_id == merchant for r in list_images(seeded))
    # An empty page-state filter (lists, the full score range, blank text) filters nothing.
    ov = overview(seeded, CatalogScope(profile="generic"), CatalogFilter(merchants=[], text=" "))
    assert (ov.filtered, ov.count_label, ov.heading) == (False, "Images", "Images 1-20 of 20")
    ov = overview(seeded, CatalogScope(profile="generic"), CatalogFilter(statuses=["rejected"]))
    assert ov.heading == "No images match the filters (20 in all)" and sum(ov.review_status.values()) == 0


def test_the_heading_and_the_page_note_say_which_rows_are_shown(seeded):
    ov = overview(seeded, CatalogScope(profile="generic"), page=3, page_size=8)
    assert (ov.heading, ov.page_note, len(ov.rows)) == ("Images 17-20 of 20", "page 3 of 3", 4)
    ov = overview(seeded, CatalogScope(profile="generic"), page=1, page_size=8)
    assert (ov.heading, ov.page_note) == ("Images 1-8 of 20", "page 1 of 3")


def test_the_table_opens_with_the_link_and_a_merchant_has_no_merchant_column():
    """Found by a browser probe: the link to open an image was the last of eleven columns, out of
    view at 1280 px; a merchant's table repeated their own shop on every row."""
    from core.services.overview import table_columns

    staff = table_columns(merchant_view=False)
    assert staff[:4] == ["thumbnail", "file_name", "open", "score"] and "merchant_id" in staff
    mine = table_columns(merchant_view=True)
    assert "merchant_id" not in mine and mine[:3] == ["thumbnail", "file_name", "open"]
    assert set(staff) - {"thumbnail", "open"} <= set(COLUMNS)
    # With optimized versions listed, which version a row is sits beside its name, once.
    versions = table_columns(merchant_view=False, with_versions=True)
    assert versions[:4] == ["thumbnail", "file_name", "kind", "open"] and versions.count("kind") == 1
    assert sorted(versions) == sorted(staff)
