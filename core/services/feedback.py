"""The Feedback page and ``export``: reviewers' decisions as a table or CSV, and what they say
about the metrics (separation, agreement, thresholds tuned to them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pandas as pd

from core.store.analytics import (
    MetricSeparation,
    ThresholdChange,
    metric_separation,
    reviewer_agreement,
    separations,
    suggest_profile,
)
from core.store.feedback import FeedbackFilter, feedback_choices, feedback_count, feedback_csv, feedback_frame

__all__ = [
    "ANALYTICS_SAMPLE",
    "MIN_EACH",
    "TABLE_ROWS",
    "DecisionBalance",
    "FeedbackFilter",
    "MetricSeparation",
    "ThresholdChange",
    "decision_balance",
    "feedback_choices",
    "feedback_count",
    "feedback_csv",
    "feedback_frame",
    "metric_separation",
    "reviewer_agreement",
    "separations",
    "suggest_profile",
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
