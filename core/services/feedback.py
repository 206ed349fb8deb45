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
from core.store.feedback import FeedbackFilter, feedback_csv, feedback_frame

__all__ = [
    "MIN_EACH",
    "DecisionBalance",
    "FeedbackFilter",
    "MetricSeparation",
    "ThresholdChange",
    "decision_balance",
    "feedback_csv",
    "feedback_frame",
    "metric_separation",
    "reviewer_agreement",
    "separations",
    "suggest_profile",
]

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
