import dataclasses

import pytest

from core.services.review import (
    ReviewError,
    comparison_for,
    decision_history,
    record_decision,
    suggested_reasons,
)
from core.store.queries import get_image, list_images
from core.store.reviews import active_decision
from core.vocabulary import ISSUE_REASONS, REASONS


def test_issues_suggest_reasons_in_order_once():
    assert suggested_reasons(["dark", "noisy", "blurry", "dark"]) == ["too dark", "grainy", "blurry"]
    assert suggested_reasons(["duplicate", "near_duplicate"]) == ["duplicate"]
    assert suggested_reasons([]) == [] and suggested_reasons(["not_an_issue"]) == []
    assert set(suggested_reasons(ISSUE_REASONS)) <= set(REASONS)
    # One file uploaded for two SKUs: "duplicate", once, before "copied".
    assert suggested_reasons(["dark"], reused=True, copied=True) == ["too dark", "duplicate", "copied"]
    assert suggested_reasons(["near_duplicate"], reused=True) == ["duplicate"]


def test_an_approval_carries_no_reasons(seeded):
    vid = list_images(seeded)[0].version_id
    d = record_decision(
        seeded, version_id=vid, reviewer="rita", decision="approved", reasons=["blurry"], comment="fine"
    )
    assert d.decision == "approved" and d.reasons == ()
    assert active_decision(seeded, vid, "rita").reasons == ()
    d = record_decision(seeded, version_id=vid, reviewer="rita", decision="rejected", reasons=["blurry"])
    assert d.reasons == ("blurry",)
    with pytest.raises(ReviewError, match="needs at least one reason"):
        record_decision(seeded, version_id=vid, reviewer="rita", decision="needs_changes", reasons=[])


def test_merchants_see_current_decisions_without_reviewer_names(seeded):
    vid = list_images(seeded)[0].version_id
    record_decision(seeded, version_id=vid, reviewer="rita", decision="rejected", reasons=["blurry"])
    record_decision(
        seeded,
        version_id=vid,
        reviewer="rita",
        decision="needs_changes",
        reasons=["too dark"],
        comment="brighter please",
    )
    staff = decision_history(seeded, vid, viewer_role="reviewer")
    assert [(r["reviewer"], r["decision"], r["current"]) for r in staff] == [
        ("rita", "rejected", False),
        ("rita", "needs_changes", True),
    ]
    merchant = decision_history(seeded, vid, viewer_role="merchant")
    assert merchant == [
        {
            "decision": "needs_changes",
            "reasons": "Too dark",
            "comment": "brighter please",
            "decided": staff[1]["decided"],
            "current": True,
            "profile": "",  # recorded without one here (the Review page records the one it shows)
        }
    ]


def test_an_original_is_compared_with_the_proposed_fix(seeded):
    rec = next(r for r in list_images(seeded) if r.file_name == "cup_underexposed.jpg")
    c = comparison_for(seeded, rec, profile="generic")
    assert c.before == c.after == rec
    assert c.recipe is not None and c.recipe.steps and "Contrast stretch" in c.caption  # as people name it
    assert "contrast_stretch" not in c.caption
    # Nothing to fix: the two sides are the same picture, and the caption says so (not "vs").
    good = next(r for r in list_images(seeded) if r.file_name == "cup_on_white.jpg")
    c = comparison_for(seeded, good, profile="generic")
    assert c.recipe is not None and not c.recipe.steps
    assert c.caption == "The original, as uploaded: the engine finds nothing to fix, so both sides show it."


def test_a_submitted_fix_is_captioned_with_its_steps_not_its_json(seeded):
    from core.engine.recipe import Recipe, Step
    from core.services.optimize import save_fixed_version
    from core.store.queries import versions_of

    rec = next(r for r in list_images(seeded) if r.file_name == "cup_underexposed.jpg")
    recipe = Recipe((Step("gamma", {"gamma": 0.7}).validated(),))
    save_fixed_version(seeded, rec, recipe, created_by="rita")
    fixed = versions_of(seeded, rec.image_id, profile="generic")[-1]
    c = comparison_for(seeded, fixed, profile="generic")
    assert c.caption.endswith("the submitted fix (right): Gamma (power law)") and "{" not in c.caption


