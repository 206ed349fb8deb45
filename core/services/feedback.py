"""The Feedback page and ``export``: reviewers' decisions as a table or CSV, and what they say
about the metrics (separation, agreement, thresholds tuned to them)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pandas as pd

from core.engine.profiles import Profile, profile_from_dict
from core.services.profiles import get_profile
from core.store.analytics import (
    MetricSeparation,
    ThresholdChange,
    metric_separation,
    reviewer_agreement,
    separations,
    suggest_profile,
)
from core.store.database import Store
from core.store.feedback import FeedbackFilter, feedback_choices, feedback_count, feedback_csv, feedback_frame
from core.vocabulary import DECISIONS, METRIC_INFO, decision_label

__all__ = [
    "ANALYTICS_SAMPLE",
    "DEFAULT_DAYS",
    "LOW_AGREEMENT_KAPPA",
    "MIN_EACH",
    "TABLE_ROWS",
    "TUNE_MIN_ACCURACY",
    "TUNE_MIN_EACH",
    "AgreementSummary",
    "DecisionBalance",
    "FeedbackFilter",
    "FeedbackSummary",
    "MetricSeparation",
    "Suggestion",
    "ThresholdChange",
    "TunedProfile",
    "agreement_summary",
    "band_table",
    "changes_table",
    "decision_balance",
    "default_dates",
    "feedback_choices",
    "feedback_count",
    "feedback_csv",
    "feedback_filter",
    "feedback_frame",
    "feedback_summary",
    "metric_axis_title",
    "metric_by_decision",
    "metric_separation",
    "metric_unit",
    "metric_value",
    "readable_number",
    "reviewer_agreement",
    "separation_table",
    "separations",
    "suggest_profile",
    "tuned_profile",
]

#: The Feedback page reads at most this many decisions (the newest) for its table; the CSV
#: download holds every decision that passes the filters (built only when clicked).
TABLE_ROWS: Final = 500

#: The analytics (separations, agreement, tuned thresholds) learn from at most this many of the
#: newest decisions passing the filters, so the page opens quickly on a history of any length.
ANALYTICS_SAMPLE: Final = 2000

#: Decisions needed on each side (approved; rejected or sent back) before the analytics speak:
#: below this a "perfect" threshold is just luck.
MIN_EACH: Final = 5

#: The Feedback page opens on the decisions of the last this many days.
DEFAULT_DAYS: Final = 30

#: A threshold is suggested only where its metric was measured on at least this many approved
#: images and this many rejected (or sent back) ones. Saving a suggestion rescores the whole
#: catalogue, and a cut found in a handful of decisions is mostly where those few images happen to
#: lie (30 decisions moved generic's "nothing to see" threshold from 5 to 55); with 20 a side, one
#: image more or less on either side moves the balanced accuracy by at most 2.5 points.
TUNE_MIN_EACH: Final = 20

#: ... and only where that metric reproduces the decisions with at least this balanced accuracy,
#: in the rule's direction.
TUNE_MIN_ACCURACY: Final = 0.65

#: Below this Cohen's kappa (pooled over the pairs of reviewers) the reviewers agree only "fairly"
#: or worse (Landis and Koch): thresholds that follow their decisions may follow one reviewer's
#: taste, and the page says so before anyone saves them.
LOW_AGREEMENT_KAPPA: Final = 0.4


@dataclass(frozen=True, kw_only=True, slots=True)
class DecisionBalance:
    approved: int
    not_approved: int

    @property
    def enough(self) -> bool:
        """Whether there are at least :data:`MIN_EACH` decisions on each side to learn from."""
        return self.approved >= MIN_EACH and self.not_approved >= MIN_EACH


def decision_balance(frame: pd.DataFrame) -> DecisionBalance:
    """Approved vs rejected-or-sent-back decisions in a feedback frame."""
    approved = int((frame["decision"] == "approved").sum())
    return DecisionBalance(approved=approved, not_approved=len(frame) - approved)


def default_dates(today: dt.date) -> tuple[dt.date, dt.date]:
    """The date range the Feedback page opens on: the last :data:`DEFAULT_DAYS` days, today included."""
    return today - dt.timedelta(days=DEFAULT_DAYS), today


def feedback_filter(
    *,
    dates: Sequence[dt.date] | dt.date | None = None,
    reviewer: str | None = None,
    merchant_id: str | None = None,
    decision: str | None = None,
    profile: str | None = None,
    include_history: bool = False,
) -> FeedbackFilter:
    """The Feedback page's choices as a filter; ``None`` (or nothing) means any.

    ``dates`` is what a date-range picker holds: two days (from, to, both whole days), one day
    (while the range is being picked: that day only), or nothing (any date).
    """
    days = [dates] if isinstance(dates, dt.date) else list(dates or ())
    start, end = (days[0], days[-1]) if days else (None, None)
    return FeedbackFilter(
        date_from=start.isoformat() if start else None,
        date_to=end.isoformat() if end else None,
        reviewer=reviewer or None,
        merchant_id=merchant_id or None,
        decision=decision or None,
        profile=profile or None,
        include_history=include_history,
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class FeedbackSummary:
    """The decisions passing a filter: how many of each (``counts``, all of them, counted in the
    database) and ``sample``, the newest :data:`ANALYTICS_SAMPLE` of them, oldest first, that the
    table shows (its newest :data:`TABLE_ROWS`) and the analytics learn from."""

    counts: dict[str, int]
    sample: pd.DataFrame

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def table(self) -> pd.DataFrame:
        """The newest :data:`TABLE_ROWS` decisions, oldest first, as shown: the decision time to
        the minute ("2026-11-30 09:15", UTC) rather than the stored ISO stamp with microseconds,
        the decision in words ("Needs changes") and its reasons as a list ("blurry, too dark")."""
        table = self.sample.tail(TABLE_ROWS).copy()
        table["decided_at"] = table["decided_at"].astype(str).str.slice(0, 16).str.replace("T", " ", regex=False)
        table["decision"] = [decision_label(d) for d in table["decision"]]
        table["reasons"] = table["reasons"].fillna("").str.replace(";", ", ", regex=False)
        return table

    @property
    def balance(self) -> DecisionBalance:
        """Approved against rejected-or-sent-back decisions in the sample."""
        return decision_balance(self.sample)


def feedback_summary(store: Store, flt: FeedbackFilter) -> FeedbackSummary:
    """What the Feedback page shows for ``flt``, read so that it opens quickly on a history of any
    length (the CSV of every matching decision is built only when downloaded: :func:`feedback_csv`)."""
    newest = feedback_frame(store, flt, limit=ANALYTICS_SAMPLE, newest_first=True)
    return FeedbackSummary(counts=feedback_count(store, flt), sample=newest.iloc[::-1].reset_index(drop=True))


def readable_number(value: float, *, digits: int = 3) -> str:
    """``value`` as people read it: ``digits`` significant digits, never e-notation, and whole
    numbers from 100 up without decimals (1436.7 -> "1440", 0.017834 -> "0.0178"); "n/a" for NaN."""
    if math.isnan(value):
        return "n/a"
    if value == 0 or math.isinf(value):
        return f"{value:g}".replace("inf", "∞")
    rounded = float(f"{value:.{digits}g}")
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(rounded))))
    text = f"{rounded:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def metric_unit(metric: str) -> str:
    """The unit of ``metric`` from :data:`~core.vocabulary.METRIC_INFO` ("px", "MB", "grey levels"),
    or "" where it gives only a range ("0-1", "0-255"): a range is not a unit to print after a value."""
    parts = METRIC_INFO[metric][0].split(", ") if metric in METRIC_INFO else []
    return next((p for p in parts if p[:1].isalpha()), "")


def metric_value(value: float, *, metric: str) -> str:
    """A value of ``metric`` with its unit, if it has one: "1440 px", "0.0178 MB", "0.545"."""
    unit = metric_unit(metric)
    return f"{readable_number(value)} {unit}" if unit else readable_number(value)


def metric_axis_title(metric: str) -> str:
    """A chart axis for ``metric``: its name and unit, "long_side (px)"."""
    unit = metric_unit(metric)
    return f"{metric} ({unit})" if unit else metric


def separation_table(seps: Sequence[MetricSeparation]) -> pd.DataFrame:
    """One row per metric: when reviewers reject (below or above the best cut), how well that
    cut reproduces their decisions, on how many decisions, and what the metric means."""
    return pd.DataFrame(
        [
            {
                "metric": s.metric,
                "rejected when": ("below " if s.direction == "min" else "above ")
                + metric_value(s.threshold, metric=s.metric),
                "balanced accuracy": s.balanced_accuracy,
                "decisions": s.n,
                "meaning": METRIC_INFO[s.metric][1],
            }
            for s in seps
        ]
    )


def _edge_labels(edges: Sequence[float]) -> list[str]:
    """Band edges at three significant digits, or more where that would print two edges alike
    (a chart shows two bars with one label as one)."""
    for digits in range(3, 10):
        labels = [readable_number(e, digits=digits) for e in edges]
        if len(set(labels)) == len(labels):
            return labels
    return [repr(float(e)) for e in edges]


def band_table(sep: MetricSeparation) -> pd.DataFrame:
    """The bands of ``sep`` as the rejection chart draws them, lowest first: "band" ("960–1440"),
    "decisions", "not approved" (the share; NaN for a band without decisions) and "text" for the bar.

    :func:`metric_separation` leaves out a band no decision fell in; it is put back here, saying
    so, so an empty band reads differently from one where every image was approved ("0%").
    """
    bands: list[tuple[float, float, int, float]] = []
    for band in sep.bands:
        if bands and bands[-1][1] < band[0]:
            bands.append((bands[-1][1], band[0], 0, math.nan))
        bands.append(band)
    edges = [lo for lo, *_ in bands] + [bands[-1][1]] if bands else []
    labels = _edge_labels(edges)
    return pd.DataFrame(
        [
            {
                "band": f"{lo}–{hi}",
                "decisions": n,
                "not approved": rate,
                "text": f"{rate:.0%} of {n}" if n else "no decisions",
            }
            for (lo, hi), (_, _, n, rate) in zip(itertools.pairwise(labels), bands, strict=True)
        ],
        columns=["band", "decisions", "not approved", "text"],
    )


def metric_by_decision(frame: pd.DataFrame, metric: str) -> dict[str, pd.Series]:
    """The values of ``metric`` for each decision that has any, in the order of
    :data:`core.vocabulary.DECISIONS` (missing values left out)."""
    out = {}
    for decision in DECISIONS:
        values = frame.loc[frame["decision"] == decision, metric].dropna()
        if len(values):
            out[decision] = values
    return out


def _images_each_side(frame: pd.DataFrame, metric: str) -> DecisionBalance:
    """Images measured on ``metric`` that were approved, and that were rejected or sent back (an
    image two reviewers judged counts once a side: a second look is not a second image)."""
    measured = frame.loc[frame[metric].notna()] if metric in frame.columns else frame.iloc[:0]
    approved = measured["decision"] == "approved"
    if "version_id" not in measured.columns:
        return DecisionBalance(approved=int(approved.sum()), not_approved=int((~approved).sum()))
    return DecisionBalance(
        approved=measured.loc[approved, "version_id"].nunique(),
        not_approved=measured.loc[~approved, "version_id"].nunique(),
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Suggestion:
    """A threshold the reviewers' decisions would move, and the images it rests on."""

    change: ThresholdChange
    approved: int
    rejected: int

    @property
    def enough(self) -> bool:
        """Whether it rests on at least :data:`TUNE_MIN_EACH` images on each side."""
        return self.approved >= TUNE_MIN_EACH and self.rejected >= TUNE_MIN_EACH


