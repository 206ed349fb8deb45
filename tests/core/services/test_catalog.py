import cv2
import numpy as np
import pandas as pd
import pytest

from core.engine.checks import Issue
from core.services.catalog import (
    catalog_frame,
    decision_counts,
    findings,
    image_bytes,
    marketplace_checklist,
    open_version,
    picker_list,
)
from core.services.profiles import profile_names
from core.store.queries import list_images
from core.store.reviews import decide
from tests.conftest import BACKENDS


def test_decision_counts_cover_every_status():
    frame = pd.DataFrame({"status": ["approved", "unreviewed", "approved", "needs_changes"]})
    assert decision_counts(frame) == {"unreviewed": 1, "approved": 2, "rejected": 0, "needs_changes": 1}


def test_counts_follow_decisions(seeded):
    rec = list_images(seeded)[0]
    decide(seeded, version_id=rec.version_id, reviewer="rita", decision="rejected", reasons=["blurry"])
    counts = decision_counts(catalog_frame(seeded, profile="generic"))
    assert counts["rejected"] == 1 and counts["unreviewed"] == len(list_images(seeded)) - 1


def test_marketplace_checklist_has_a_row_per_profile(seeded):
    rec = next(r for r in list_images(seeded) if r.file_name == "cup_underexposed.jpg")
    rows = marketplace_checklist(seeded, rec.version_id)
    assert [r.profile for r in rows] == profile_names(seeded)
    generic = next(r for r in rows if r.profile == "generic")
    assert generic.score == round(rec.score, 1) and generic.issues == rec.issues and not generic.passes
    assert all(r.rules for r in rows if r.profile != "generic") and all(r.title for r in rows)


def test_findings_are_issues_worst_first(seeded):
    rec = next(r for r in list_images(seeded) if r.file_name == "cup_underexposed.jpg")
    issues, points = findings(seeded, rec.version_id, profile="generic")
    assert issues and all(isinstance(i, Issue) for i in issues)
    assert [i.name for i in issues] == list(rec.issues)
    assert "dark" in points and abs(sum(points.values()) - (100 - rec.score)) < 1e-6
    assert findings(seeded, 99999, profile="generic") == ([], {})


def test_merchants_open_only_their_own_versions(seeded):
    mine = picker_list(seeded, profile="generic", merchant_id="acme-home").picks
    assert mine and {p.merchant_id for p in mine} == {"acme-home"}
    other = next(r for r in list_images(seeded) if r.merchant_id != "acme-home")
    assert open_version(seeded, other.version_id, profile="generic", merchant_id="acme-home") is None
    assert open_version(seeded, other.version_id, profile="generic", merchant_id=None) == other
    assert image_bytes(seeded, other)[:2] in (b"\xff\xd8", b"\x89P")


def test_previews_are_at_most_the_asked_size(seeded):
    from core.services.catalog import preview_pixels

    rec = list_images(seeded)[0]
    pix = preview_pixels(seeded, sha256=rec.sha256, blob_path=rec.blob_path, side=256)
    assert max(pix.shape[:2]) <= 256 and pix.dtype.name == "uint8" and pix.shape[2] == 3
    again = preview_pixels(seeded, sha256=rec.sha256, blob_path=rec.blob_path, side=256)
    assert (again == pix).all()


def test_the_picker_lists_the_newest_and_always_holds_the_version_asked_for(seeded):
    every = list_images(seeded, kind=None)
    assert len(every) > 4
    newest = picker_list(seeded, profile="generic", merchant_id=None, limit=3)
    assert [p.version_id for p in newest.picks] == [r.version_id for r in every[::-1][:3]]
    assert newest.more and newest.matches is None
    assert newest.note == (
        "The list holds the newest 3 images only: search by name, SKU or merchant to find any other, "
        "or find it on the Overview."
    )
    first = every[0]
    picked = picker_list(seeded, profile="generic", merchant_id=None, around=first.version_id, limit=3)
    assert [p.version_id for p in picked.picks] == [*(r.version_id for r in every[::-1][:3]), first.version_id]
    # a version the user may not open (or that does not exist) adds nothing
    other = next(r for r in every if r.merchant_id != "acme-home")
    mine = picker_list(seeded, profile="generic", merchant_id="acme-home", around=other.version_id, limit=2)
    assert len(mine.picks) == 2 and {p.merchant_id for p in mine.picks} == {"acme-home"}
    assert "search by name or SKU to find" in mine.note  # a merchant has no merchant to search by
    assert len(picker_list(seeded, profile="generic", merchant_id=None, around=99999, limit=2).picks) == 2
    whole = picker_list(seeded, profile="generic", merchant_id=None)
    assert len(whole.picks) == len(every) and not whole.more and whole.note == ""


