"""The Feedback page's rules (core.services.feedback): its filter, what it reads, the tables it
shows, and the profile tuned to the reviewers."""

import datetime as dt
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.engine.profiles import ProfileError, profile_from_dict
from core.engine.tuning import Cut
from core.services import feedback
from core.services.feedback import (
    TUNE_MIN_EACH,
    MetricSeparation,
    Suggestion,
    TunedProfile,
    agreement_summary,
    band_table,
    changes_table,
    default_dates,
    feedback_csv,
    feedback_filter,
    feedback_frame,
    feedback_summary,
    impact_table,
    metric_by_decision,
    readable_number,
    reviewer_agreement,
    separation_table,
    tuned_profile,
    tuning_impact,
)
from core.services.profiles import get_profile, save_and_rescore
from core.services.review import record_decision
from core.store.queries import list_images, scores_for_version
from core.vocabulary import ISSUE_LABELS, METRIC_INFO


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


def test_the_table_names_issues_and_profiles_in_words_and_the_csv_keeps_the_stored_names(seeded):
    for r in list_images(seeded):  # as the Review page records them: under the profile judged
        record_decision(seeded, version_id=r.version_id, reviewer="rita", decision="approved", profile="generic")
    summary = feedback_summary(seeded, feedback_filter())
    stored = summary.sample.tail(len(summary.table))
    flagged = [i for i in stored["issues"].fillna("") if i]
    assert flagged, "the seeded samples carry issues"
    shown = set(", ".join(summary.table["issues"]).split(", ")) - {""}
    assert shown <= set(ISSUE_LABELS.values()), shown  # "Same photo as another", not near_duplicate
    assert set(summary.table["profile"]) == {"Generic web shop"}
    csv_text = feedback_csv(feedback_frame(seeded, feedback_filter())).decode("utf-8-sig")
    assert ",generic," in csv_text and flagged[0] in csv_text  # stored names, for analysis


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
    assert list(table.columns) == ["measure", "rejected when", "balanced accuracy", "decisions", "meaning", "column"]
    # Named as people read them; the data's name stays in the last column (the CSV's heading).
    assert list(table["measure"]) == ["tonal range", "noise"] and list(table["column"]) == ["contrast", "noise_sigma"]
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


