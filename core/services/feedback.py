"""The Feedback page and ``export``: reviewers' decisions as a table or CSV, and what they say
about the metrics (separation, agreement, thresholds tuned to them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pandas as pd

from core.engine.profiles import Profile
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
    "MIN_EACH",
    "TABLE_ROWS",
    "TUNE_MIN_ACCURACY",
    "TUNE_MIN_DECISIONS",
    "DecisionBalance",
    "FeedbackFilter",
    "FeedbackSummary",
    "MetricSeparation",
    "ThresholdChange",
    "changes_table",
    "decision_balance",
    "default_dates",
    "feedback_choices",
    "feedback_count",
    "feedback_csv",
    "feedback_filter",
    "feedback_frame",
    "feedback_summary",
    "metric_by_decision",
    "metric_separation",
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

#: A threshold follows the reviewers only where its metric has at least this many decisions and
#: predicts them with at least this balanced accuracy, in the rule's direction.
TUNE_MIN_DECISIONS: Final = 10
TUNE_MIN_ACCURACY: Final = 0.65


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
        and the decision in words ("Needs changes")."""
        table = self.sample.tail(TABLE_ROWS).copy()
        table["decided_at"] = table["decided_at"].astype(str).str.slice(0, 16).str.replace("T", " ", regex=False)
        table["decision"] = [decision_label(d) for d in table["decision"]]
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


def separation_table(seps: Sequence[MetricSeparation]) -> pd.DataFrame:
    """One row per metric: when reviewers reject (below or above the best cut), how well that
    cut reproduces their decisions, on how many decisions, and what the metric means."""
    return pd.DataFrame(
        [
            {
                "metric": s.metric,
                "rejected when": f"{'below' if s.direction == 'min' else 'above'} {s.threshold:.3g}",
                "balanced accuracy": s.balanced_accuracy,
                "decisions": s.n,
                "meaning": METRIC_INFO[s.metric][1],
            }
            for s in seps
        ]
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


def tuned_profile(
    store: Store, frame: pd.DataFrame, *, base: str, name: str = ""
) -> tuple[Profile, list[ThresholdChange]]:
    """Profile ``base`` with the thresholds that the decisions in ``frame`` clearly contradict moved
    to the reviewers' cut (see :data:`TUNE_MIN_DECISIONS`), named ``name`` in lower case (default
    ``<base>-tuned``), and the changes made. :class:`ProfileError` for an unusable name."""
    return suggest_profile(
        get_profile(store, base),
        frame,
        name=name.strip().lower() or f"{base}-tuned",
        min_decisions=TUNE_MIN_DECISIONS,
        min_accuracy=TUNE_MIN_ACCURACY,
    )


def changes_table(changes: Sequence[ThresholdChange]) -> pd.DataFrame:
    """The threshold changes of a tuned profile, one row each, as the Feedback page lists them."""
    return pd.DataFrame(
        [
            {
                "check": ch.check,
                "metric": ch.metric,
                "was": ch.old_warn,
                "suggested": ch.new_warn,
                "balanced accuracy": round(ch.balanced_accuracy, 2),
                "decisions": ch.n,
            }
            for ch in changes
        ]
    )
