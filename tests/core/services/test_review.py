import pytest

from core.services.review import (
    ReviewError,
    comparison_for,
    decision_history,
    record_decision,
    suggested_reasons,
)
from core.store.queries import list_images
from core.store.reviews import active_decision
from core.vocabulary import ISSUE_REASONS, REASONS


def test_issues_suggest_reasons_in_order_once():
    assert suggested_reasons(["dark", "noisy", "blurry", "dark"]) == ["too dark", "blurry"]
    assert suggested_reasons([]) == [] and suggested_reasons(["duplicate"]) == []
    assert set(suggested_reasons(ISSUE_REASONS)) <= set(REASONS)


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
            "reasons": "too dark",
            "comment": "brighter please",
            "decided": staff[1]["decided"],
            "current": True,
        }
    ]


def test_an_original_is_compared_with_the_proposed_fix(seeded):
    rec = next(r for r in list_images(seeded) if r.file_name == "cup_underexposed.jpg")
    c = comparison_for(seeded, rec, profile="generic")
    assert c.before == c.after == rec
    assert c.recipe is not None and c.recipe.steps and "contrast_stretch" in c.caption
