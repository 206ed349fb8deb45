"""Limits tuned to reviewers (core.engine.tuning): a limit moves only to a real separation of
approved from rejected images, and a check flags exactly what scoring flags."""

import math

import numpy as np
import pytest

from core.engine.checks import assess_metrics
from core.engine.profiles import Rule, load_profile
from core.engine.tuning import MAX_APPROVED_SHARE, Cut, NoCut, check_flags, rule_flags, suggest_cut

GENERIC = load_profile("generic")
DARK = GENERIC.checks["dark"].rules[0]  # highlight_level at least 160
BLANK = GENERIC.checks["low_information"].rules[0]  # detail at least 5
NEAR = GENERIC.checks["near_duplicate"].rules[0]  # hash_distance at least 7
# A sharpness limit of its own (at least 55), so the piles below do not move with the profile's.
BLUR = Rule(metric="sharpness", direction="min", ideal=65, warn=55, fail=42)


def _flag_share(rule: Rule, warn: float, values: np.ndarray) -> float:
    return float(rule_flags(rule, values, warn=warn).mean())


@pytest.mark.parametrize(
    ("rule", "approved", "rejected"),
    [
        # The walkthrough's shapes: products on white (approved) against lifestyle shots rejected for
        # their backdrop. Their brightest tones, tonal spread and hash distances differ, but not in a
        # way the dark, blank or near-duplicate checks are about: the best cut by balanced accuracy
        # asked for highlights of at least 254, a tonal spread of 58.7 and 33 bits.
        (DARK, np.r_[np.full(20, 255.0), np.linspace(240, 254.5, 10)], np.linspace(180, 253, 25)),
        (BLANK, np.linspace(35, 95, 30), np.linspace(20, 60, 25)),
        (NEAR, np.linspace(20, 40, 30), np.linspace(25, 34, 25)),
    ],
    ids=["dark", "almost-blank", "near-duplicate"],
)
def test_the_walkthroughs_piles_get_no_absurd_limit(rule, approved, rejected):
    """Whatever the engine offers keeps all but 5% of the approved images passing (which images
    count as rejected for the check is the service's part: tests/core/services/test_feedback.py)."""
    old_cut = {"highlight_level": 254.0, "detail": 58.7, "hash_distance": 33.0}[rule.metric]
    assert _flag_share(rule, old_cut, approved) >= 0.3  # what the best balanced-accuracy cut flagged
    got = suggest_cut(rule, approved, rejected, rejected_as="rejected or sent back")
    if isinstance(got, NoCut):
        assert "5%" in got.why
    else:
        assert _flag_share(rule, got.warn, approved) <= MAX_APPROVED_SHARE


def test_a_clear_cut_tightens_the_limit_between_the_piles():
    approved = np.linspace(62, 95, 30)  # sharp
    rejected = np.r_[np.linspace(20, 50, 10), np.linspace(56, 60, 15)]  # 15 blurry ones pass at 55
    got = suggest_cut(BLUR, approved, rejected, rejected_as="rejected as 'blurry'")
    assert isinstance(got, Cut) and got.move == "tighten"
    assert 60 < got.warn < 62  # past the last rejected image, short of the first approved one
    assert (got.caught, got.wrong_before, got.collateral) == (15, 15, 0)


def test_a_limit_newly_flags_at_most_five_percent_of_the_approved_images():
    offered = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        approved = rng.uniform(56, 100, 200)  # none flagged today: only a tightening can help
        rejected = rng.uniform(10, 75, 60)  # overlapping piles
        got = suggest_cut(BLUR, approved, rejected, rejected_as="rejected as 'blurry'")
        if isinstance(got, Cut):
            offered += 1
            newly = rule_flags(BLUR, approved, warn=got.warn) & ~rule_flags(BLUR, approved)
            assert newly.sum() == got.collateral <= math.floor(MAX_APPROVED_SHARE * len(approved))
            caught = rule_flags(BLUR, rejected, warn=got.warn) & ~rule_flags(BLUR, rejected)
            assert caught.sum() == got.caught >= 3
    assert offered  # the rule is exercised, not only refused


