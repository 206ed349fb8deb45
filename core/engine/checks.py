"""Turn metrics into issues and one explainable 0-100 quality score under a profile.

Scoring. Each enabled check converts its worst rule breach ``b`` (0 at the rule's ideal, 1 at
its error threshold) into a penalty ``p = weight * s(b)``, with ``s(b) = 0.6 b^2`` up to the error
threshold and ``1 - 0.4 exp(-0.8 (b - 1))`` beyond it: zero while the metric is on the good side
of ideal, small just past ideal, 60% of the weight at the error threshold, and still rising
well beyond it, so a worse defect always costs more. The score is ``100 * prod(1 - p)``, so it falls
steadily as any defect worsens and never goes below zero. The points each check costs are the
total loss split in proportion to ``-log(1 - p)``, so they add up exactly to ``100 - score``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from core.engine.profiles import CheckSpec, Profile, Rule
from core.engine.wording import format_against, format_value, rule_text
from core.vocabulary import METRIC_INFO, metric_title

__all__ = ["Issue", "MetricLine", "ScoreResult", "assess_metrics", "metric_report"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    """One failed check, worded for a merchant."""

    name: str
    severity: Literal["error", "warning"]
    metric: str
    value: float
    threshold: float
    message: str
    fix: tuple[str, ...]
    points: float

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["fix"] = list(self.fix)
        return d


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """Issues found, the score, and the points each check cost (summing to 100 - score)."""

    score: float
    issues: tuple[Issue, ...]
    contributions: dict[str, float]

    @property
    def issue_names(self) -> list[str]:
        return [i.name for i in self.issues]


def _severity_curve(b: float) -> float:
    """0 at b = 0, 0.6 at b = 1 (error threshold), approaching 1 as b grows; continuous, increasing."""
    if b <= 1.0:
        return 0.6 * b * b
    return 1.0 - 0.4 * math.exp(-0.8 * (b - 1.0))


def _penalty(spec: CheckSpec, metrics: dict[str, float]) -> tuple[float, Rule | None, float]:
    """(penalty, worst rule, its value) for one check; rules whose metric is missing/NaN are skipped."""
    worst: tuple[float, Rule | None, float] = (0.0, None, math.nan)
    worst_breach = -1.0
    for rule in spec.rules:
        value = metrics.get(rule.metric, math.nan)
        if value is None or math.isnan(value):
            continue
        b = rule.breach(value)
        # Prefer a rule that is actually breached (has a severity) when breaches tie.
        rank = b + (1e-9 if rule.severity(value) else 0.0)
        if rank > worst_breach:
            worst_breach = rank
            worst = (spec.weight * _severity_curve(b), rule, value)
    return worst


def assess_metrics(metrics: dict[str, float], profile: Profile, *, other: str = "") -> ScoreResult:
    """Apply ``profile``'s checks to ``metrics``.

    Parameters
    ----------
    metrics : dict
        Metric name -> value, as from :func:`core.engine.measures.measure`, plus ``exact_duplicate`` and
        ``hash_distance`` where duplicate detection ran. Missing or NaN metrics skip their rule.
    profile : Profile
    other : str, keyword-only
        The name of the earlier image a duplicate repeats, for the ``{other}`` in messages.

    Returns
    -------
    ScoreResult
    """
    penalties: dict[str, float] = {}
    found: list[tuple[Issue, float]] = []
    exact_dup = metrics.get("exact_duplicate", 0.0) == 1.0
    for name, spec in profile.checks.items():
        if not spec.enabled:
            continue
        if name == "near_duplicate" and exact_dup:
            continue  # an identical file is a duplicate, not also a near one
        p, rule, value = _penalty(spec, metrics)
        if rule is None:
            continue
        if p > 0:
            penalties[name] = p
        severity = rule.severity(value)
        if severity is None:
            continue
        label = metric_title(rule.metric)
        share = METRIC_INFO.get(rule.metric, ("",))[0] == "0-1"  # read as a percentage
        message = spec.message.format(
            value=format_against(value, rule.warn, percent=share),
            threshold=format_value(rule.warn, percent=share),
            metric=label,
            other=other or "another image in the set",
        )
        found.append(
            (
                Issue(
                    name=name,
                    severity=severity,
                    metric=rule.metric,
                    value=float(value),
                    threshold=rule.warn,
                    message=message,
                    fix=spec.fix,
                    points=0.0,
                ),
                p,
            )
        )
    score = 100.0 * math.prod(1.0 - p for p in penalties.values())
    logs = {k: -math.log1p(-p) for k, p in penalties.items()}
    total_log = sum(logs.values())
    loss = 100.0 - score
    contributions = {k: (loss * v / total_log if total_log > 0 else 0.0) for k, v in logs.items()}
    issues = tuple(
        sorted(
            (replace(i, points=contributions.get(i.name, 0.0)) for i, _ in found),
            key=lambda i: (i.severity != "error", -i.points),
        )
    )
    return ScoreResult(score=score, issues=issues, contributions=contributions)


@dataclass(frozen=True, slots=True)
class MetricLine:
    """One metric against a profile: its value, the rule on it (if any) and the verdict."""

    metric: str
    value: float
    unit: str
    meaning: str
    check: str
    rule: str
    status: Literal["pass", "warning", "error", "info"]
    #: The value in words, never reading the same as the threshold it is judged against.
    shown: str


def metric_report(metrics: dict[str, float], profile: Profile) -> list[MetricLine]:
    """Every metric with pass/warning/error against ``profile`` (``info`` where no rule applies)."""
    rules: dict[str, tuple[str, Rule | None]] = {}
    for name, spec in profile.checks.items():
        if spec.enabled:
            for r in spec.rules:
                rules.setdefault(r.metric, (name, r))
    out = []
    for metric, (unit, meaning) in METRIC_INFO.items():
        value = float(metrics.get(metric, math.nan))
        check, rule = rules.get(metric, ("", None))
        if rule is None or math.isnan(value):
            out.append(MetricLine(metric, value, unit, meaning, check, "", "info", format_value(value)))
            continue
        severity = rule.severity(value)
        shown = format_against(value, rule.fail if severity == "error" else rule.warn)
        out.append(MetricLine(metric, value, unit, meaning, check, rule_text(rule), severity or "pass", shown))
    return out