def _reviewers_cut(base, *, n, reason="blurry"):
    """Decisions that reject, as ``reason``, every image on the bad side of a cut below the blur
    rule's limit (so the approved images between the cut and the limit are flagged today)."""
    rule = base.checks["blurry"].rules[0]
    cut = rule.warn * 0.9
    rng = np.random.default_rng(0)
    bad, good = rng.uniform(cut * 0.5, cut * 0.98, n // 2), rng.uniform(cut * 1.02, cut * 1.5, n - n // 2)
    frame = pd.DataFrame(
        {
            rule.metric: np.concatenate([bad, good]),
            "decision": ["rejected"] * (n // 2) + ["approved"] * (n - n // 2),
            "reasons": [reason] * (n // 2) + [""] * (n - n // 2),
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
    suggestion = next(s for s in tuned.suggestions if s.metric == rule.metric)
    assert suggestion.old_warn == rule.warn and suggestion.new_warn == pytest.approx(cut, rel=0.03)
    assert (suggestion.approved, suggestion.rejected, suggestion.cut.move) == (30, 30, "loosen")
    assert suggestion.cut.collateral == 0  # every image rejected as blurry stays flagged
    assert suggestion.new_warn == float(f"{suggestion.new_warn:.3g}")  # a limit people read: 49.5, not 49.5317
    tuned_rule = tuned.profile.checks["blurry"].rules[0]
    assert tuned_rule.ideal >= tuned_rule.warn >= tuned_rule.fail
    assert tuned.profile.checks["blurry"].rules[0].warn == suggestion.new_warn
    assert tuned_profile(seeded, frame, base="generic").profile.name == "generic-tuned"
    with pytest.raises(ProfileError) as bad:
        tuned_profile(seeded, frame, base="generic", name="=HYPERLINK(1)")
    assert str(bad.value) == (  # quoted as typed (not lower-cased), as a sentence
        "The profile name '=HYPERLINK(1)' cannot be used: use lowercase letters, digits, '-' or '_' (at most 64)."
    )


def test_rejections_for_another_reason_move_no_limit(seeded):
    """The same piles, rejected for their backdrop: sharpness did not decide them."""
    _, _, frame = _reviewers_cut(get_profile(seeded, "generic"), n=60, reason="background not white")
    tuned = tuned_profile(seeded, frame, base="generic")
    assert tuned.suggestions == []
    why = next(u.why for u in tuned.unmoved if u.check == "blurry")
    assert "30 approved and 0 rejected as 'Blurry'" in why


def test_the_walkthroughs_decisions_suggest_no_absurd_limit(seeded):
    """What a walkthrough saw: one reviewer, 55 decisions on real product photos. Products on white
    were approved; lifestyle shots were rejected for their backdrops and for small products. The
    piles differ in their brightest tones, tonal spread and hash distances, and the best cut by
    balanced accuracy moved 'Too dark' to highlights of at least 254 (was 160), 'Almost blank' to a
    tonal spread of 58.7 (was 5) and 'Same photo' to 33 bits (was 7): saved, it flagged 43 of 149
    real photos 'Almost blank'."""
    rng = np.random.default_rng(55)
    n_app, n_rej = 30, 25
    frame = pd.DataFrame(
        {
            "highlight_level": np.r_[
                np.full(n_app - 8, 255.0), rng.uniform(244, 254.9, 8), rng.uniform(175, 253, n_rej)
            ],
            "detail": np.r_[rng.uniform(45, 95, n_app), rng.uniform(20, 70, n_rej)],
            "hash_distance": np.r_[rng.uniform(26, 44, n_app), rng.uniform(18, 36, n_rej)],
            "sharpness": rng.uniform(60, 95, n_app + n_rej),
            "decision": ["approved"] * n_app + ["rejected"] * n_rej,
            "reasons": [""] * n_app + ["background not white", "product too small"] * 12 + ["other"],
            "reviewer": "rita",
            "version_id": range(n_app + n_rej),
        }
    )
    tuned = tuned_profile(seeded, frame, base="generic")
    assert tuned.suggestions == [], [(s.check, s.new_warn) for s in tuned.suggestions]
    base = get_profile(seeded, "generic")
    for check in ("dark", "low_information", "near_duplicate"):
        assert tuned.profile.checks[check] == base.checks[check]
        why = next(u.why for u in tuned.unmoved if u.check == check)
        assert "0 rejected as" in why  # in words: no rejection was about it


def test_too_few_decisions_move_no_threshold(seeded):
    base = get_profile(seeded, "generic")
    _, _, frame = _reviewers_cut(base, n=2 * TUNE_MIN_EACH - 1)  # one image short on the rejected side
    tuned = tuned_profile(seeded, frame, base="generic")
    assert tuned.suggestions == [] and tuned.profile.checks["blurry"].rules[0] == base.checks["blurry"].rules[0]
    why = next(u.why for u in tuned.unmoved if u.check == "blurry")
    assert f"{TUNE_MIN_EACH} approved and {TUNE_MIN_EACH - 1} rejected as 'Blurry'" in why
    empty = tuned_profile(seeded, feedback_frame(seeded), base="generic")
    assert empty.suggestions == [] and empty.profile.name == "generic-tuned"


def test_thirty_decisions_suggest_nothing_however_clear_the_cut(seeded):
    """What QA saw: 30 decisions moved generic's "nothing to see" threshold from 5 to 55."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "detail": np.concatenate([rng.uniform(20, 50, 12), rng.uniform(60, 90, 18)]),
            "decision": ["rejected"] * 12 + ["approved"] * 18,
            "reasons": ["nothing to see"] * 12 + [""] * 18,
            "reviewer": "rita",
            "version_id": range(30),
        }
    )
    tuned = tuned_profile(seeded, frame, base="generic")
    assert tuned.suggestions == [] and tuned.profile.checks["low_information"].rules[0].warn == 5
    why = next(u.why for u in tuned.unmoved if u.check == "low_information")
    assert "18 approved and 12 rejected as 'Almost blank'" in why


def test_an_image_two_reviewers_judged_counts_once_a_side(seeded):
    base = get_profile(seeded, "generic")
    _, _, frame = _reviewers_cut(base, n=2 * TUNE_MIN_EACH - 2)  # 19 a side
    again = frame.assign(reviewer="sam")  # a second look at the same images is not more evidence
    tuned = tuned_profile(seeded, pd.concat([frame, again], ignore_index=True), base="generic")
    why = next(u.why for u in tuned.unmoved if u.check == "blurry")
    assert "19 approved and 19 rejected" in why and tuned.suggestions == []


def test_a_switched_off_check_is_not_tuned(seeded):
    """Generic's background check is off: its "0.5" was never a rule in force, so no suggestion
    says "was 0.5"; Amazon's is on (at least 0.9), and images rejected for their backdrop
    between 0.8 and 0.9 move it."""
    n = 2 * TUNE_MIN_EACH + 10
    frame = pd.DataFrame(
        {
            "background_white": np.concatenate([np.linspace(0.90, 0.93, n // 2), np.linspace(0.96, 1.0, n // 2)]),
            "decision": ["rejected"] * (n // 2) + ["approved"] * (n // 2),
            "reasons": ["background not white"] * (n // 2) + [""] * (n // 2),
            "reviewer": "rita",
            "version_id": range(n),
        }
    )
    generic = tuned_profile(seeded, frame, base="generic")
    assert generic.switched_off == ["non_white_background"]
    assert [s for s in generic.suggestions if s.check == "non_white_background"] == []
    assert [u for u in generic.unmoved if u.check == "non_white_background"] == []
    assert (
        generic.profile.checks["non_white_background"] == get_profile(seeded, "generic").checks["non_white_background"]
    )
    amazon = tuned_profile(seeded, frame, base="amazon")
    moved = next(s for s in amazon.suggestions if s.check == "non_white_background")
    assert moved.old_warn == 0.9 and 0.93 < moved.new_warn < 0.96


def _suggestion(**cut):
    return Suggestion(
        check="low_resolution",
        metric="long_side",
        direction="min",
        old_warn=1000,
        new_warn=1436.7,
        approved=31,
        rejected=24,
        cut=Cut(**{"warn": 1436.7, "move": "tighten", "caught": 9, "wrong_before": 12, "collateral": 1, **cut}),
        reason="low resolution",
    )


def test_the_changes_table_names_each_move_and_what_it_puts_right():
    table = changes_table([_suggestion()])
    assert table.to_dict("records") == [
        {
            "check": "Low resolution",
            "measure": "long side (px)",
            "was": "at least 1000 px",
            "suggested": "at least 1436.7 px",  # as it will be saved, not rounded to 1440
            "among the decided images": "catches 9 of 12 rejected that passed; flags 1 of 31 approved",
            "approved images": 31,
            "rejected images": 24,
        }
    ]
    loosened = changes_table([_suggestion(move="loosen", caught=5, wrong_before=6, collateral=0)])
    assert loosened.loc[0, "among the decided images"] == ("clears 5 of 6 approved it flagged; clears 0 of 24 rejected")


def test_the_impact_is_what_saving_then_does(seeded):
    """The counts shown before saving, from the stored metrics, are exactly what the rescore then
    flags and clears, per check and in total (on the 20 sample images)."""
    base = get_profile(seeded, "generic")
    data = base.to_dict()
    data["name"] = "generic-tuned"
    data["checks"]["blurry"]["rules"][0].update(warn=70.0, ideal=75.0)  # flags more
    data["checks"]["dark"]["rules"][0].update(warn=120.0, fail=100.0)  # flags fewer
    profile = profile_from_dict(data)
    tuning = TunedProfile(
        profile=profile,
        base=base,
        suggestions=[replace(_suggestion(), check=check) for check in ("blurry", "dark")],
        unmoved=[],
        switched_off=[],
    )
    impact = tuning_impact(seeded, tuning)
    save_and_rescore(seeded, profile)
    flagged = {c: 0 for c in ("blurry", "dark")}
    cleared = dict(flagged)
    any_new, any_cleared = set(), set()
    versions = [r.version_id for r in list_images(seeded)]
    for vid in versions:
        scored = scores_for_version(seeded, vid)
        before, after = set(scored["generic"][1]), set(scored["generic-tuned"][1])
        for c in flagged:
            flagged[c] += c in after - before
            cleared[c] += c in before - after
        any_new |= {vid} if after - before else set()
        any_cleared |= {vid} if before - after else set()
    assert impact.total == len(versions) == 20
    assert impact.rows == [(c, flagged[c], cleared[c]) for c in ("blurry", "dark")]
    assert (impact.flagged, impact.cleared) == (len(any_new), len(any_cleared))
    assert impact.flagged > 0  # the sample images exercise it
    table = impact_table(impact)
    assert list(table["check"]) == ["Blurry", "Too dark", "Any check (of 20 image versions)"]


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


def test_agreement_counts_every_double_review_not_the_sample(seeded, monkeypatch):
    """A probe on 2,147 decisions: the page said 3 images, 0% alike, kappa -0.80 where every
    double review in the selection gave 40 images, 67.5% and 0.43. The sample is the newest
    decisions; double reviews older than it (or a pair it cuts in two) must still count."""
    recs = list_images(seeded)

    def say(rec, reviewer, decision):
        record_decision(
            seeded,
            version_id=rec.version_id,
            reviewer=reviewer,
            decision=decision,
            reasons=() if decision == "approved" else ["other"],
        )

    rita = ["approved", "rejected", "approved", "rejected", "approved"]
    sam = ["approved", "rejected", "rejected", "rejected", "rejected"]
    for rec, x, y in zip(recs[:4], rita, sam, strict=False):  # the oldest decisions: four double reviews
        say(rec, "rita", x)
        say(rec, "sam", y)
    say(recs[4], "rita", rita[4])  # a pair the sample cuts in two: rita's half is older than it
    for rec in recs[5:13]:  # then eight single reviews
        say(rec, "tom", "approved")
    say(recs[4], "sam", sam[4])
    monkeypatch.setattr(feedback, "ANALYTICS_SAMPLE", 6)
    summary = feedback_summary(seeded, feedback_filter())
    assert summary.total == 18 and len(summary.sample) == 6 and summary.sampled
    # Counted on all 18 decisions, as on the whole history: 5 images, 3 alike.
    pd.testing.assert_frame_equal(summary.agreement, reviewer_agreement(feedback_frame(seeded)))
    overall = summary.overall_agreement
    assert overall is not None and overall.images == 5 and overall.agreement == pytest.approx(0.6)
    # p_o = .6, p_e = (.6)(.2) + (.4)(.8) = .44 -> kappa .16 / .56
    assert overall.kappa == pytest.approx(0.16 / 0.56) and overall.low
    # Within the filter: one reviewer's decisions hold no pair to compare.
    assert feedback_summary(seeded, feedback_filter(reviewer="rita")).overall_agreement is None
    monkeypatch.setattr(feedback, "ANALYTICS_SAMPLE", 100)
    whole = feedback_summary(seeded, feedback_filter())
    assert not whole.sampled and whole.overall_agreement == overall
