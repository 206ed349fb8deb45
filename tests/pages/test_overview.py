from core.store.catalog import CatalogFilter, catalog_frame, filter_catalog
from tests.pages.conftest import ADMIN, MERCHANT, make_app


def _count_line(at) -> str:
    return next(s.value for s in at.subheader if " of " in s.value)


def test_overview_counts_and_issue_filter(db):
    at = make_app(ADMIN)
    assert _count_line(at) == "20 of 20 images"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Images"] == "20" and metrics["Unreviewed"] == "20"
    expected = filter_catalog(catalog_frame(db, profile="generic"), CatalogFilter(issues=["dark"]))
    issue_box = next(m for m in at.multiselect if m.label == "Has issue")
    issue_box.set_value(["dark"]).run()
    assert _count_line(at) == f"{len(expected)} of 20 images" and 0 < len(expected) < 20
    table = at.dataframe[0].value
    assert set(table["file_name"]) == set(expected["file_name"])
    assert all(link == f"./inspect?v={v}" for link, v in zip(table["open"], table["version_id"], strict=True))


def test_overview_score_and_text_filters(db):
    at = make_app(ADMIN)
    at.slider[0].set_value((80, 100)).run()
    frame = catalog_frame(db, profile="generic")
    want = len(frame[(frame.score >= 80) & (frame.score <= 100)])
    assert _count_line(at) == f"{want} of 20 images"
    at.slider[0].set_value((0, 100)).run()
    at.text_input[0].input("CUP-00").run()
    assert _count_line(at) == f"{sum(frame.sku.str.contains('CUP-00'))} of 20 images"


def test_merchant_sees_only_own_images(db):
    at = make_app(MERCHANT)
    own = catalog_frame(db, profile="generic", merchant_id="acme-home")
    assert [t.value for t in at.title] == ["My images"]
    assert _count_line(at) == f"{len(own)} of {len(own)} images"
    assert set(at.dataframe[0].value["merchant_id"]) == {"acme-home"}
    assert not any(m.label == "Merchant" for m in at.multiselect)  # no merchant filter for merchants


def test_overview_pages_through_the_catalogue_in_sql(db):
    """The sample catalogue (20) fits one page (no page control); a status filter is applied in SQL."""
    at = make_app(ADMIN)
    assert not at.number_input  # 20 rows: one page
    status_box = next(m for m in at.multiselect if m.label == "Decision")
    status_box.set_value(["approved"]).run()
    assert _count_line(at) == "0 of 20 images"
