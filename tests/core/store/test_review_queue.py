"""The shared review queue: leases, double review on request, bulk approve and its undo."""

from __future__ import annotations

import json
import threading
from collections import Counter

import numpy as np
import pytest
from sqlalchemy import select

from core.store.database import audit_log, review_leases
from core.store.intake import ingest_files
from core.store.queries import list_images
from core.store.reviews import (
    ReviewError,
    active_decision,
    claim_next,
    decide,
    decide_batch,
    double_review_percent,
    open_items,
    release_leases,
    set_double_review_percent,
    undo_last,
    undo_last_batch,
)
from tests.conftest import encode


@pytest.fixture()
def six(store, photo):
    shots = [
        (f"img{i}.png", np.clip(photo.astype(np.int16) * (0.4 + 0.12 * i), 0, 255).astype(np.uint8)) for i in range(6)
    ]
    ingest_files(store, [(n, encode(a)) for n, a in shots], merchant_id="shop")
    return list_images(store)


def test_two_reviewers_are_handed_different_images(store, six):
    a = claim_next(store, "rita")
    b = claim_next(store, "sam")
    assert a and b and a.version_id != b.version_id
    assert claim_next(store, "rita").version_id == a.version_id  # a rerun keeps the leased item


def test_skip_timeout_and_sign_out_release_the_lease(store, six):
    a = claim_next(store, "rita")
    assert claim_next(store, "sam").version_id != a.version_id
    release_leases(store, "rita", version_id=a.version_id)  # skip
    release_leases(store, "sam")  # sign-out
    assert claim_next(store, "sam").version_id == a.version_id
    release_leases(store, "sam")
    claim_next(store, "rita", lease_seconds=-1)  # already expired: as if rita walked away
    assert claim_next(store, "sam").version_id == a.version_id


def test_a_decided_item_leaves_everyones_queue_and_the_lease_goes(store, six):
    a = claim_next(store, "rita")
    decide(store, version_id=a.version_id, reviewer="rita", decision="approved")
    with store.read() as conn:
        assert conn.execute(select(review_leases).where(review_leases.c.reviewer == "rita")).first() is None
    seen = set()
    while (item := claim_next(store, "sam")) is not None:
        seen.add(item.version_id)
        decide(store, version_id=item.version_id, reviewer="sam", decision="approved")
    assert a.version_id not in seen and len(seen) == len(six) - 1


def test_double_review_share_is_set_by_an_admin(store, six):
    assert double_review_percent(store) == 0
    with pytest.raises(ReviewError, match="whole percent"):
        set_double_review_percent(store, 150, actor="admin")
    set_double_review_percent(store, 50, actor="admin")
    assert double_review_percent(store) == 50
    for who in ("rita", "sam"):
        while (item := claim_next(store, who)) is not None:
            decide(store, version_id=item.version_id, reviewer=who, decision="approved")
    per_item = Counter(
        v for v in (r.version_id for r in six) for who in ("rita", "sam") if active_decision(store, v, who)
    )
    twice = [v for v, n in per_item.items() if n == 2]
    # every item decided; the asked share (exact over each run of 100 ids) twice, the rest once
    assert len(per_item) == 6 and set(twice) == {r.version_id for r in six if (r.version_id * 37) % 100 < 50}
    assert 0 < len(twice) < 6


def test_parallel_reviewers_never_decide_the_same_image(store, six):
    decided: list[tuple[str, int]] = []
    lock = threading.Lock()

    def work(who: str) -> None:
        while (item := claim_next(store, who)) is not None:
            decide(store, version_id=item.version_id, reviewer=who, decision="approved")
            with lock:
                decided.append((who, item.version_id))

    threads = [threading.Thread(target=work, args=(f"r{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    counts = Counter(v for _, v in decided)
    assert sorted(counts) == sorted(r.version_id for r in six) and set(counts.values()) == {1}


def test_bulk_approve_writes_one_audited_decision_each_and_one_undo_takes_it_back(store, six):
    single = claim_next(store, "rita")
    decide(store, version_id=single.version_id, reviewer="rita", decision="rejected", reasons=["blurry"])
    shown = open_items(store, "rita", min_score=0)
    assert len(shown) == len(six) - 1
    got = decide_batch(store, [i.version_id for i in shown], "rita", profile="generic")
    assert len(got) == len(shown) and len({d.id for d in got}) == len(shown)
    with store.read() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.action == "decide")).all()
    batch_ids = {json.loads(r.after_json).get("batch_id") for r in rows} - {None}
    assert len(batch_ids) == 1 and len(rows) == len(six)
    undone = undo_last_batch(store, "rita")
    assert sorted(d.version_id for d in undone) == sorted(i.version_id for i in shown)
    assert all(active_decision(store, i.version_id, "rita") is None for i in shown)
    assert active_decision(store, single.version_id, "rita").decision == "rejected"  # not part of the batch
    assert undo_last(store, "rita").version_id == single.version_id


def test_open_items_filters_by_score_and_no_issue(store, six):
    clean = open_items(store, "rita", no_issues=True)
    assert all(not i.issues for i in clean)
    high = open_items(store, "rita", min_score=90)
    assert all(i.score is not None and i.score >= 90 for i in high)
    with pytest.raises(ReviewError, match="no images"):
        decide_batch(store, [], "rita")


def test_a_decision_after_the_hold_expired_and_someone_else_decided_is_not_recorded(store, six):
    from core.services.review import decide_shown

    item = claim_next(store, "rita", lease_seconds=-1)  # rita's hold has run out
    assert claim_next(store, "sam").version_id == item.version_id
    decide(store, version_id=item.version_id, reviewer="sam", decision="approved")
    with pytest.raises(ReviewError, match="Another reviewer decided"):
        decide_shown(store, version_id=item.version_id, reviewer="rita", decision="rejected", reasons=["blurry"])
    assert active_decision(store, item.version_id, "rita") is None
    mine = claim_next(store, "rita")
    assert decide_shown(store, version_id=mine.version_id, reviewer="rita", decision="approved").decision == "approved"
