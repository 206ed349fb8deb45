import re

from core.store.queries import list_images
from pages.common.text import plain
from tests.pages.conftest import ADMIN, MERCHANT, make_app, texts


def test_inspect_deep_link_shows_that_image(db):
    rec = next(r for r in list_images(db) if r.file_name == "cup_underexposed.jpg")
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(rec.version_id)})
    # The page's title, and the name on a line of its own (an h1 of it broke mid-word at 390 px).
    assert [t.value for t in at.title] == ["Inspect"]
    assert [t.value for t in at.subheader] == [plain("cup_underexposed.jpg")]  # shown as plain text
    body = texts(at)
    assert "dark" in body and "too dark" in body
    metrics_table = at.dataframe[0].value
    assert {"ERROR", "warning"} & set(metrics_table["status"])
    # What fails comes first, then warnings, passes and the measures no rule reads.
    rank = {"ERROR": 0, "warning": 1, "pass": 2, "": 3}
    assert [rank[x] for x in metrics_table["status"]] == sorted(rank[x] for x in metrics_table["status"])
    assert metrics_table["status"].iloc[0] == "ERROR"
    assert set(metrics_table["name"]) >= {"sharpness", "noise_sigma", "brightness", "background_white"}
    # Each measure under the words the checks' messages use, its check under the issue's label.
    row = metrics_table.set_index("name").loc["noise_sigma"]
    assert (row["measure"], row["check"]) == ("noise", "Grainy")
    assert metrics_table.set_index("name").loc["width", "check"] == ""  # no check reads the width
    meanings = next(e for e in at.expander if e.label == "What each measure means")
    sharpness = next(m.value for m in meanings.markdown).split("\n")
    assert any(line.startswith("- **sharpness** (`sharpness`): ") and line.endswith("ramps") for line in sharpness)
    # The grid shows each meaning's first clause, never a sentence cut where the cell ends.
    from core.engine.checks import METRIC_INFO

    for name, shown in metrics_table.set_index("name")["meaning"].items():
        full = METRIC_INFO[name][1]
        assert shown == full or (shown.endswith(" …") and full.startswith(shown[:-2]) and len(shown) <= 122), name
    assert metrics_table.set_index("name").loc["color_cast", "meaning"] == "Tint of the plain backdrop …"
    market = at.dataframe[1].value
    assert len(market) == 6  # one row per marketplace profile
    assert "rules" not in market.columns  # a paragraph each: under the table, one expander per profile
    assert [e.label for e in at.expander if e.label.endswith("its rules")][:2] == [
        "Generic web shop: its rules",
        "Amazon \\(main image\\): its rules",
    ]


def test_a_link_that_names_a_profile_judges_under_it(db):
    """A link may name the profile (a shared or bookmarked address opens a new session): it is
    taken, or the page would fall back to generic and show another score. The picker names
    profiles by their titles."""
    rec = next(r for r in list_images(db) if r.file_name == "cup_underexposed.jpg")
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(rec.version_id), "profile": "amazon"})
    assert next(s for s in at.selectbox if s.label == "Marketplace profile").value == "amazon"
    picker = next(s for s in at.selectbox if s.label == "Marketplace profile")
    assert picker.format_func("amazon") == "Amazon (main image)" and picker.format_func("my-tuned") == "my-tuned"
    assert "Background not white" in texts(at)
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(rec.version_id)})
    assert next(s for s in at.selectbox if s.label == "Marketplace profile").value == "generic"
    assert "Background not white" not in texts(at)


def test_a_too_small_image_is_not_told_to_resize(db):
    """Enlarging adds no detail (the enlarged copy is then flagged blurry): the advice is to upload
    the original, and no operation is suggested."""
    rec = next(r for r in list_images(db) if r.file_name == "astronaut_portrait.png")
    body = texts(make_app(ADMIN, "pages/inspect.py", {"v": str(rec.version_id)}))
    line = next(t for t in body.split("\n") if "too small" in t)
    assert "Upload the original photo" in line and "Suggested fix" not in line


def test_points_lost_on_checks_that_did_not_fire_are_explained(db):
    from core.services.catalog import findings

    note = "Checks that are not flagged can cost points too"
    seen = set()
    for rec in list_images(db):
        issues, contributions = findings(db, rec.version_id, profile="generic")
        soft = any(p >= 0.05 and n not in {i.name for i in issues} for n, p in contributions.items())
        if soft in seen:
            continue
        seen.add(soft)
        assert (note in texts(make_app(ADMIN, "pages/inspect.py", {"v": str(rec.version_id)}))) == soft
    assert seen == {True, False}