def test_progress_through_the_queue_follows_its_filters(seeded):
    from core.services.review import QueueFilter, QueueProgress, queue_progress

    everything = QueueFilter()
    assert queue_progress(seeded, reviewer="rita", where=everything) == QueueProgress(done=0, remaining=20)
    recs = list_images(seeded)
    acme = [r for r in recs if r.merchant_id == "acme-home"]
    record_decision(seeded, version_id=acme[0].version_id, reviewer="rita", decision="approved")
    progress = queue_progress(seeded, reviewer="rita", where=everything)
    assert (progress.done, progress.remaining, progress.fraction) == (1, 19, 1 / 20)
    own = queue_progress(seeded, reviewer="rita", where=QueueFilter(merchant_id="acme-home"))
    assert (own.done, own.remaining) == (1, len(acme) - 1)
    assert queue_progress(seeded, reviewer="rita", where=QueueFilter(merchant_id="nobody")).fraction == 1.0  # empty


def test_a_bulk_approval_is_confirmed_on_a_table_of_its_items(seeded):
    from core.services.review import QueueFilter, bulk_candidates, bulk_rows

    items = bulk_candidates(seeded, reviewer="rita", where=QueueFilter(), min_score=None, no_issues=False)
    rows = bulk_rows(items)
    assert len(rows) == 20 and list(rows[0]) == ["image", "merchant", "score", "version"]
    first = items[0]
    assert rows[0] == {
        "image": first.file_name,
        "merchant": first.merchant_id,
        "score": round(first.score, 1),  # as every page shows it: 94.8 is not "95"
        "version": first.version_id,
    }
    unscored = dataclasses.replace(first, score=None)
    assert bulk_rows([unscored])[0]["score"] is None  # a number column: the table writes every score "95.0"


def test_only_an_administrator_sets_the_double_review_share(seeded):
    from core.services.review import double_review_share, set_double_review_share

    with pytest.raises(ReviewError, match="only an administrator"):
        set_double_review_share(seeded, percent=20, actor_role="reviewer", actor="rita")
    assert double_review_share(seeded) == 0
    set_double_review_share(seeded, percent=20, actor_role="admin", actor="boss")
    assert double_review_share(seeded) == 20


def test_approve_all_leaves_out_what_someone_else_decided_meanwhile(seeded):
    from core.services.review import approve_all
    from core.store.reviews import decide

    ids = [r.version_id for r in list_images(seeded)][:5]
    decide(seeded, version_id=ids[0], reviewer="sam", decision="approved")
    done = approve_all(seeded, reviewer="rita", version_ids=ids, confirmed_count=5, profile="generic")
    assert sorted(d.version_id for d in done) == sorted(ids[1:])
    with pytest.raises(ReviewError, match="none of these images"):
        approve_all(seeded, reviewer="rita", version_ids=ids[1:], confirmed_count=4, profile="generic")


def test_an_empty_queue_praises_only_after_work_was_done():
    """Found by a browser probe: an empty store's Review page said 'Nice work' to a reviewer who
    had decided nothing."""
    from core.services.review import QueueProgress

    assert QueueProgress(done=3, remaining=0).empty_note(filtered=False) == "Your queue is empty. Nice work."
    nothing = QueueProgress(done=0, remaining=0)
    assert "Nothing is waiting" in nothing.empty_note(filtered=False)
    assert "filters" in nothing.empty_note(filtered=True) and "Nice" not in nothing.empty_note(filtered=True)
    # A filtered queue that ran dry is not the whole queue: other images may still wait.
    dry = QueueProgress(done=3, remaining=0).empty_note(filtered=True)
    assert dry == "No image waiting for review matches the sidebar's filters. You decided 3 of those that did."


def _save_fix(store, file_name, *steps):
    from core.engine.recipe import Recipe, Step
    from core.services.optimize import save_fixed_version

    rec = next(r for r in list_images(store) if r.file_name == file_name)
    recipe = Recipe(tuple(Step(op, params).validated() for op, params in steps))
    saved = save_fixed_version(store, rec, recipe, created_by="mia")
    return get_image(store, saved.version_id)


def fix_blows_out(store, comp):
    """The blown-out share the Review page warns with, or None when it does not warn."""
    from core.services.review import fix_similarity

    harm = fix_similarity(store, comp)
    return harm.blown_out if harm is not None and harm.blows_out else None