@pytest.mark.parametrize("backend", BACKENDS)  # searched in SQL: on every backend
def test_the_picker_search_finds_any_image_by_name_sku_or_merchant_in_the_database(seeded):
    """The picker lists a few versions of a large catalogue; its search reaches all of them: by
    file name, SKU or (staff) merchant, case-insensitive, newest first, saying when it is capped.
    A merchant's search finds their own images only, also by another merchant's name."""
    every = list_images(seeded, kind=None)
    lumen = [r.version_id for r in every[::-1] if r.merchant_id == "lumen-studio"]  # not among the oldest
    assert len(lumen) == 7 and not set(lumen) & {
        p.version_id for p in picker_list(seeded, profile="generic", merchant_id="acme-home", limit=3).picks
    }

    def search(text, merchant_id=None, limit=3):  # type: ignore[no-untyped-def]
        return picker_list(seeded, profile="generic", merchant_id=merchant_id, search=text, limit=limit)

    found = search("LUMEN")  # no file name or SKU holds it: the merchant does
    assert [p.version_id for p in found.picks] == lumen[:3] and found.matches == 7 and found.more
    assert found.note == "Showing the newest 3 of 7 matches: refine the search to see the others."
    assert [p.version_id for p in search("lumen", limit=10).picks] == lumen
    assert search(" lumen ", limit=10).note == "7 matches, newest first."
    by_sku = search("prt-1", limit=10)
    assert {p.name for p in by_sku.picks} == {
        "astronaut_print.jpg",
        "astronaut_print_grainy.jpg",
        "astronaut_print_washed_out.jpg",
        "astronaut_portrait.png",
    }
    # by name, and by name or merchant at once (counted once each)
    assert search("cat_photo", limit=10).matches == 2
    both = search("o", limit=100)  # in many names and in every merchant's id
    assert both.matches == len(every) == len(both.picks) and not both.more
    # a merchant: their own only, whatever they type
    assert search("lumen", merchant_id="acme-home").matches == 0
    nothing = search("astronaut", merchant_id="acme-home")
    assert (nothing.picks, nothing.matches) == ([], 0)
    assert nothing.note == "No image you can open matches the search (by name or SKU)."
    cups = search("cup", merchant_id="acme-home", limit=100)
    assert (
        cups.matches
        == len(cups.picks)
        == sum(r.merchant_id == "acme-home" and "cup" in f"{r.file_name} {r.sku.lower()}" for r in every)
    )
    assert {p.merchant_id for p in cups.picks} == {"acme-home"}
    assert search("northwind", merchant_id="acme-home").picks == []
    assert search("%").matches == 0  # the text is searched as characters, not as a pattern


def test_the_checklist_says_which_marketplaces_do_not_take_the_file_type(store, product):
    """A phone's HEIC is read and scored like any photo; Amazon and Google take no HEIC files, so
    their rows fail on the file type alone, saying which types they take. It moves no score."""
    from core.store.intake import ingest_files
    from tests.conftest import encode

    photo = product[::2, ::2].copy()
    report = ingest_files(
        store,
        [("phone.heic", encode(photo, "HEIF", quality=90)), ("web.jpg", encode(photo, "JPEG", quality=92))],
        merchant_id="acme",
    )
    heic, jpeg = (r.version_id for r in report.added)
    rows = {r.profile: r for r in marketplace_checklist(store, heic)}
    assert rows["amazon"].file_note == "HEIC files not taken: only JPEG, PNG, TIFF or GIF"
    assert rows["google"].file_note == "HEIC files not taken: only JPEG, PNG, WebP, GIF, BMP or TIFF"
    assert not rows["amazon"].passes and "HEIC" not in "".join(rows["amazon"].issues)  # a fact, not a check
    assert rows["generic"].file_note == "" and rows["shopify"].file_note == ""  # no file-type rule stated
    assert all(r.file_note == "" for r in marketplace_checklist(store, jpeg))


def _submit_fix(store, rec, gamma=1.3):  # type: ignore[no-untyped-def]
    """A fix of ``rec`` submitted for review as the merchant does on Optimize; its version id."""
    from core.engine.recipe import Recipe, Step
    from core.services.optimize import save_fixed_version

    recipe = Recipe((Step("gamma", {"gamma": gamma}).validated(),))
    return save_fixed_version(store, rec, recipe, created_by="mia").version_id