def test_merchant_cannot_open_another_merchants_image_by_url(db):
    other = next(r for r in list_images(db) if r.merchant_id != "acme-home")
    at = make_app(MERCHANT, "pages/inspect.py", {"v": str(other.version_id)})
    assert "There is no image with that link that you can open." in texts(at)
    # The page's own title and nothing of the image (its name is the subheader).
    assert [t.value for t in at.title] == ["Inspect"] and not at.subheader and not at.dataframe
    own = next(r for r in list_images(db) if r.merchant_id == "acme-home")
    at = make_app(MERCHANT, "pages/inspect.py", {"v": str(own.version_id)})
    assert [t.value for t in at.subheader] == [plain(own.file_name)]
    # and the image picker offers only the merchant's own images
    picker = next(s for s in at.selectbox if s.label == "Image")
    own = list_images(db, merchant_id="acme-home", kind=None)
    assert sorted(picker.options) == sorted(f"{r.file_name} · {r.kind} · #{r.version_id}" for r in own)


def test_bad_and_unknown_links(db):
    for v in ("not-a-number", "99999", "-1", "0", "99999999999999999999999"):  # the last overflowed the database
        at = make_app(ADMIN, "pages/inspect.py", {"v": v})
        assert "There is no image with that link" in texts(at)
        assert [t.value for t in at.title] == ["Inspect"] and not at.subheader
    # ...with a way on: picking an image opens it.
    picker = next(s for s in at.selectbox if s.label == "Image")
    assert picker.value is None
    first = picker.options[0]
    picker.select_index(0).run()
    assert [t.value for t in at.subheader] == [plain(first.split(" · ")[0])]


def test_merchant_cannot_optimize_another_merchants_image(db):
    other = next(r for r in list_images(db) if r.merchant_id != "acme-home")
    at = make_app(MERCHANT, "pages/optimize.py", {"v": str(other.version_id)})
    assert "There is no image with that link that you can open." in texts(at)


def test_merchant_sees_decisions_on_own_image_without_reviewer_names(db):
    from core.store.reviews import decide

    own = next(r for r in list_images(db) if r.merchant_id == "acme-home")
    decide(
        db,
        version_id=own.version_id,
        reviewer="rita",
        decision="needs_changes",
        reasons=["too dark"],
        comment="Please brighten",
    )
    at = make_app(MERCHANT, "pages/inspect.py", {"v": str(own.version_id)})
    table = next(d.value for d in at.dataframe if "decision" in d.value.columns)
    assert list(table["decision"]) == ["Needs changes"] and list(table["comment"]) == ["Please brighten"]
    assert "reviewer" not in table.columns
    # ...and next to the score, not only in the History tab, still without the reviewer's name.
    note = next(w.value for w in at.warning if "Needs changes" in w.value)
    assert "Please brighten" in note and "Too dark" in note and "rita" not in note


def test_a_decision_says_which_profile_it_was_made_under(db):
    """Approved under generic, the image may fail Amazon's rules: the page under amazon says the
    approval was made under another profile, instead of an unexplained "Approved"."""
    from core.store.reviews import decide

    rec = next(r for r in list_images(db) if r.file_name == "cat_photo.jpg")
    decide(db, version_id=rec.version_id, reviewer="rita", decision="approved", profile="generic")
    under_amazon = make_app(ADMIN, "pages/inspect.py", {"v": str(rec.version_id), "profile": "amazon"})
    line = next(s.value for s in under_amazon.success if "Approved" in s.value)
    assert "by rita (under Generic web shop) on" in line
    under_generic = make_app(ADMIN, "pages/inspect.py", {"v": str(rec.version_id), "profile": "generic"})
    assert "(under" not in next(s.value for s in under_generic.success if "Approved" in s.value)
    # The History tab names it by its title too, as the picker does.
    history = next(d.value for d in under_amazon.dataframe if "decision" in d.value.columns)
    assert list(history["profile"]) == ["Generic web shop"]


