from core.store.catalog import CatalogFilter, catalog_frame, filter_catalog
from tests.pages.conftest import ADMIN, MERCHANT, make_app


def _count_line(at) -> str:
    return next(s.value for s in at.subheader if s.value.startswith(("Image ", "Images ", "No images")))


def test_overview_counts_and_issue_filter(db):
    at = make_app(ADMIN)
    assert _count_line(at) == "Images 1-20 of 20"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Images"] == "20" and metrics["Waiting for review"] == "20"
    expected = filter_catalog(catalog_frame(db, profile="generic"), CatalogFilter(issues=["dark"]))
    issue_box = next(m for m in at.multiselect if m.label == "Has issue")
    issue_box.set_value(["dark"]).run()
    n = len(expected)
    rows = "Image 1" if n == 1 else f"Images 1-{n}"  # one dark photo in the samples: no range of one
    assert _count_line(at) == f"{rows} of {n} matching the filters (20 in all)" and 0 < n < 20
    # The counters follow the filters, like the charts and the table.
    metrics = {m.label: m.value for m in at.metric}
    assert "Images" not in metrics and metrics["Matching images"] == metrics["Waiting for review"] == str(n)
    table = at.dataframe[0].value
    assert set(table["file_name"]) == set(expected["file_name"])
    # Each row's Open cell is text that a click selects (which opens the image), not a link cell.
    assert set(table["open"]) == {"Inspect ›"}
    # Issues and decisions in words, as the filters offer them.
    assert set(table["status"]) == {"Waiting for review"} and all("Too dark" in names for names in table["issues"])
    assert issue_box.format_func("dark") == "Too dark"
    assert next(m for m in at.multiselect if m.label == "Decision").format_func("needs_changes") == "Needs changes"


def test_overview_score_and_text_filters(db):
    at = make_app(ADMIN)
    at.slider[0].set_value((80, 100)).run()
    frame = catalog_frame(db, profile="generic")
    want = len(frame[(frame.score >= 80) & (frame.score <= 100)])
    assert _count_line(at) == f"Images 1-{want} of {want} matching the filters (20 in all)"
    at.slider[0].set_value((0, 100)).run()
    at.text_input[0].input("CUP-00").run()
    cups = sum(frame.sku.str.contains("CUP-00"))
    assert _count_line(at) == f"Images 1-{cups} of {cups} matching the filters (20 in all)"
    # A search for one SKU finds one image: no range of one ("Images 1-1 of 1").
    at.text_input[0].input("CUP-003").run()
    assert sum(frame.sku == "CUP-003") == 1
    assert _count_line(at) == "Image 1 of 1 matching the filters (20 in all)"


def test_merchant_sees_only_own_images(db):
    at = make_app(MERCHANT)
    own = catalog_frame(db, profile="generic", merchant_id="acme-home")
    assert [t.value for t in at.title] == ["My images"]
    assert _count_line(at) == f"Images 1-{len(own)} of {len(own)}"
    assert set(at.dataframe[0].value["merchant_id"]) == {"acme-home"}
    assert not any(m.label == "Merchant" for m in at.multiselect)  # no merchant filter for merchants


def test_overview_pages_through_the_catalogue_in_sql(db):
    """The sample catalogue (20) fits one page (no page control); a status filter is applied in SQL."""
    at = make_app(ADMIN)
    assert not at.number_input  # 20 rows: one page
    status_box = next(m for m in at.multiselect if m.label == "Decision")
    status_box.set_value(["approved"]).run()
    assert [i.value for i in at.info] == [
        'No images match these filters (20 in all). To widen the selection, clear or loosen "Decision".'
    ]


def test_page_two_says_which_images_and_how_many_pages(db, monkeypatch):
    from core.services import overview as service

    monkeypatch.setattr(service.overview, "__kwdefaults__", {"page_size": 8})  # 20 samples: 3 pages
    at = make_app(ADMIN)
    assert _count_line(at) == "Images 1-8 of 20"
    assert "page 1 of 3" in [c.value for c in at.caption]
    next(n for n in at.number_input if n.key == "overview_page").set_value(3).run()
    assert _count_line(at) == "Images 17-20 of 20" and len(at.dataframe[0].value) == 4
    assert "page 3 of 3" in [c.value for c in at.caption]


