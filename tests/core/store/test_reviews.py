import json

import pytest
from sqlalchemy import select

from core.store.database import audit_log
from core.store.intake import ingest_files
from core.store.queries import list_images
from core.store.reviews import (
    ReviewError,
    active_decision,
    awaits_decision,
    decide,
    history,
    mark_opened,
    next_in_queue,
    progress,
    set_double_review_percent,
    status_counts,
    undo_last,
)
from tests.conftest import encode


@pytest.fixture()
def three(store, photo):
    import numpy as np

    imgs = [
        ("good.png", photo),
        ("dark.png", (photo * 0.3).astype(np.uint8)),
        ("flat.png", (photo * 0.4 + 90).astype(np.uint8)),
    ]
    ingest_files(store, [(n, encode(a)) for n, a in imgs[:2]], merchant_id="zeta")
    ingest_files(store, [(n, encode(a)) for n, a in imgs[2:]], merchant_id="alpha")
    return {r.file_name: r for r in list_images(store)}


def test_decision_roundtrip_and_lead_time(store, three):
    vid = three["dark.png"].version_id
    opened = mark_opened(store, vid, "rita")
    assert mark_opened(store, vid, "rita") == opened  # first open counts
    d = decide(
        store,
        version_id=vid,
        reviewer="rita",
        decision="rejected",
        reasons=["too dark", "other"],
        comment="=cmd|' /C calc'!A0",
    )
    assert d.opened_at == opened and d.decided_at >= opened
    got = active_decision(store, vid, "rita")
    assert got.decision == "rejected" and got.reasons == ("too dark", "other") and got.comment.startswith("=cmd")


@pytest.mark.parametrize(
    "kwargs,msg",
    [
        ({"decision": "maybe"}, "decision must be"),
        ({"decision": "rejected"}, "at least one reason"),
        ({"decision": "rejected", "reasons": ["ugly"]}, "unknown reason"),
        ({"decision": "approved", "comment": "x" * 2001}, "limit is 2000"),
    ],
)
def test_bad_decisions_are_refused(store, three, kwargs, msg):
    with pytest.raises(ReviewError, match=msg):
        decide(store, version_id=three["good.png"].version_id, reviewer="rita", **kwargs)
    assert history(store, three["good.png"].version_id) == []


def test_unknown_version(store, three):
    with pytest.raises(ReviewError, match="no image version"):
        decide(store, version_id=9999, reviewer="rita", decision="approved")


def test_change_and_undo_keep_history_and_audit(store, three):
    vid = three["good.png"].version_id
    decide(store, version_id=vid, reviewer="rita", decision="approved")
    decide(store, version_id=vid, reviewer="rita", decision="needs_changes", reasons=["low resolution"])
    assert active_decision(store, vid, "rita").decision == "needs_changes"
    undone = undo_last(store, "rita")
    assert undone.decision == "needs_changes"
    assert active_decision(store, vid, "rita").decision == "approved"  # the replaced one is back
    undo_last(store, "rita")
    assert active_decision(store, vid, "rita") is None  # back in the queue
    assert undo_last(store, "rita") is None
    hist = history(store, vid)
    assert [h.decision for h in hist] == ["approved", "needs_changes"] and not any(h.active for h in hist)
    with store.read() as conn:
        log = conn.execute(select(audit_log).where(audit_log.c.entity == "version").order_by(audit_log.c.id)).all()
    assert [r.action for r in log] == ["decide", "change_decision", "undo", "undo"]
    change = log[1]
    assert json.loads(change.before_json)["decision"] == "approved"
    assert json.loads(change.after_json)["decision"] == "needs_changes"
    assert all(r.actor == "rita" and r.at for r in log)


def test_several_reviewers_judge_the_same_image(store, three):
    vid = three["good.png"].version_id
    decide(store, version_id=vid, reviewer="rita", decision="approved")
    decide(store, version_id=vid, reviewer="sam", decision="rejected", reasons=["blurry"])
    assert active_decision(store, vid, "rita").decision == "approved"
    assert active_decision(store, vid, "sam").decision == "rejected"


def test_queue_orders_and_skips_decided(store, three):
    by_score = sorted(three.values(), key=lambda r: r.score)
    first = next_in_queue(store, "rita", order="lowest_score")
    assert first.version_id == by_score[0].version_id
    assert next_in_queue(store, "rita", order="oldest").file_name == "good.png"
    assert next_in_queue(store, "rita", order="merchant").merchant_id == "alpha"
    top_issue = next_in_queue(store, "rita", order="issue")
    assert len(top_issue.issues) == max(len(r.issues) for r in three.values())
    assert next_in_queue(store, "rita", order="oldest", issue="dark").file_name == "dark.png"
    assert progress(store, "rita") == (0, 3)
    decide(store, version_id=first.version_id, reviewer="rita", decision="rejected", reasons=["too dark"])
    assert next_in_queue(store, "rita").version_id != first.version_id
    assert progress(store, "rita") == (1, 2)
    # One shared queue: once decided, an item leaves everyone's queue (no double review asked)...
    assert next_in_queue(store, "sam").version_id != first.version_id
    set_double_review_percent(store, 100, actor="admin")
    assert next_in_queue(store, "sam").version_id == first.version_id  # ...unless an admin asks for it
    set_double_review_percent(store, 0, actor="admin")
    for r in three.values():
        decide(store, version_id=r.version_id, reviewer="rita", decision="approved")
    assert next_in_queue(store, "rita") is None and progress(store, "rita") == (3, 0)
    with pytest.raises(ValueError, match="order must be"):
        next_in_queue(store, "rita", order="random")


def test_awaits_decision_follows_the_queue_rule(store, three):
    vid = three["good.png"].version_id
    assert awaits_decision(store, vid)
    decide(store, version_id=vid, reviewer="rita", decision="approved")
    assert not awaits_decision(store, vid)
    set_double_review_percent(store, 100, actor="admin")
    assert awaits_decision(store, vid)  # a second reviewer is still to decide
    decide(store, version_id=vid, reviewer="sam", decision="approved")
    assert not awaits_decision(store, vid)


def test_issue_filter_matches_whole_names(store, three, photo):
    # dark.png is good.png darkened: other pixels, so not the same photo; a resized copy of
    # good.png is a near duplicate, not an identical file.
    import cv2

    assert "near_duplicate" not in three["dark.png"].issues
    ingest_files(
        store,
        [("good-small.png", encode(cv2.resize(photo, (400, 400), interpolation=cv2.INTER_AREA)))],
        merchant_id="zeta",
    )
    small = next(r for r in list_images(store) if r.file_name == "good-small.png")
    assert "near_duplicate" in small.issues
    assert not any("duplicate" in r.issues for r in [*three.values(), small])
    assert next_in_queue(store, "rita", issue="duplicate") is None
    assert next_in_queue(store, "rita", issue="near_duplicate").file_name == "good-small.png"


def test_status_counts(store, three):
    decide(store, version_id=three["good.png"].version_id, reviewer="rita", decision="approved")
    decide(store, version_id=three["dark.png"].version_id, reviewer="rita", decision="rejected", reasons=["too dark"])
    counts = status_counts(store)
    assert counts == {"approved": 1, "rejected": 1, "needs_changes": 0, "unreviewed": 1}
    assert status_counts(store, merchant_id="alpha")["unreviewed"] == 1