def test_a_logo_is_shown_as_read_as_a_drawn_graphic(db):
    import cv2
    import numpy as np

    from core.store.intake import ingest_files
    from tests.conftest import encode

    logo = np.full((1000, 1000, 3), 128, np.uint8)
    cv2.circle(logo, (500, 430), 280, (255, 255, 255), -1, cv2.LINE_AA)
    cv2.putText(logo, "ACME", (270, 870), cv2.FONT_HERSHEY_DUPLEX, 4, (255, 255, 255), 10, cv2.LINE_AA)
    ingest_files(db, [("logo.png", encode(logo, "PNG"))], merchant_id="acme")
    rec = next(r for r in list_images(db) if r.file_name == "logo.png")
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(rec.version_id)})
    assert "No issues under this profile." in texts(at)  # white on grey: not "overexposed", not "grayscale"
    assert any("Read as a drawn graphic" in i.value for i in at.info)
    cup = next(r for r in list_images(db) if r.file_name == "cup_on_white.jpg")
    notes = [i.value for i in make_app(ADMIN, "pages/inspect.py", {"v": str(cup.version_id)}).info]
    assert [n for n in notes if not n.startswith("**Waiting for review**")] == []  # a photo: no note on how it was read


def test_a_framed_card_and_a_line_drawing_say_how_they_were_read(db):
    import re

    import cv2
    import numpy as np

    from core.store.intake import ingest_files
    from tests.conftest import encode

    card = np.full((1000, 1000, 3), 255, np.uint8)
    cv2.putText(card, "VIP", (330, 400), cv2.FONT_HERSHEY_DUPLEX, 5, (200, 140, 50), 14, cv2.LINE_AA)
    card[:30], card[-30:], card[:, :30], card[:, -30:] = 0, 0, 0, 0  # a black rule on every side
    chart = np.full((1000, 1000, 3), 255, np.uint8)
    for k in range(0, 1000, 50):
        cv2.line(chart, (k, 0), (k, 999), (200, 200, 200), 1)
        cv2.line(chart, (0, k), (999, k), (200, 200, 200), 1)
    cv2.polylines(chart, [np.array([[100, 800], [500, 600], [900, 300]], np.int32)], False, (0, 0, 0), 1)
    ingest_files(db, [("card.png", encode(card, "PNG")), ("chart.png", encode(chart, "PNG"))], merchant_id="acme")
    shown = {}
    for name in ("card.png", "chart.png"):
        rec = next(r for r in list_images(db) if r.file_name == name)
        at = make_app(ADMIN, "pages/inspect.py", {"v": str(rec.version_id)})
        assert "No issues under this profile." in texts(at), name
        shown[name] = " ".join(i.value for i in at.info)
    assert re.search(r"Framed: a dark rule covers 1[12]% of the canvas", shown["card.png"])  # 30 px of 1000 a side
    assert "Read as a line drawing" in shown["chart.png"] and "Framed" not in shown["chart.png"]


def test_a_product_on_pink_paper_is_shown_as_a_chosen_colour_not_a_cast(db):
    import numpy as np

    from core.store.intake import ingest_files
    from tests.conftest import encode

    # A shaded grey ball on pink paper: the product's greys stay grey, so the pink was chosen.
    yy, xx = np.mgrid[0:1000, 0:1000].astype(np.float32)
    shade = 60 + 170 * np.clip(1 - np.hypot(xx - 420, yy - 420) / 520, 0, 1)
    grain = np.random.default_rng(5).normal(0, 2, (1000, 1000))
    ball = np.hypot(xx - 500, yy - 500) < 330
    frame = np.where(ball[..., None], np.clip(shade + grain, 0, 255)[..., None], np.array([250, 222, 230]))
    ingest_files(db, [("ball_on_pink.jpg", encode(frame.astype(np.uint8), "JPEG", quality=92))], merchant_id="acme")
    rec = next(r for r in list_images(db) if r.file_name == "ball_on_pink.jpg")
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(rec.version_id)})
    assert not [w.value for w in (*at.warning, *at.error) if "tinted" in w.value]  # no colour cast flag
    assert "No issues under this profile." in texts(at)
    assert any("reads as chosen" in i.value for i in at.info)


def _page_links(at) -> list:  # type: ignore[no-untyped-def]
    """The page links drawn in a run (AppTest has no accessor of its own for them)."""
    return [e.proto for e in at.get("page_link")]


def test_a_duplicate_links_to_the_earlier_image(db):
    """Two uploads may share a name: the duplicate's message names the earlier one, and a link
    opens it (by version), under the same profile."""
    recs = list_images(db)
    again = next(r for r in recs if r.file_name == "cup_reupload.jpg")
    first = next(r for r in recs if r.file_name == "cup_on_white.jpg")
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(again.version_id), "profile": "shopify"})
    assert plain("the same photo as cup_on_white.jpg") in texts(at)
    links = [p for p in _page_links(at) if p.help == "The earlier upload this one repeats"]
    assert [p.label for p in links] == [f"Open {plain('cup_on_white.jpg')} (#{first.version_id})"]  # never markup
    assert f"v={first.version_id}" in links[0].query_string and "profile=shopify" in links[0].query_string
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(first.version_id)})
    assert not [p for p in _page_links(at) if p.help == "The earlier upload this one repeats"]