def test_a_cut_that_catches_too_few_rejected_images_is_not_offered():
    approved = np.r_[np.linspace(57, 95, 30)]
    rejected = np.r_[np.linspace(55.5, 56.5, 2), np.linspace(70, 90, 28)]  # 2 of 30 separable
    got = suggest_cut(BLUR, approved, rejected, rejected_as="rejected as 'blurry'")
    assert isinstance(got, NoCut) and "only 2 of the 30 images rejected as 'blurry'" in got.why


def test_approved_images_the_rule_flags_loosen_it_when_the_rejected_stay_flagged():
    approved = np.linspace(45, 90, 30)  # a third of them flagged at 55, yet approved
    rejected = np.linspace(10, 40, 25)
    got = suggest_cut(BLUR, approved, rejected, rejected_as="rejected as 'blurry'")
    assert isinstance(got, Cut) and got.move == "loosen"
    assert 40 < got.warn < 45 and got.collateral == 0
    assert got.caught == got.wrong_before == int((approved < 55).sum())


def test_a_limit_that_already_agrees_stays():
    got = suggest_cut(BLUR, np.linspace(60, 90, 30), np.linspace(10, 50, 25), rejected_as="rejected as 'blurry'")
    assert isinstance(got, NoCut) and "already flags every image rejected as 'blurry'" in got.why


def test_check_flags_are_what_scoring_reports():
    """Over random metrics (some missing), every generic check flags exactly the images that
    assess_metrics reports it on: the impact shown before saving is what the rescore does."""
    rng = np.random.default_rng(7)
    n = 400
    metrics = {m for spec in GENERIC.checks.values() for m in (r.metric for r in spec.rules)}
    columns = {}
    for spec in GENERIC.checks.values():
        for r in spec.rules:
            lo, hi = sorted((r.fail, r.ideal))
            pad = (hi - lo) or 1.0
            values = rng.uniform(lo - pad, hi + pad, n)
            values[rng.random(n) < 0.1] = np.nan
            columns[r.metric] = values
    columns["exact_duplicate"] = (rng.random(n) < 0.2).astype(float)
    metrics.add("exact_duplicate")
    # A profile with the generic background check switched on too.
    data = GENERIC.to_dict()
    data["checks"]["non_white_background"]["enabled"] = True
    from core.engine.profiles import profile_from_dict

    for profile in (GENERIC, profile_from_dict(data)):
        for issue, spec in profile.checks.items():
            got = check_flags(spec, columns, n)
            want = [
                issue in assess_metrics({m: float(columns[m][i]) for m in metrics}, profile).issue_names
                for i in range(n)
            ]
            assert got.tolist() == want, issue


def test_check_flags_on_a_small_catalogue():
    spec = GENERIC.checks["compression_artifacts"]  # jpeg_quality at least 60, blockiness at most 4
    columns = {"jpeg_quality": np.array([90, 50, np.nan, 95, 30]), "blockiness": np.array([1, 1, 6, np.nan, 9])}
    assert check_flags(spec, columns, 5).tolist() == [False, True, True, False, True]
    assert check_flags(GENERIC.checks["non_white_background"], {}, 3).tolist() == [False] * 3  # switched off


def test_a_suggested_limit_is_never_rounded_onto_a_neighbour():
    """Midway between 59.405 (rejected) and 59.487 (approved) is 59.446: written with three digits
    it is 59.4, below the rejected image it was meant to flag. The limit keeps a fourth digit."""
    cut = suggest_cut(
        BLUR, np.r_[59.487, np.linspace(62, 90, 12)], np.r_[np.linspace(54, 58.5, 5), 59.405], rejected_as="x"
    )
    assert isinstance(cut, Cut) and cut.caught == cut.wrong_before == 5 and cut.collateral == 0
    assert 59.405 < cut.warn < 59.487 and cut.warn == 59.45