def test_a_fix_that_blows_the_product_out_is_called_out(seeded):

    blown = _save_fix(seeded, "cup_on_white.jpg", ("brightness_contrast", {"alpha": 3.0}))
    share = fix_blows_out(seeded, comparison_for(seeded, blown, profile="generic"))
    assert share is not None and share >= 0.1
    # Padding as well does not hide it: the tonal steps are judged without the geometry.
    padded = _save_fix(
        seeded, "cup_on_white.jpg", ("pad_square", {"margin": 0.1}), ("brightness_contrast", {"alpha": 3.0})
    )
    reframed = fix_blows_out(seeded, comparison_for(seeded, padded, profile="generic"))
    assert reframed is not None and reframed >= 0.1  # 0.79 from the recipe (0.73 read from the fix's file)
    # A fix that restores a dark photo, a fix that only reframes, and an original (shown against
    # the engine's proposal) are not.
    fine = _save_fix(seeded, "cup_underexposed.jpg", ("contrast_stretch", {"low": 0.0, "high": 99.5}))
    assert fix_blows_out(seeded, comparison_for(seeded, fine, profile="generic")) is None
    framed = _save_fix(seeded, "cup_on_white.jpg", ("pad_square", {"margin": 0.1}))
    assert fix_blows_out(seeded, comparison_for(seeded, framed, profile="generic")) is None
    original = next(r for r in list_images(seeded) if r.file_name == "cup_on_white.jpg" and r.kind == "original")
    assert fix_blows_out(seeded, comparison_for(seeded, original, profile="generic")) is None


@pytest.mark.parametrize(
    ("file_name", "steps"),
    [
        ("cup_on_white.jpg", (("brightness_contrast", {"alpha": 1.6, "beta": 20.0}),)),
        (
            "cat_photo.jpg",
            (("contrast_stretch", {"low": 14.0, "high": 90.0, "shadow": 45.0}), ("saturation", {"factor": 2.1})),
        ),
        ("cat_photo.jpg", (("brightness_contrast", {"alpha": 1.8}), ("pad_square", {"margin": 0.05}))),
    ],
)
def test_the_reviewer_sees_the_blow_out_the_merchant_saw(seeded, file_name, steps):
    """One measurement: the Optimize page's figure for a recipe (on the original's preview) is the
    one the Review page warns with for the fix saved from it. The reviewer's used to be read from
    the fix's stored JPEG, whose ringing moves near-white pixels across the level (42% vs 40%)."""
    from core.engine.operations import PREVIEW_SIDE
    from core.engine.recipe import Recipe
    from core.services.optimize import preview_recipe, recipe_similarity
    from core.store.blobs import display_pixels

    fix = _save_fix(seeded, file_name, *steps)
    original = next(r for r in list_images(seeded) if r.file_name == file_name and r.kind == "original")
    pix = display_pixels(seeded, original.sha256, original.blob_path, side=PREVIEW_SIDE)
    recipe = Recipe.from_json(fix.recipe_json)
    merchant = recipe_similarity(pix, preview_recipe(original, recipe, preview=pix))
    assert merchant is not None and merchant.blows_out, merchant
    reviewer = fix_blows_out(seeded, comparison_for(seeded, fix, profile="generic"))
    assert reviewer == merchant.blown_out and f"{reviewer:.0%}" == f"{merchant.blown_out:.0%}"


def test_a_fix_that_changes_the_products_colours_is_called_out(seeded):
    """An oversaturated fix looks like a colourful product to the score; the reviewer is told, with
    the same figure the merchant's Optimize page showed. A fix that only restores exposure is not."""
    from core.services.review import fix_similarity

    loud = _save_fix(
        seeded,
        "cup_underexposed.jpg",
        ("contrast_stretch", {"low": 14.0, "high": 99.5, "shadow": 45.0}),
        ("saturation", {"factor": 2.1}),
    )
    harm = fix_similarity(seeded, comparison_for(seeded, loud, profile="generic"))
    assert harm is not None and harm.shifts_colours, harm
    fine = _save_fix(seeded, "cup_underexposed.jpg", ("contrast_stretch", {"low": 0.0, "high": 99.5}))
    harm = fix_similarity(seeded, comparison_for(seeded, fine, profile="generic"))
    assert harm is not None and not harm.shifts_colours, harm