def test_history_names_recipes_in_words_and_says_when_nothing_was_decided(db):
    from core.engine.recipe import Recipe, Step
    from core.services.optimize import save_fixed_version

    rec = next(r for r in list_images(db) if r.file_name == "rocket_poster_flat.jpg")
    save_fixed_version(db, rec, Recipe((Step("gamma", {"gamma": 1.2}).validated(),)), created_by="mia")
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(rec.version_id)})
    versions = next(d for d in at.dataframe if "recipe" in d.value.columns).value
    assert list(versions["recipe"]) == ["", "Gamma (power law): gamma 1.20"]  # not the stored JSON
    assert "No review decisions yet." in texts(at)
    assert not [d for d in at.dataframe if "decision" in d.value.columns]


def test_the_marketplace_checklist_names_a_file_type_the_marketplace_does_not_take(db, product):
    from core.store.intake import ingest_files
    from tests.conftest import encode

    report = ingest_files(
        db, [("phone.heic", encode(product[::2, ::2].copy(), "HEIF", quality=90))], merchant_id="acme-home"
    )
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(report.added[0].version_id)})
    assert any(re.search(r"· HEIC · 600x600 px · \d+ KB ·", c.value) for c in at.caption)  # what the file is
    table = next(d.value for d in at.dataframe if "verdict" in d.value.columns).set_index("profile")
    amazon = table.loc["Amazon (main image)"]
    assert amazon["file type"] == "HEIC files not taken: only JPEG, PNG, TIFF or GIF" and amazon["verdict"] == "fails"
    assert table.loc["Generic web shop", "file type"] == ""
    jpeg = next(r for r in list_images(db) if r.file_name.endswith(".jpg"))
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(jpeg.version_id)})
    table = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert "file type" not in table.columns  # every marketplace takes a JPEG: no empty column


def test_the_image_picker_finds_any_image_by_search(db, monkeypatch):
    """The picker lists only the newest versions of a large catalogue (here 3) and says so; its
    search box finds any other image by name, SKU or merchant (northwind-pets' images are none of
    the newest), saying how many match when it shows only some, and picking one opens it."""
    import core.services.catalog as catalog

    monkeypatch.setattr(catalog, "PICKER_LIMIT", 3)
    at = make_app(ADMIN, "pages/inspect.py")
    picker = next(s for s in at.selectbox if s.label == "Image")
    assert len(picker.options) == 3 and not any("northwind-pets" in o for o in picker.options)
    assert "The list holds the newest 3 images only: search by name, SKU or merchant" in texts(at)
    next(t for t in at.text_input if t.label == "Find an image").input("northwind").run()
    picker = next(s for s in at.selectbox if s.label == "Image")
    assert len(picker.options) == 3 and all(" · northwind-pets · " in o for o in picker.options)
    assert "Showing the newest 3 of 5 matches: refine the search to see the others." in texts(at)
    next(t for t in at.text_input if t.label == "Find an image").input("CAT_PRINT").run()
    picker = next(s for s in at.selectbox if s.label == "Image")
    names = ["cat_print_warm_cast.jpg", "cat_print_round.jpg", "cat_print_mono.jpg"]
    assert [o.split(" · ")[0] for o in picker.options] == names
    assert "3 matches, newest first." in texts(at)
    picker.select_index(2).run()
    assert [t.value for t in at.subheader] == [plain("cat_print_mono.jpg")]
    rec = next(r for r in list_images(db) if r.file_name == "cat_print_mono.jpg")
    assert at.query_params["v"] == str(rec.version_id)  # the page's link names it


def test_a_search_typed_that_finds_one_image_opens_it(db):
    """ "1 match ... Still showing pms000a_1.webp": the match had to be picked from the list as well
    (found in a browser walk-through). Inspect has nothing to lose by switching: it opens it."""
    rec = next(r for r in list_images(db) if r.sku == "PST-203")
    other = next(r for r in list_images(db) if r.file_name == "cup_on_white.jpg")
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(other.version_id)})
    next(t for t in at.text_input if t.label == "Find an image").input("pst-203").run()
    assert at.query_params["v"] == str(rec.version_id) and not at.exception
    assert [t.value for t in at.subheader] == [plain(rec.file_name)] and "Still showing" not in texts(at)
    # A link opened later, the search still in the box, stays on the image it names.
    at.query_params["v"] = str(other.version_id)
    at.run()
    assert [t.value for t in at.subheader] == [plain(other.file_name)]


