"""The Feedback page and ``export``: reviewers' decisions as a table or CSV, and what they say
about the metrics (separation, agreement, thresholds tuned to them)."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import pandas as pd

from core.engine.profiles import PROFILE_NAME, Profile, ProfileError, Rule, profile_from_dict
from core.engine.tuning import MAX_APPROVED_SHARE, Cut, NoCut, check_flags, suggest_cut
from core.services.profiles import get_profile, profile_label
from core.store.analytics import (
    MetricSeparation,
    catalogue_metrics,
    latest_analysis,
    metric_separation,
    reviewer_agreement,
    separations,
)
from core.store.database import Store
from core.store.feedback import (
    FeedbackFilter,
    double_reviewed_decisions,
    feedback_choices,
    feedback_count,
    feedback_csv,
    feedback_frame,
)
from core.vocabulary import (
    DECISIONS,
    ISSUE_REASONS,
    METRIC_INFO,
    decision_label,
    issue_label,
    issue_labels,
    metric_title,
    reason_label,
    reason_labels,
)

__all__ = [
    "ANALYTICS_SAMPLE",
    "DEFAULT_DAYS",
    "LOW_AGREEMENT_KAPPA",
    "MAX_APPROVED_SHARE",
    "MIN_EACH",
    "TABLE_ROWS",
    "TUNE_MIN_EACH",
    "AgreementSummary",
    "DecisionBalance",
    "FeedbackFilter",
    "FeedbackSummary",
    "Impact",
    "MetricSeparation",
    "Suggestion",
    "TunedProfile",
    "Unmoved",
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
    "latest_analysis",
    "impact_table",
    "metric_axis_title",
    "metric_by_decision",
    "metric_separation",
    "metric_unit",
    "metric_value",
    "readable_number",
    "reviewer_agreement",
    "separation_table",
    "separations",
    "tuned_profile",
    "tuning_impact",
    "unmoved_table",
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

#: A limit is suggested only where its metric was measured on at least this many approved images
#: and this many rejected (or sent back) for that check's reason. Saving a suggestion rescores the
#: whole catalogue, and a cut found in a handful of decisions is mostly where those few images
#: happen to lie (30 decisions moved generic's "nothing to see" limit from 5 to 55). The limit
#: itself must also separate them: see :mod:`core.engine.tuning`.
TUNE_MIN_EACH: Final = 20

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
    database); ``sample``, the newest :data:`ANALYTICS_SAMPLE` of them, oldest first, that the
    table shows (its newest :data:`TABLE_ROWS`) and the separations and tuned thresholds learn
    from; and ``agreement``, :func:`reviewer_agreement` over *every* image version two reviewers
    decided among them, never the sample (a cut through the history would leave out older double
    reviews and split a pair: 3 images and kappa -0.80 where all 40 gave 0.43)."""

    counts: dict[str, int]
    sample: pd.DataFrame
    agreement: pd.DataFrame

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def table(self) -> pd.DataFrame:
        """The newest :data:`TABLE_ROWS` decisions, oldest first, as shown: the decision time to
        the minute ("2026-11-30 09:15", UTC) rather than the stored ISO stamp with microseconds,
        the decision in words ("Needs changes"), its reasons and the image's issues in words, as
        lists ("Blurry, Too dark"), and the profile as the pickers name it (:func:`profile_label`:
        "Generic web shop"; a tuned one by its name). The CSV keeps the stored names."""
        table = self.sample.tail(TABLE_ROWS).copy()
        table["decided_at"] = table["decided_at"].astype(str).str.slice(0, 16).str.replace("T", " ", regex=False)
        table["decision"] = [decision_label(d) for d in table["decision"]]
        table["reasons"] = [reason_labels(r.split(";")) if r else "" for r in table["reasons"].fillna("")]
        table["issues"] = [", ".join(issue_labels(i.split(";"))) if i else "" for i in table["issues"].fillna("")]
        table["profile"] = [profile_label(p) if p else "" for p in table["profile"].fillna("")]
        return table

    @property
    def balance(self) -> DecisionBalance:
        """Approved against rejected-or-sent-back decisions in the sample."""
        return decision_balance(self.sample)

    @property
    def sampled(self) -> bool:
        """Whether more decisions pass the filter than the sample holds (the separations and
        tuned thresholds then learn from the newest :data:`ANALYTICS_SAMPLE` only)."""
        return self.total > len(self.sample)

    @property
    def overall_agreement(self) -> AgreementSummary | None:
        """:attr:`agreement` in one figure (:func:`agreement_summary`)."""
        return agreement_summary(self.agreement)