def test_the_link_to_open_an_image_comes_right_after_its_name(db):
    """Found by a browser probe: 'Inspect' was the last of eleven columns, scrolled out of view at
    1280 px; a merchant's table repeated their shop on every row."""
    at = make_app(ADMIN)
    assert list(at.dataframe[0].proto.column_order)[:4] == ["thumbnail", "file_name", "open", "score"]
    mine = make_app(MERCHANT)
    assert "merchant_id" not in list(mine.dataframe[0].proto.column_order)


def test_sort_by_orders_the_whole_catalogue_and_stays_while_paging(db, monkeypatch):
    """Found by a walkthrough: a header click sorted only the 50 rows of the page (83.3 on top
    while the histogram showed images at 95-100). "Sort by" orders every match in the database;
    it stays while the pages are turned, and a new order starts at its first page."""
    from core.services import overview as service

    monkeypatch.setattr(service.overview, "__kwdefaults__", {"page_size": 8, "order": "lowest_score"})
    frame = catalog_frame(db, profile="generic").sort_values(["score", "version_id"], ascending=False)
    at = make_app(ADMIN)
    sort = next(s for s in at.selectbox if s.label == "Sort by")
    assert sort.options == ["Worst score first", "Best score first", "Newest first", "Name (A-Z)"]
    page = next(n for n in at.number_input if n.key == "overview_page")
    page.set_value(2).run()
    sort = next(s for s in at.selectbox if s.label == "Sort by")
    sort.set_value("highest_score").run()
    assert _count_line(at) == "Images 1-8 of 20"  # back to the top of the new order
    assert list(at.dataframe[0].value["version_id"]) == list(frame["version_id"][:8])
    next(n for n in at.number_input if n.key == "overview_page").set_value(2).run()
    assert _count_line(at) == "Images 9-16 of 20"
    assert list(at.dataframe[0].value["version_id"]) == list(frame["version_id"][8:16])
    assert next(s for s in at.selectbox if s.label == "Sort by").value == "highest_score"
    # By name: the names as shown, whatever their case, across the pages.
    next(s for s in at.selectbox if s.label == "Sort by").set_value("name").run()
    shown = list(at.dataframe[0].value["file_name"])
    next(n for n in at.number_input if n.key == "overview_page").set_value(2).run()
    shown += list(at.dataframe[0].value["file_name"])
    assert shown == sorted(frame["file_name"], key=str.lower)[:16]
    # The table's own header sorting cannot be switched off in Streamlit 1.67: the caption says so.
    assert any("sorts only the rows on this page" in c.value for c in at.caption)


def test_any_change_of_what_is_listed_goes_back_to_the_first_page(db, monkeypatch):
    """Found by a probe of 7,170 images: on page 120, adding the merchant filter "fjord" showed
    "Images 301-309 of 309", page 7 of 7 (under "Worst score first", the merchant's nine best
    images); the page was kept, or cut to the last. Every filter, the search, the profile and the
    optimized versions start again at page 1 (as a new sort did), and so does undoing them."""
    from core.services import overview as service

    monkeypatch.setattr(service.overview, "__kwdefaults__", {"page_size": 2, "order": "lowest_score"})
    at = make_app(ADMIN)

    def control(kind: str, label: str):  # type: ignore[no-untyped-def]
        return next(w for w in getattr(at, kind) if w.label == label)

    def page_box():  # type: ignore[no-untyped-def]
        return next(n for n in at.number_input if n.key == "overview_page")

    # (control, set to, back to, the count line then): each choice leaves 5 images or more, so its
    # page 3 exists and the old page would have stayed.
    changes = [
        ("multiselect", "Merchant", ["acme-home"], [], "of 8 matching"),
        ("multiselect", "Has issue", ["near_duplicate"], [], "of 5 matching"),
        ("multiselect", "Decision", ["unreviewed"], [], "of 20 matching"),
        ("slider", "Score", (60, 100), (0, 100), "matching the filters"),
        ("text_input", "Search file name or SKU", "cup", "", "of 8 matching"),
        ("selectbox", "Marketplace profile", "amazon", "generic", "of 20"),
        ("toggle", "Include optimized versions", True, False, "of 20"),
    ]
    for kind, label, value, back, count in changes:
        for choice, expected in ((value, count), (back, "of 20")):
            page_box().set_value(3).run()
            # Page 3 holds rows 5-6, or row 5 alone when the choice left 5 images.
            assert _count_line(at).startswith(("Images 5-6 ", "Image 5 of 5 ")), (label, _count_line(at))
            control(kind, label).set_value(choice).run()
            line = _count_line(at)
            assert line.startswith("Images 1-2 ") and expected in line and page_box().value == 1, (label, line)