def test_a_merchants_search_finds_only_their_own_images(db):
    own = next(r for r in list_images(db) if r.merchant_id == "acme-home")
    at = make_app(MERCHANT, "pages/inspect.py", {"v": str(own.version_id)})
    for other in ("astronaut", "lumen", "PRT-101"):  # another merchant's name, id and SKU
        next(t for t in at.text_input if t.label == "Find an image").input(other).run()
        picker = next(s for s in at.selectbox if s.label == "Image")
        assert picker.options == [] and picker.disabled
        assert "No image you can open matches the search (by name or SKU)." in texts(at)
        assert [t.value for t in at.subheader] == [plain(own.file_name)]  # the image open stays open
    next(t for t in at.text_input if t.label == "Find an image").input("cup").run()
    picker = next(s for s in at.selectbox if s.label == "Image")
    mine = {f"{r.file_name} · {r.kind} · #{r.version_id}" for r in list_images(db, merchant_id="acme-home")}
    assert picker.options and set(picker.options) <= mine


def test_a_merchant_sees_what_became_of_a_fix_they_submitted(db):
    """Submitted on Optimize, a fix says it waits for a reviewer, on its own page and on its
    original's; once decided, what the reviewer decided, with the reasons and the comment shown
    as the characters they are and without the reviewer's name."""
    from core.engine.recipe import Recipe, Step
    from core.services.optimize import save_fixed_version
    from core.store.reviews import decide

    rec = next(r for r in list_images(db, merchant_id="acme-home") if r.file_name == "cup_underexposed.jpg")
    recipe = Recipe((Step("gamma", {"gamma": 0.6}).validated(),))
    fix = save_fixed_version(db, rec, recipe, created_by="mia").version_id
    at = make_app(MERCHANT, "pages/inspect.py", {"v": str(fix)})
    assert any(i.value.startswith("**Waiting for review**: this fix was submitted on") for i in at.info)
    assert f"Open the version this fixes (#{rec.version_id})" in [p.label for p in _page_links(at)]
    at = make_app(MERCHANT, "pages/inspect.py", {"v": str(rec.version_id)})
    assert any(f"Fix #{fix}, submitted on" in i.value and "**waiting for review**" in i.value for i in at.info)
    assert f"Open fix #{fix}" in [p.label for p in _page_links(at)]

    comment = "Too **bright** <b>now</b> [here](http://x.example) :red[x] $y$"
    decide(db, version_id=fix, reviewer="rita", decision="rejected", reasons=["too bright"], comment=comment)
    for v in (fix, rec.version_id):
        at = make_app(MERCHANT, "pages/inspect.py", {"v": str(v)})
        [line] = [e.value for e in at.error if "Rejected" in e.value]
        assert "Reasons: Overexposed." in line and f"Comment: “{plain(comment)}”" in line and "rita" not in line
        assert not [i.value for i in at.info if "aiting for review" in i.value and "fix" in i.value]
    assert line.startswith(f"**Fix #{fix}: Rejected** on ")  # seen from the original
    history = next(d.value for d in at.dataframe if "review" in d.value.columns)
    assert list(history["review"]) == ["Waiting for review", "Rejected"]


def test_a_fix_reviewed_twice_says_a_second_review_is_to_come(db):
    from core.engine.recipe import Recipe, Step
    from core.services.optimize import save_fixed_version
    from core.store.reviews import decide, set_double_review_percent

    rec = next(r for r in list_images(db, merchant_id="acme-home") if r.file_name == "cup_underexposed.jpg")
    fix = save_fixed_version(db, rec, Recipe((Step("gamma", {"gamma": 0.6}).validated(),)), created_by="mia")
    set_double_review_percent(db, 100, actor="admin")
    decide(db, version_id=fix.version_id, reviewer="rita", decision="approved")
    at = make_app(MERCHANT, "pages/inspect.py", {"v": str(fix.version_id)})
    assert [s.value for s in at.success if s.value.startswith("**Approved** on ")]
    assert any(i.value.startswith("**A second review to come**") for i in at.info)
    assert not any("Waiting for review" in i.value for i in at.info)