def feedback_summary(store: Store, flt: FeedbackFilter) -> FeedbackSummary:
    """What the Feedback page shows for ``flt``, read so that it opens quickly on a history of any
    length (the CSV of every matching decision is built only when downloaded: :func:`feedback_csv`)."""
    newest = feedback_frame(store, flt, limit=ANALYTICS_SAMPLE, newest_first=True)
    return FeedbackSummary(
        counts=feedback_count(store, flt),
        sample=newest.iloc[::-1].reset_index(drop=True),
        agreement=reviewer_agreement(double_reviewed_decisions(store, flt)),
    )


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
    """A chart axis for ``metric``: its name on screen and unit, "tonal spread (grey levels)"
    (a label that already ends with its unit keeps it once: "long side (px)")."""
    title, unit = metric_title(metric), metric_unit(metric)
    return f"{title} ({unit})" if unit and not title.endswith(")") else title


def separation_table(seps: Sequence[MetricSeparation]) -> pd.DataFrame:
    """One row per metric: its name on screen, when reviewers reject (below or above the best
    cut), how well that cut reproduces their decisions, on how many decisions, what the metric
    means, and its name in the data (the CSV's column, for those who analyse it further)."""
    return pd.DataFrame(
        [
            {
                "measure": metric_title(s.metric),
                "rejected when": ("below " if s.direction == "min" else "above ")
                + metric_value(s.threshold, metric=s.metric),
                "balanced accuracy": s.balanced_accuracy,
                "decisions": s.n,
                "meaning": METRIC_INFO[s.metric][1],
                "column": s.metric,
            }
            for s in seps
        ],
        columns=["measure", "rejected when", "balanced accuracy", "decisions", "meaning", "column"],
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


def _names_of(frame: pd.DataFrame, column: str) -> pd.Series:
    """Each decision's reasons (or its image's issues) as a set: empty where none is stored."""
    if column not in frame.columns:
        return pd.Series([frozenset()] * len(frame), index=frame.index, dtype=object)
    return frame[column].fillna("").map(lambda text: frozenset(x for x in str(text).split(";") if x))


def _image_values(frame: pd.DataFrame, metric: str, keep: pd.Series) -> np.ndarray:
    """``metric`` of each image (version) among the rows ``keep`` selects, measured ones only: an
    image two reviewers judged alike counts once (a second look is not a second image)."""
    rows = frame.loc[keep & frame[metric].notna()] if metric in frame.columns else frame.iloc[:0]
    if "version_id" in rows.columns:
        rows = rows.drop_duplicates("version_id")
    return rows[metric].to_numpy(dtype=np.float64) if len(rows) else np.zeros(0)


@dataclass(frozen=True, kw_only=True, slots=True)
class Suggestion:
    """A warning limit the reviewers' decisions move, and what it rests on.

    ``approved`` and ``rejected`` count the images measured on the metric (``rejected``: those
    rejected or sent back for the check's reason, or that the check flagged);
    ``cut`` says how many of them the move puts right and how many it gets wrong."""

    check: str
    metric: str
    direction: str
    old_warn: float
    new_warn: float
    approved: int
    rejected: int
    cut: Cut
    reason: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Unmoved:
    """A limit left as it is, and why, in plain words."""

    check: str
    metric: str
    why: str


@dataclass(frozen=True, kw_only=True, slots=True)
class TunedProfile:
    """A profile tuned to the reviewers: ``suggestions`` are the moves made in ``profile``;
    ``unmoved`` the enabled checks' limits that stay, each with why; ``switched_off`` the base
    profile's checks that are off, whose limits are not tuned (a limit there scores nothing, and
    turning a check on is not a limit's move)."""

    profile: Profile
    base: Profile
    suggestions: list[Suggestion]
    unmoved: list[Unmoved]
    switched_off: list[str]

    @property
    def fingerprint(self) -> str:
        """A short digest of the tuned profile: the page asks again when it changes."""
        return hashlib.sha256(json.dumps(self.profile.to_dict(), sort_keys=True).encode()).hexdigest()[:16]


def _retune(rule: Rule, warn: float) -> Rule:
    """``rule`` with warning limit ``warn``; its ideal and error limit follow where they would
    otherwise lie on the wrong side of it."""
    if rule.direction == "min":
        return replace(rule, warn=warn, ideal=max(rule.ideal, warn), fail=min(rule.fail, warn))
    return replace(rule, warn=warn, ideal=min(rule.ideal, warn), fail=max(rule.fail, warn))


def tuned_profile(store: Store, frame: pd.DataFrame, *, base: str, name: str = "") -> TunedProfile:
    """Profile ``base`` with the warning limits that the decisions in ``frame`` clearly contradict
    moved, named ``name`` in lower case (default ``<base>-tuned``).

    A limit moves only on an enabled check, where at least :data:`TUNE_MIN_EACH` approved images
    and as many rejected *for that check* (the reviewer gave its reason,
    :data:`~core.vocabulary.ISSUE_REASONS`, or the check flagged the image under the decision's
    profile) were measured on its metric (products on white approved and lifestyle shots rejected
    for their backdrops differ in their brightest tones, which says nothing about darkness); and
    only to a limit that separates them (:func:`core.engine.tuning.suggest_cut`: nearly every
    approved image still passes, and a real share of the rejected ones is caught). :class:`ProfileError` for an
    unusable name.
    """
    start = get_profile(store, base)
    typed, name = name.strip(), name.strip().lower() or f"{base}-tuned"
    if typed and not PROFILE_NAME.match(name):  # quoted as typed, not as lowered
        raise ProfileError(
            f"The profile name {typed!r} cannot be used: use lowercase letters, digits, '-' or '_' (at most 64)."
        )
    approved = frame["decision"] == "approved" if "decision" in frame.columns else pd.Series(dtype=bool)
    reasons, issues = _names_of(frame, "reasons"), _names_of(frame, "issues")
    switched_off = [issue for issue, spec in start.checks.items() if not spec.enabled]
    offered: list[Suggestion] = []
    unmoved: list[Unmoved] = []
    data = start.to_dict()
    for issue, spec in start.checks.items():
        if not spec.enabled:
            continue
        reason = ISSUE_REASONS[issue]
        # Rejected for this check: the reviewer gave its reason, or the check flagged the image.
        related = ~approved & (
            reasons.map(lambda rs, want=reason: want in rs) | issues.map(lambda xs, i=issue: i in xs)
        )
        rejected_as = f"rejected as '{reason_label(reason)}'"
        for i, rule in enumerate(spec.rules):
            a = _image_values(frame, rule.metric, approved)
            r = _image_values(frame, rule.metric, related)
            if min(len(a), len(r)) < TUNE_MIN_EACH:
                unmoved.append(
                    Unmoved(
                        check=issue,
                        metric=rule.metric,
                        why=(
                            f"too few images: {len(a)} approved and {len(r)} {rejected_as} measured "
                            f"(each side needs {TUNE_MIN_EACH})"
                        ),
                    )
                )
                continue
            cut = suggest_cut(rule, a, r, rejected_as=rejected_as)
            if isinstance(cut, NoCut):
                unmoved.append(Unmoved(check=issue, metric=rule.metric, why=cut.why))
                continue
            tuned = _retune(rule, cut.warn)
            data["checks"][issue]["rules"][i] = tuned.to_dict()
            offered.append(
                Suggestion(
                    check=issue,
                    metric=rule.metric,
                    direction=rule.direction,
                    old_warn=rule.warn,
                    new_warn=tuned.warn,
                    approved=len(a),
                    rejected=len(r),
                    cut=cut,
                    reason=reason,
                )
            )
    data.update(
        name=name,
        title=f"{start.title} (tuned to reviewers)",
        description=f"Limits from {start.name}, moved where reviewers' decisions separated clearly.",
    )
    return TunedProfile(
        profile=profile_from_dict(data, source="suggested"),
        base=start,
        suggestions=offered,
        unmoved=unmoved,
        switched_off=switched_off,
    )


def _limit(direction: str, value: float, metric: str) -> str:
    """A limit written exactly as it would be saved: a suggested 59.45 (between neighbours that
    close) must not read "59.5", on the other side of an image it was chosen to flag."""
    digits = next((d for d in range(3, 16) if float(f"{value:.{d}g}") == value), 15)
    unit = metric_unit(metric)
    text = readable_number(value, digits=digits)
    return f"{'at least' if direction == 'min' else 'at most'} {text}{' ' + unit if unit else ''}"


def _what_it_changes(s: Suggestion) -> str:
    c = s.cut
    if c.move == "tighten":
        return f"catches {c.caught} of {c.wrong_before} rejected that passed; flags {c.collateral} of {s.approved} approved"
    return f"clears {c.caught} of {c.wrong_before} approved it flagged; clears {c.collateral} of {s.rejected} rejected"


def changes_table(suggestions: Sequence[Suggestion]) -> pd.DataFrame:
    """The limit changes of a tuned profile, one row each, as the Feedback page lists them: the
    check and measure by name, the warning limit before and after with its unit, what the move
    puts right and gets wrong among the decided images, and the images it rests on."""
    return pd.DataFrame(
        [
            {
                "check": issue_label(s.check),
                "measure": metric_title(s.metric),
                "was": _limit(s.direction, s.old_warn, s.metric),
                "suggested": _limit(s.direction, s.new_warn, s.metric),
                "among the decided images": _what_it_changes(s),
                "approved images": s.approved,
                "rejected images": s.rejected,
            }
            for s in suggestions
        ],
        columns=[
            "check",
            "measure",
            "was",
            "suggested",
            "among the decided images",
            "approved images",
            "rejected images",
        ],
    )


def unmoved_table(unmoved: Sequence[Unmoved]) -> pd.DataFrame:
    """The limits that stay, one row each, with why in words."""
    return pd.DataFrame(
        [{"check": issue_label(u.check), "measure": metric_title(u.metric), "why it stays": u.why} for u in unmoved],
        columns=["check", "measure", "why it stays"],
    )


@dataclass(frozen=True, kw_only=True, slots=True)
class Impact:
    """What saving a tuned profile would change in the catalogue, against its base profile: per
    moved check, the image versions it would newly flag and those it would clear; ``total`` the
    versions scored, ``flagged``/``cleared`` the versions newly flagged (cleared) by any check."""

    rows: list[tuple[str, int, int]]
    total: int
    flagged: int
    cleared: int


def tuning_impact(store: Store, tuning: TunedProfile) -> Impact:
    """:class:`Impact` of ``tuning``, counted from every stored version's stored metrics with the
    rules exactly as scoring applies them (:func:`core.engine.tuning.check_flags`)."""
    moved = list(dict.fromkeys(s.check for s in tuning.suggestions))
    wanted = {r.metric for c in moved for r in tuning.base.checks[c].rules} | {"exact_duplicate"}
    columns = catalogue_metrics(store, sorted(wanted))
    n = len(next(iter(columns.values())))
    any_new, any_cleared = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    rows = []
    for check in moved:
        before = check_flags(tuning.base.checks[check], columns, n)
        after = check_flags(tuning.profile.checks[check], columns, n)
        new, cleared = after & ~before, before & ~after
        any_new |= new
        any_cleared |= cleared
        rows.append((check, int(new.sum()), int(cleared.sum())))
    return Impact(rows=rows, total=n, flagged=int(any_new.sum()), cleared=int(any_cleared.sum()))


def impact_table(impact: Impact) -> pd.DataFrame:
    """:class:`Impact` as the page lists it: one row per moved check, then the total."""
    rows = [
        {"check": issue_label(check), "newly flagged": new, "cleared": cleared} for check, new, cleared in impact.rows
    ]
    rows.append(
        {
            "check": f"Any check (of {impact.total} image versions)",
            "newly flagged": impact.flagged,
            "cleared": impact.cleared,
        }
    )
    return pd.DataFrame(rows, columns=["check", "newly flagged", "cleared"])


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
