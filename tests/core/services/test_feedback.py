"""The Feedback page's rules (core.services.feedback): its filter, what it reads, the tables it
shows, and the profile tuned to the reviewers."""

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from core.services import feedback
from core.services.feedback import (
    TUNE_MIN_EACH,
    MetricSeparation,
    Suggestion,
    ThresholdChange,
    agreement_summary,
    band_table,
    changes_table,
    default_dates,
    feedback_filter,
    feedback_frame,
    feedback_summary,
    metric_by_decision,
    readable_number,
    reviewer_agreement,
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
    seps = [
        MetricSeparation(
            metric="contrast", n=40, n_rejected=10, direction="min", threshold=0.123456, balanced_accuracy=0.9, bands=()
        ),
        MetricSeparation(
            metric="noise_sigma", n=30, n_rejected=12, direction="max", threshold=45.67, balanced_accuracy=0.7, bands=()
        ),
    ]
    table = separation_table(seps)
    assert list(table.columns) == ["metric", "rejected when", "balanced accuracy", "decisions", "meaning"]
    # With the metric's unit where it has one ("0-1" is a range, not a unit).
    assert list(table["rejected when"]) == ["below 0.123", "above 45.7 grey levels"]
    assert list(table["decisions"]) == [40, 30] and table.iloc[1]["meaning"] == METRIC_INFO["noise_sigma"][1]


def test_numbers_read_as_people_write_them():
    """QA saw "960-1.44e+03" on a chart and "file_mb below 0.0178": three significant digits,
    never e-notation, whole numbers from 100 up."""
    cases = {1436.7: "1440", 960.0: "960", 0.017834: "0.0178", 0.0000966: "0.0000966", 45.67: "45.7", 5.0: "5"}
    assert {v: readable_number(v) for v in cases} == cases
    assert readable_number(123456.0) == "123000" and readable_number(-0.5) == "-0.5" and readable_number(0.0) == "0"
    assert readable_number(float("nan")) == "n/a"
    seps = [
        MetricSeparation(metric=m, n=40, n_rejected=10, direction="min", threshold=t, balanced_accuracy=0.9, bands=())
        for m, t in (("file_mb", 0.017834), ("long_side", 1436.7))
    ]
    assert list(separation_table(seps)["rejected when"]) == ["below 0.0178 MB", "below 1440 px"]


def _sep(metric, bands):
    return MetricSeparation(
        metric=metric,
        n=sum(b[2] for b in bands),
        n_rejected=1,
        direction="min",
        threshold=1.0,
        balanced_accuracy=0.7,
        bands=bands,
    )


def test_the_rejection_bands_read_plainly_and_keep_empty_and_zero_bands():
    # What metric_separation gives: a band no decision fell in (1590-1600) is left out of it.
    sep = _sep("long_side", ((960.0, 1436.7, 4, 0.5), (1436.7, 1590.2, 3, 0.0), (1600.0, 2400.0, 5, 0.2)))
    table = band_table(sep)
    assert list(table["band"]) == ["960\u20131440", "1440\u20131590", "1590\u20131600", "1600\u20132400"]
    assert list(table["decisions"]) == [4, 3, 0, 5]
    # All approved is a 0% bar; no decision at all says so.
    assert list(table["text"]) == ["50% of 4", "0% of 3", "no decisions", "20% of 5"]
    assert table["not approved"].isna().tolist() == [False, False, True, False]


def test_band_labels_take_more_digits_only_where_three_would_repeat_one():
    table = band_table(_sep("aspect_ratio", ((1.0, 1.5, 13, 0.4), (1.5, 1.5033, 5, 0.8))))
    assert list(table["band"]) == ["1\u20131.5", "1.5\u20131.503"]  # not two bars labelled "1.5"
    assert band_table(_sep("contrast", ())).empty


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
    tuned = tuned_profile(seeded, frame, base="generic", name="  Blur-Tuned ")
    assert tuned.profile.name == "blur-tuned"
    suggestion = next(s for s in tuned.suggestions if s.change.metric == rule.metric)
    change = suggestion.change
    assert change.old_warn == rule.warn and change.new_warn == pytest.approx(cut, rel=0.05)
    assert (suggestion.approved, suggestion.rejected, change.n) == (30, 30, 60)
    assert tuned.profile.checks["blurry"].rules[0].warn == change.new_warn
    assert tuned_profile(seeded, frame, base="generic").profile.name == "generic-tuned"


def test_too_few_decisions_move_no_threshold(seeded):
    base = get_profile(seeded, "generic")
    _, _, frame = _reviewers_cut(base, n=2 * TUNE_MIN_EACH - 1)  # one image short on the approved side
    tuned = tuned_profile(seeded, frame, base="generic")
    assert tuned.suggestions == [] and tuned.profile.checks["blurry"].rules[0] == base.checks["blurry"].rules[0]
    held = next(s for s in tuned.held_back if s.change.check == "blurry")
    assert (held.approved, held.rejected) == (TUNE_MIN_EACH, TUNE_MIN_EACH - 1)
    empty = tuned_profile(seeded, feedback_frame(seeded), base="generic")
    assert empty.suggestions == [] and empty.profile.name == "generic-tuned"


def test_thirty_decisions_suggest_nothing_however_clear_the_cut(seeded):
    """What QA saw: 30 decisions moved generic's "nothing to see" threshold from 5 to 55."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "detail": np.concatenate([rng.uniform(20, 50, 12), rng.uniform(60, 90, 18)]),
            "decision": ["rejected"] * 12 + ["approved"] * 18,
            "reviewer": "rita",
            "version_id": range(30),
        }
    )
    tuned = tuned_profile(seeded, frame, base="generic")
    assert tuned.suggestions == [] and tuned.profile.checks["low_information"].rules[0].warn == 5
    assert [(s.change.check, s.approved, s.rejected) for s in tuned.held_back] == [("low_information", 18, 12)]


def test_an_image_two_reviewers_judged_counts_once_a_side(seeded):
    base = get_profile(seeded, "generic")
    _, _, frame = _reviewers_cut(base, n=2 * TUNE_MIN_EACH - 2)  # 19 a side
    again = frame.assign(reviewer="sam")  # a second look at the same images is not more evidence
    tuned = tuned_profile(seeded, pd.concat([frame, again], ignore_index=True), base="generic")
    held = next(s for s in tuned.held_back if s.change.check == "blurry")
    assert (held.approved, held.rejected, held.change.n) == (19, 19, 76) and tuned.suggestions == []


def test_a_switched_off_check_is_not_tuned(seeded):
    """Generic's background check is off: its "0.5" was never a rule in force, so no suggestion
    says "was 0.5"; Amazon's is on, and is tuned."""
    n = 2 * TUNE_MIN_EACH + 10
    frame = pd.DataFrame(
        {
            "background_white": np.concatenate([np.linspace(0.1, 0.7, n // 2), np.linspace(0.8, 1.0, n // 2)]),
            "decision": ["rejected"] * (n // 2) + ["approved"] * (n // 2),
            "reviewer": "rita",
            "version_id": range(n),
        }
    )
    generic = tuned_profile(seeded, frame, base="generic")
    assert generic.switched_off == ["non_white_background"]
    assert [s for s in generic.suggestions + generic.held_back if s.change.check == "non_white_background"] == []
    assert (
        generic.profile.checks["non_white_background"] == get_profile(seeded, "generic").checks["non_white_background"]
    )
    amazon = tuned_profile(seeded, frame, base="amazon")
    moved = next(s for s in amazon.suggestions if s.change.check == "non_white_background")
    assert moved.change.old_warn == 0.9 and 0.7 <= moved.change.new_warn <= 0.8


def test_the_changes_table_lists_each_move_and_what_it_rests_on():
    change = ThresholdChange(
        check="low_resolution",
        metric="long_side",
        direction="min",
        old_warn=1000,
        new_warn=1436.7,
        balanced_accuracy=0.876,
        n=60,
    )
    table = changes_table([Suggestion(change=change, approved=31, rejected=24)])
    assert table.to_dict("records") == [
        {
            "check": "low_resolution",
            "metric": "long_side",
            "was": "at least 1000 px",
            "suggested": "at least 1440 px",
            "approved images": 31,
            "rejected images": 24,
            "decisions": 60,
            "balanced accuracy": 0.88,
        }
    ]


def test_agreement_in_one_figure_and_when_it_is_low():
    def frame(sam):
        rita = ["approved", "rejected"] * 4
        return pd.DataFrame(
            {
                "reviewer": ["rita"] * 8 + ["sam"] * 8,
                "version_id": list(range(8)) * 2,
                "decision": rita + sam,
            }
        )

    same = agreement_summary(reviewer_agreement(frame(["approved", "rejected"] * 4)))
    assert same is not None and (same.images, same.agreement, same.kappa, same.low) == (8, 1.0, 1.0, False)
    # Sam agrees on half the images, as chance would: kappa 0, which QA saw next to a suggestion.
    coin = agreement_summary(reviewer_agreement(frame(["approved", "approved", "rejected", "rejected"] * 2)))
    assert coin is not None and coin.agreement == 0.5 and coin.kappa == pytest.approx(0.0) and coin.low
    only_rita = frame(["approved"] * 8).query("reviewer == 'rita'")
    assert agreement_summary(reviewer_agreement(only_rita)) is None  # nobody judged an image twice
