"""The Feedback page's rules (core.services.feedback): its filter, what it reads, the tables it
shows, and the profile tuned to the reviewers."""

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from core.services import feedback
from core.services.feedback import (
    MetricSeparation,
    ThresholdChange,
    changes_table,
    default_dates,
    feedback_filter,
    feedback_frame,
    feedback_summary,
    metric_by_decision,
    separation_table,
    tuned_profile,
)
from core.services.profiles import get_profile
from core.services.review import record_decision
from core.store.queries import list_images
from core.vocabulary import METRIC_INFO


def test_the_page_opens_on_the_last_thirty_days():
    assert default_dates(dt.date(2024, 3, 31)) == (dt.date(2024, 3, 1), dt.date(2024, 3, 31))


def test_the_filter_reads_a_date_range_being_picked():
    a, b = dt.date(2024, 5, 1), dt.date(2024, 5, 9)
    both = feedback_filter(dates=(a, b), reviewer="rita", decision="rejected", include_history=True)
    assert (both.date_from, both.date_to, both.reviewer, both.decision) == (
        "2024-05-01",
        "2024-05-09",
        "rita",
        "rejected",
    )
    assert both.include_history and both.merchant_id is None and both.profile is None
    for one_day in ((a,), a):  # the picker holds one day until the second is chosen: that day only
        f = feedback_filter(dates=one_day)
        assert (f.date_from, f.date_to) == ("2024-05-01", "2024-05-01")
    for nothing in ((), None):
        f = feedback_filter(dates=nothing)
        assert (f.date_from, f.date_to, f.include_history) == (None, None, False)


def _decide(store, n):
    recs = list_images(store)[:n]
    for i, r in enumerate(recs):
        ok = i % 3 != 0
        record_decision(
            store,
            version_id=r.version_id,
            reviewer="rita",
            decision="approved" if ok else "rejected",
            reasons=() if ok else ["other"],
        )
    return recs


def test_the_summary_counts_everything_and_samples_the_newest(seeded, monkeypatch):
    recs = _decide(seeded, 9)
    everything = feedback_summary(seeded, feedback_filter())
    assert everything.counts == {"approved": 6, "rejected": 3} and everything.total == 9
    assert list(everything.sample["version_id"]) == [r.version_id for r in recs]  # oldest first
    assert (everything.balance.approved, everything.balance.not_approved) == (6, 3)
    monkeypatch.setattr(feedback, "ANALYTICS_SAMPLE", 4)
    monkeypatch.setattr(feedback, "TABLE_ROWS", 2)
    few = feedback_summary(seeded, feedback_filter())
    assert few.total == 9  # still counts every decision
    assert list(few.sample["version_id"]) == [r.version_id for r in recs[-4:]]
    assert list(few.table["version_id"]) == [r.version_id for r in recs[-2:]]
    assert set(few.table["decision"]) <= {"Approved", "Rejected"}  # in words, as shown
    # Shown to the minute: "2026-11-30 09:15", not the stored ISO stamp with microseconds.
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", t) for t in few.table["decided_at"]), few.table["decided_at"]
    rejected = feedback_summary(seeded, feedback_filter(decision="rejected"))
    assert rejected.counts == {"rejected": 3} and set(rejected.sample["decision"]) == {"rejected"}


def test_the_separation_table_says_when_reviewers_reject():
    low, high = list(METRIC_INFO)[:2]
    seps = [
        MetricSeparation(
            metric=low, n=40, n_rejected=10, direction="min", threshold=0.123456, balanced_accuracy=0.9, bands=()
        ),
        MetricSeparation(
            metric=high, n=30, n_rejected=12, direction="max", threshold=45.67, balanced_accuracy=0.7, bands=()
        ),
    ]
    table = separation_table(seps)
    assert list(table.columns) == ["metric", "rejected when", "balanced accuracy", "decisions", "meaning"]
    assert list(table["rejected when"]) == ["below 0.123", "above 45.7"]
    assert list(table["decisions"]) == [40, 30] and table.iloc[1]["meaning"] == METRIC_INFO[high][1]


def test_metric_values_per_decision_in_vocabulary_order():
    frame = pd.DataFrame(
        {"decision": ["rejected", "approved", "rejected", "approved"], "sharpness": [10.0, 60.0, np.nan, 70.0]}
    )
    values = metric_by_decision(frame, "sharpness")
    assert list(values) == ["approved", "rejected"]  # no needs_changes decision: no entry
    assert list(values["approved"]) == [60.0, 70.0] and list(values["rejected"]) == [10.0]


def _reviewers_cut(base, *, n):
    """Decisions that reject every image on the bad side of a cut below the blur rule's threshold."""
    rule = base.checks["blurry"].rules[0]
    cut = rule.warn * 0.9
    rng = np.random.default_rng(0)
    bad, good = rng.uniform(cut * 0.5, cut * 0.98, n // 2), rng.uniform(cut * 1.02, cut * 1.5, n - n // 2)
    if rule.direction == "max":
        bad, good = rng.uniform(cut * 1.02, cut * 1.5, n // 2), rng.uniform(cut * 0.5, cut * 0.98, n - n // 2)
    frame = pd.DataFrame(
        {
            rule.metric: np.concatenate([bad, good]),
            "decision": ["rejected"] * (n // 2) + ["approved"] * (n - n // 2),
            "reviewer": "rita",
            "version_id": range(n),
        }
    )
    return rule, cut, frame


def test_a_tuned_profile_follows_a_clear_cut_and_is_named(seeded):
    base = get_profile(seeded, "generic")
    rule, cut, frame = _reviewers_cut(base, n=60)
    tuned, changes = tuned_profile(seeded, frame, base="generic", name="  Blur-Tuned ")
    assert tuned.name == "blur-tuned"
    change = next(c for c in changes if c.metric == rule.metric)
    assert change.old_warn == rule.warn and change.new_warn == pytest.approx(cut, rel=0.05)
    assert tuned.checks["blurry"].rules[0].warn == change.new_warn
    default, _ = tuned_profile(seeded, frame, base="generic")
    assert default.name == "generic-tuned"


def test_too_few_decisions_move_no_threshold(seeded):
    base = get_profile(seeded, "generic")
    _, _, frame = _reviewers_cut(base, n=feedback.TUNE_MIN_DECISIONS - 1)
    tuned, changes = tuned_profile(seeded, frame, base="generic")
    assert changes == [] and tuned.checks["blurry"].rules[0].warn == base.checks["blurry"].rules[0].warn
    empty, none = tuned_profile(seeded, feedback_frame(seeded), base="generic")
    assert none == [] and empty.name == "generic-tuned"


def test_the_changes_table_lists_each_move():
    table = changes_table(
        [
            ThresholdChange(
                check="blurry",
                metric="sharpness",
                direction="min",
                old_warn=51,
                new_warn=45.2,
                balanced_accuracy=0.876,
                n=60,
            )
        ]
    )
    assert table.to_dict("records") == [
        {
            "check": "blurry",
            "metric": "sharpness",
            "was": 51,
            "suggested": 45.2,
            "balanced accuracy": 0.88,
            "decisions": 60,
        }
    ]