@dataclass(frozen=True, kw_only=True, slots=True)
class TunedProfile:
    """A profile tuned to the reviewers: ``suggestions`` are the moves made in ``profile``;
    ``held_back`` those the decisions point to but too few images support (left as they were);
    ``switched_off`` the base profile's checks that are off, whose thresholds are not tuned (a
    threshold there scores nothing, and turning a check on is not a threshold's move)."""

    profile: Profile
    suggestions: list[Suggestion]
    held_back: list[Suggestion]
    switched_off: list[str]


def tuned_profile(store: Store, frame: pd.DataFrame, *, base: str, name: str = "") -> TunedProfile:
    """Profile ``base`` with the thresholds that the decisions in ``frame`` clearly contradict moved
    to the reviewers' cut, named ``name`` in lower case (default ``<base>-tuned``).

    A threshold moves only on an enabled check whose metric predicts the decisions (at least
    :data:`TUNE_MIN_ACCURACY`, in the rule's direction) on at least :data:`TUNE_MIN_EACH` approved
    and as many rejected images. :class:`ProfileError` for an unusable name.
    """
    start = get_profile(store, base)
    name = name.strip().lower() or f"{base}-tuned"
    # Every candidate (no minimum count here), so the page can say which were held back and why.
    candidate, changes = suggest_profile(start, frame, name=name, min_decisions=0, min_accuracy=TUNE_MIN_ACCURACY)
    switched_off = [issue for issue, spec in start.checks.items() if not spec.enabled]
    offered: list[Suggestion] = []
    held_back: list[Suggestion] = []
    for change in changes:
        if change.check in switched_off:
            continue
        sides = _images_each_side(frame, change.metric)
        suggestion = Suggestion(change=change, approved=sides.approved, rejected=sides.not_approved)
        (offered if suggestion.enough else held_back).append(suggestion)
    moved = {(s.change.check, s.change.metric) for s in offered}
    data = candidate.to_dict()
    for issue, spec in start.checks.items():  # what is not offered keeps the base profile's rule
        data["checks"][issue]["rules"] = [
            tuned if (issue, rule.metric) in moved else rule.to_dict()
            for rule, tuned in zip(spec.rules, data["checks"][issue]["rules"], strict=True)
        ]
    return TunedProfile(
        profile=profile_from_dict(data, source="suggested"),
        suggestions=offered,
        held_back=held_back,
        switched_off=switched_off,
    )