def test_a_photo_copied_by_another_merchant_is_never_approved_in_bulk(seeded):
    from core.services.review import QueueFilter, approve_all, bulk_candidates, queue_progress
    from core.store.blobs import read_blob
    from core.store.intake import ingest_files

    recs = list_images(seeded)
    shown = bulk_candidates(seeded, reviewer="rita", where=QueueFilter(), min_score=None, no_issues=False)
    assert len(shown) == len(recs)
    # Another seller uploads one of those files after the table was shown, before the confirmation.
    copied = recs[0]
    ingest_files(seeded, [("my-own-photo.jpg", read_blob(seeded, copied.blob_path))], merchant_id="copycat")
    ids = [i.version_id for i in shown]
    done = approve_all(seeded, reviewer="rita", version_ids=ids, confirmed_count=len(ids), profile="generic")
    assert sorted(d.version_id for d in done) == sorted(set(ids) - {copied.version_id})
    again = bulk_candidates(seeded, reviewer="rita", where=QueueFilter(), min_score=None, no_issues=False)
    assert again == []  # neither copy is offered ...
    left = queue_progress(seeded, reviewer="rita", where=QueueFilter())
    assert left.remaining == 2  # ... both wait for a person
    copies = QueueFilter(copied=True)
    assert copies.narrows and not QueueFilter(order="oldest").narrows
    assert queue_progress(seeded, reviewer="rita", where=copies).remaining == 2  # the same two, listed
    assert bulk_candidates(seeded, reviewer="rita", where=copies, min_score=None, no_issues=False) == []


def test_skipped_images_count_only_while_they_still_wait(seeded):
    """Found by a browser probe: "You skipped 5 image(s); they are still waiting." after a teammate
    had decided four of them, and under a filter none of them matched."""
    from core.services.review import QueueFilter, current_item, skip_item, skipped_still_open

    everything = QueueFilter()
    first = current_item(seeded, reviewer="rita", where=everything)
    skip_item(seeded, reviewer="rita", version_id=first.version_id)
    second = current_item(seeded, reviewer="rita", where=everything, skip=(first.version_id,))
    skip_item(seeded, reviewer="rita", version_id=second.version_id)
    skipped = [first.version_id, second.version_id]
    assert sorted(skipped_still_open(seeded, reviewer="rita", where=everything, skipped=skipped)) == sorted(skipped)
    record_decision(seeded, version_id=first.version_id, reviewer="ravi", decision="approved")
    assert skipped_still_open(seeded, reviewer="rita", where=everything, skipped=skipped) == [second.version_id]
    elsewhere = QueueFilter(merchant_id="no-such-merchant")
    assert skipped_still_open(seeded, reviewer="rita", where=elsewhere, skipped=skipped) == []
    assert skipped_still_open(seeded, reviewer="rita", where=everything, skipped=[]) == []


def test_a_submitted_fix_is_never_approved_in_bulk(seeded):
    """Found by a browser probe: a contrast stretch that turned cream pearls bronze scored 99.1 and
    was offered for bulk approval, unseen. A fix waits for a person, beside its original."""
    from core.engine.recipe import Recipe, Step
    from core.services.optimize import save_fixed_version
    from core.services.review import QueueFilter, approve_all, bulk_candidates, current_item
    from core.store.reviews import open_items

    rec = next(r for r in list_images(seeded) if r.file_name == "cup_on_white.jpg")
    saved = save_fixed_version(seeded, rec, Recipe((Step("gamma", {"gamma": 0.95}).validated(),)), created_by="mia")
    fix = saved.version_id
    assert fix in {i.version_id for i in open_items(seeded, "rita", limit=100)}  # it waits in the queue
    shown = bulk_candidates(seeded, reviewer="rita", where=QueueFilter(), min_score=None, no_issues=False)
    assert shown and fix not in {i.version_id for i in shown} and {i.kind for i in shown} == {"original"}
    ids = [shown[0].version_id, fix]
    done = approve_all(seeded, reviewer="rita", version_ids=ids, confirmed_count=2, profile="generic")
    assert [d.version_id for d in done] == [shown[0].version_id]  # a fix slipped in is left out
    queue = QueueFilter(order="oldest")
    seen = set()
    while (item := current_item(seeded, reviewer="rita", where=queue, skip=tuple(seen))) is not None:
        seen.add(item.version_id)
    assert fix in seen  # still handed out one by one