def test_filters_matching_nothing_show_one_empty_state_and_no_charts(db):
    """Found by a walkthrough: merchant other-co and issue "Same photo" gave a green "No issues in
    the selection." and a score histogram whose axis ran from -1 to 1. Here: a merchant with no
    overexposed image."""
    at = make_app(ADMIN)
    next(m for m in at.multiselect if m.label == "Merchant").set_value(["northwind-pets"]).run()
    next(m for m in at.multiselect if m.label == "Has issue").set_value(["overexposed"]).run()
    assert [i.value for i in at.info] == [
        'No images match these filters (20 in all). To widen the selection, clear or loosen "Merchant" and "Has issue".'
    ]
    assert not at.success and not at.metric and not at.dataframe
    assert not at.get("plotly_chart")
    assert any(m.label == "Has issue" for m in at.multiselect)  # the filters stay, to be widened


def test_a_merchant_sees_the_decision_on_a_submitted_fix_without_asking(db):
    """Found by a walkthrough: a fix sent back as "Needs changes" counted only with "Include
    optimized versions" switched on, so a merchant's Overview said 0."""
    import numpy as np

    from core.engine.recipe import Recipe
    from core.store.intake import save_optimized
    from core.store.queries import list_images
    from core.store.reviews import decide

    own = next(r for r in list_images(db) if r.merchant_id == "acme-home")
    fix = save_optimized(db, own.version_id, np.full((64, 64, 3), 200, np.uint8), Recipe(), created_by="mia")
    decide(
        db,
        version_id=fix.version_id,
        reviewer="sam",
        decision="needs_changes",
        reasons=["other"],
        comment="crop closer",
    )
    mine = make_app(MERCHANT)
    assert next(t for t in mine.toggle if t.label == "Include optimized versions").value is True
    assert next(m.value for m in mine.metric if m.label == "Needs changes") == "1"
    staff = make_app(ADMIN)  # reviewers and administrators start with the originals
    assert next(t for t in staff.toggle if t.label == "Include optimized versions").value is False


def test_the_image_count_says_when_the_fixes_in_review_are_left_out(db):
    """Overview counted 30 images where Review had 31 to decide: the saved fix (found in a
    browser walk-through). The count says so while optimized versions are left out."""
    at = make_app(ADMIN)
    count = next(m for m in at.metric if m.label == "Images")
    assert "Originals only" in count.proto.help and "Include optimized versions" in count.proto.help
    next(t for t in at.sidebar.toggle if t.label == "Include optimized versions").set_value(True).run()
    assert not next(m for m in at.metric if m.label == "Images").proto.help


def test_staff_list_the_files_two_merchants_stored_and_merchants_are_not_offered_it(db):
    """A seller's photo copied by another: no check flags it, so staff list such files with a filter
    (both merchants' copies). A merchant is never told what other merchants stored."""
    from core.services.catalog import image_bytes
    from core.store.intake import ingest_files
    from core.store.queries import list_images

    own = next(r for r in list_images(db) if r.merchant_id == "acme-home")
    ingest_files(db, [("copied.jpg", image_bytes(db, own))], merchant_id="copycat")
    at = make_app(ADMIN)
    box = next(c for c in at.checkbox if c.label == "Also stored by another merchant")
    box.check().run()
    assert not at.exception and _count_line(at) == "Images 1-2 of 2 matching the filters (21 in all)"
    table = at.dataframe[0].value
    assert sorted(table["merchant_id"]) == ["acme-home", "copycat"] and own.file_name in set(table["file_name"])
    mine = make_app(MERCHANT)
    assert not mine.exception and not any(c.label == "Also stored by another merchant" for c in mine.checkbox)