def changes_table(suggestions: Sequence[Suggestion]) -> pd.DataFrame:
    """The threshold changes of a tuned profile, one row each, as the Feedback page lists them:
    the warning threshold before and after, with its unit, and the images it rests on."""

    def rule(direction: str, value: float, metric: str) -> str:
        return f"{'at least' if direction == 'min' else 'at most'} {metric_value(value, metric=metric)}"

    return pd.DataFrame(
        [
            {
                "check": s.change.check,
                "metric": s.change.metric,
                "was": rule(s.change.direction, s.change.old_warn, s.change.metric),
                "suggested": rule(s.change.direction, s.change.new_warn, s.change.metric),
                "approved images": s.approved,
                "rejected images": s.rejected,
                "decisions": s.change.n,
                "balanced accuracy": round(s.change.balanced_accuracy, 2),
            }
            for s in suggestions
        ],
        columns=[
            "check",
            "metric",
            "was",
            "suggested",
            "approved images",
            "rejected images",
            "decisions",
            "balanced accuracy",
        ],
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class AgreementSummary:
    """How far reviewers agree, over every pair: ``images`` judged by two of them, the share of
    those they decided alike, and Cohen's kappa (both weighted by each pair's images)."""

    images: int
    agreement: float
    kappa: float

    @property
    def low(self) -> bool:
        """Whether the kappa is below :data:`LOW_AGREEMENT_KAPPA`."""
        return self.kappa < LOW_AGREEMENT_KAPPA


def agreement_summary(agreement: pd.DataFrame) -> AgreementSummary | None:
    """:func:`reviewer_agreement`'s pairs in one figure; ``None`` when no image was judged twice."""
    pairs = agreement.dropna(subset=["kappa"])
    images = int(pairs["images"].sum()) if len(pairs) else 0
    if images == 0:
        return None
    weights = pairs["images"] / images
    return AgreementSummary(
        images=images,
        agreement=float((pairs["agreement"] * weights).sum()),
        kappa=float((pairs["kappa"] * weights).sum()),
    )