def test_a_submitted_fix_waits_for_review_until_a_reviewer_decides_it(seeded):
    """What became of a fix: waiting for review once submitted (seen from the fix and from its
    original), then the decision with its reasons and comment (without the reviewer's name for a
    merchant), and waiting again when the reviewer takes the decision back."""
    from core.services.catalog import review_state, review_states
    from core.store.reviews import undo_last

    rec = next(r for r in list_images(seeded) if r.file_name == "cup_underexposed.jpg")
    fix_id = _submit_fix(seeded, rec)
    state = review_state(seeded, fix_id, viewer_role="merchant")
    assert state is not None and state.submitted and state.waiting and state.kind == "optimized"
    assert (state.status, state.label, state.current) == ("unreviewed", "Waiting for review", [])
    seen = review_states(seeded, rec, profile="generic", viewer_role="merchant")
    assert seen.shown.version_id == rec.version_id and seen.shown.status == "unreviewed"  # the original is queued too
    assert [(r.version_id, s.status) for r, s in seen.other_fixes] == [(fix_id, "unreviewed")]
    assert [r.version_id for r, _ in seen.versions] == [rec.version_id, fix_id]

    decide(seeded, version_id=fix_id, reviewer="rita", decision="rejected", reasons=["too bright"], comment="**No**")
    state = review_state(seeded, fix_id, viewer_role="merchant")
    assert (state.status, state.label, state.waiting) == ("rejected", "Rejected", False)
    [d] = state.current
    assert (d["reasons"], d["comment"]) == ("Overexposed", "**No**") and "reviewer" not in d
    assert review_state(seeded, fix_id, viewer_role="reviewer").current[0]["reviewer"] == "rita"
    from_original = review_states(seeded, rec, profile="generic", viewer_role="merchant")
    assert [s.status for _, s in from_original.other_fixes] == ["rejected"]
    assert from_original.shown.status == "unreviewed"  # a decision on the fix is not one on the original

    undo_last(seeded, "rita")
    assert review_state(seeded, fix_id, viewer_role="merchant").status == "unreviewed"
    assert review_state(seeded, 99999, viewer_role="merchant") is None


def test_a_fix_reviewed_twice_waits_for_the_second_reviewer(seeded):
    from core.services.catalog import review_state
    from core.store.reviews import set_double_review_percent

    rec = next(r for r in list_images(seeded) if r.file_name == "cup_underexposed.jpg")
    fix_id = _submit_fix(seeded, rec)
    set_double_review_percent(seeded, 100, actor="admin")
    decide(seeded, version_id=fix_id, reviewer="rita", decision="approved")
    state = review_state(seeded, fix_id, viewer_role="merchant")
    assert (state.status, state.waiting, state.label) == ("approved", True, "Approved, a second review to come")
    decide(seeded, version_id=fix_id, reviewer="ravi", decision="approved")
    state = review_state(seeded, fix_id, viewer_role="merchant")
    assert (state.waiting, state.label, len(state.current)) == (False, "Approved", 2)


def test_a_version_kept_out_of_the_queue_says_so(seeded):
    from core.engine.recipe import Recipe, Step
    from core.services.catalog import review_state
    from core.store.intake import save_optimized

    rec = next(r for r in list_images(seeded) if r.file_name == "cup_underexposed.jpg")
    pixels = np.full((64, 64, 3), 255, np.uint8)
    recipe = Recipe((Step("gamma", {"gamma": 1.3}).validated(),))
    saved = save_optimized(seeded, rec.version_id, pixels, recipe, created_by="admin", submit=False)
    state = review_state(seeded, saved.version_id, viewer_role="admin")
    assert (state.submitted, state.waiting, state.status) == (False, False, "not_submitted")
    assert state.label == "Not submitted for review"


def test_the_checklist_fails_a_marketplace_only_on_a_requirement_missed(store, product):
    """eBay needs 500 px and recommends 1600: a 900-px photo passes there with a warning, as the
    Metrics tab says, where it read "fails"; a 400-px one fails (found in a browser walk-through)."""
    from core.store.intake import ingest_files
    from tests.conftest import encode

    def checklist(long_side: int) -> dict[str, object]:
        h, w = product.shape[:2]
        size = (long_side * w // max(h, w), long_side * h // max(h, w))
        small = cv2.resize(product, size, interpolation=cv2.INTER_AREA)
        (added,) = ingest_files(store, [(f"p{long_side}.png", encode(small))], merchant_id="acme").added
        return {r.profile: r for r in marketplace_checklist(store, added.version_id)}

    ebay = checklist(900)["ebay"]
    assert "low_resolution" in ebay.issues and ebay.failing == ()
    assert ebay.passes and ebay.verdict == "passes with warnings"
    tiny = checklist(400)["ebay"]
    assert tiny.failing == ("low_resolution",) and not tiny.passes and tiny.verdict == "fails"