def test_an_enlarged_fix_says_its_resolution_is_judged_at_its_source(db):
    """A fix enlarged past its original is still flagged too small, and the page says why its
    file's size and the size judged differ."""
    from core.engine.recipe import Recipe, Step
    from core.services.optimize import save_fixed_version

    rec = next(r for r in list_images(db) if r.file_name == "astronaut_portrait.png")
    side = max(rec.width, rec.height)
    fix = save_fixed_version(db, rec, Recipe((Step("resize", {"long_side": 3 * side}).validated(),)), created_by="ann")
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(fix.version_id)})
    assert any(i.value.startswith(f"Enlarged from {side} px to {3 * side} px on the long side") for i in at.info)
    assert "too small" in texts(at)


def test_a_score_that_lost_no_points_draws_no_chart_of_them(db, monkeypatch):
    """Found by a browser probe: a 100-point image whose checks cost a few hundredths of a point
    showed "Points lost per check" as bare axes (every bar under 0.05 is left out)."""
    import core.services.catalog

    def charts(rec) -> str:  # type: ignore[no-untyped-def]
        at = make_app(ADMIN, "pages/inspect.py", {"v": str(rec.version_id)})
        return " ".join(c.proto.spec for c in at.get("plotly_chart"))

    flawed = next(r for r in list_images(db) if r.issues)
    assert "Points lost per check" in charts(flawed)
    monkeypatch.setattr(core.services.catalog, "findings", lambda *a, **k: ([], {"blurry": 0.01, "noisy": 0.04}))
    assert "Points lost per check" not in charts(flawed)


def test_staff_are_told_when_another_merchant_stored_the_same_file_and_merchants_are_not(db):
    """A seller's photo copied by another seller: the same file under two merchants was two
    unrelated images, and two reviewers gave it opposite decisions (found in a browser
    walk-through). Staff see where else it is stored; the merchants hear nothing of each other."""
    from core.services.catalog import image_bytes
    from core.store.intake import ingest_files

    own = next(r for r in list_images(db) if r.merchant_id == "acme-home")
    (copy,) = ingest_files(db, [("copied.jpg", image_bytes(db, own))], merchant_id="copycat").added
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(own.version_id)})
    note = next(w.value for w in at.warning if "The same file is also stored by another merchant" in w.value)
    assert plain("copied.jpg") in note and plain("copycat") in note and f"#{copy.version_id}" in note
    # Who had it first is what a copy asks: the copy came after, so this image was stored first.
    assert "after this one" in note and "This image was stored first." in note
    links = [p for p in _page_links(at) if f"v={copy.version_id}" in p.query_string]
    assert [p.label for p in links] == [f"Open {plain('copied.jpg')} of {plain('copycat')} (#{copy.version_id})"]
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(copy.version_id)})
    note = next(w.value for w in at.warning if "The same file is also stored by another merchant" in w.value)
    assert plain(own.shown_name) in note and "before this one" in note and "stored first" not in note
    at = make_app(MERCHANT, "pages/inspect.py", {"v": str(own.version_id)})
    assert not at.exception and "The same file is also stored" not in texts(at)
    assert not [p for p in _page_links(at) if f"v={copy.version_id}" in p.query_string]


def test_a_file_uploaded_for_two_skus_says_so_with_its_other_names_as_typed(db, photo):
    from core.services.upload import ingest_uploads
    from core.store.queries import list_images
    from tests.conftest import encode

    shirt = encode(photo[::8, ::8].copy())
    for name, sku in (("shirt-black.png", "SH-1"), ("**blue**.png", "SH-2")):
        ingest_uploads(db, [(name, shirt)], merchant_id="acme-home", uploaded_by="mia", sku=sku)
    (vid,) = [r.version_id for r in list_images(db, merchant_id="acme-home") if r.file_name == "shirt-black.png"]
    at = make_app(MERCHANT, "pages/inspect.py", {"v": str(vid)})  # the merchant's own copies: shown to them too
    (warning,) = [w.value for w in at.warning if "uploaded for another SKU" in w.value]
    # The merchant's text inert (a SKU of "**X**" would not be bold); the sentence around it as written.
    assert warning == (
        f"The same file was uploaded for another SKU too: {plain(chr(39) + 'SH-2' + chr(39))}. One photo for two "
        f"products? Check that it shows this one (SKU {plain('SH-1')})."
    )
    assert f"Also uploaded as {plain(chr(39) + '**blue**.png' + chr(39))} (SKU {plain('SH-2')})." in texts(at)
