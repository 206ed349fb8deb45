"""Thresholds tuned to reviewers' decisions, and what a changed profile would flag.

A limit moves only where it is a real separation of the images reviewers approved from those
they rejected *for that check's reason*:

* tightening (flagging more): the new limit newly flags at most :data:`MAX_APPROVED_SHARE` of the
  approved images measured, and catches at least :data:`MIN_CAUGHT` and
  :data:`MIN_CAUGHT_SHARE` of the rejected images the current limit lets pass;
* loosening (flagging fewer): the new limit newly clears at most :data:`MAX_APPROVED_SHARE` of the
  rejected images measured, and clears at least :data:`MIN_CAUGHT` and
  :data:`MIN_CAUGHT_SHARE` of the approved images it flags today.

The best cut by balanced accuracy, which this replaces, chose the value that best told the
two piles apart on *any* metric: on one reviewer's 55 decisions, rejected for their backdrops,
it asked for "tonal spread at least 58.7" (was 5) and flagged a third of a real catalogue
"Almost blank". Pure numbers (numpy), no pandas: the service layer picks the images.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np

from core.engine.profiles import CheckSpec, Rule

__all__ = [
    "MAX_APPROVED_SHARE",
    "MIN_CAUGHT",
    "MIN_CAUGHT_SHARE",
    "Cut",
    "NoCut",
    "check_flags",
    "rule_flags",
    "suggest_cut",
]

#: A limit may newly flag at most this share of the approved images measured (tightening), or
#: newly clear at most this share of the rejected ones (loosening).
MAX_APPROVED_SHARE: Final = 0.05

#: ... and must newly catch at least this many images on the other side ...
MIN_CAUGHT: Final = 3

#: ... and at least this share of those the current limit gets wrong (rejected images it lets
#: pass, or approved images it flags).
MIN_CAUGHT_SHARE: Final = 0.25

FloatArray = np.ndarray


@dataclass(frozen=True, slots=True, kw_only=True)
class Cut:
    """A new warning limit for a rule and what it changes among the decided images.

    ``move`` is "tighten" (more images flagged) or "loosen" (fewer). For a tightening,
    ``caught`` rejected images are newly flagged, and ``collateral`` approved ones with them; for a
    loosening, ``caught`` approved images are newly cleared, and ``collateral`` rejected ones with
    them. ``wrong_before`` is how many images the current limit gets wrong on that side (rejected it
    lets pass, or approved it flags)."""

    warn: float
    move: Literal["tighten", "loosen"]
    caught: int
    wrong_before: int
    collateral: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NoCut:
    """No limit separates the decisions: ``why`` in plain words (``best`` the nearest miss, if any)."""

    why: str
    best: float = math.nan


def rule_flags(rule: Rule, values: FloatArray, *, warn: float | None = None) -> FloatArray:
    """Whether each value breaches ``rule``'s warning limit (or ``warn``); NaN never does."""
    limit = rule.warn if warn is None else warn
    with np.errstate(invalid="ignore"):
        return np.asarray(values < limit if rule.direction == "min" else values > limit, dtype=bool)


def check_flags(spec: CheckSpec, columns: Mapping[str, FloatArray], n: int) -> FloatArray:
    """Whether each of ``n`` images (metric -> values, NaN or absent where not measured) is flagged
    by check ``spec``, exactly as :func:`core.engine.checks.assess_metrics` decides it: the rule
    breached furthest (past its ideal, toward its error limit) speaks for the check, and the check
    is reported when that rule's value is past its warning limit. A switched-off check flags
    nothing; an exact duplicate is not also a near duplicate."""
    flagged = np.zeros(n, dtype=bool)
    if not spec.enabled:
        return flagged
    best = np.full(n, -1.0)
    for rule in spec.rules:
        v = np.asarray(columns.get(rule.metric, np.full(n, np.nan)), dtype=np.float64)
        measured = ~np.isnan(v)
        span = rule.fail - rule.ideal
        with np.errstate(invalid="ignore"):
            breach = np.zeros(n) if span == 0 else np.maximum(0.0, (v - rule.ideal) / span)
        past = rule_flags(rule, v) | rule_flags(rule, v, warn=rule.fail)
        rank = breach + np.where(past, 1e-9, 0.0)
        wins = measured & (rank > best)
        best = np.where(wins, rank, best)
        flagged = np.where(wins, past, flagged)
    if spec.issue == "near_duplicate" and "exact_duplicate" in columns:
        flagged &= ~(np.asarray(columns["exact_duplicate"], dtype=np.float64) == 1.0)
    return flagged


def _readable(value: float) -> float:
    """Three significant digits: a limit a person reads and edits (63.1, not 63.1267)."""
    return float(f"{value:.3g}")


def _readable_between(lo: float, hi: float) -> float:
    """The shortest-written limit strictly between two neighbouring values ``lo < hi``: three
    significant digits where they fit, more only where the neighbours are that close (midway
    between 59.405 and 59.48 is 59.44, which three digits would round back below 59.405)."""
    mid = (lo + hi) / 2.0
    for digits in range(3, 16):
        r = float(f"{mid:.{digits}g}")
        if lo < r < hi:
            return r
    return mid


def _candidates(values: FloatArray, beyond: float, direction: str, *, flag_more: bool) -> list[float]:
    """Limits worth trying past ``beyond``: between neighbouring values on that side, written
    short for reading but never rounded onto a neighbour (one that lands on ``beyond`` is dropped)."""
    xs = np.unique(values[~np.isnan(values)])
    # Flagging more under "min" raises the limit; under "max" it lowers it; loosening the reverse.
    upward = (direction == "min") == flag_more
    out = {_readable_between(lo, hi) for lo, hi in zip(xs[:-1], xs[1:], strict=True)}
    out |= {_readable(xs[-1] + 1e-9 * max(1.0, abs(xs[-1])))} if upward and len(xs) else set()
    out |= {_readable(xs[0] - 1e-9 * max(1.0, abs(xs[0])))} if not upward and len(xs) else set()
    keep = [c for c in out if (c > beyond if upward else c < beyond)]
    return sorted(keep, reverse=not upward)  # nearest the current limit first


def suggest_cut(rule: Rule, approved: FloatArray, rejected: FloatArray, *, rejected_as: str) -> Cut | NoCut:
    """The least move of ``rule``'s warning limit that separates ``approved`` images from
    ``rejected`` ones (those rejected for the rule's check), or why there is none.

    ``rejected_as`` words the rejected pile in the explanation ("rejected as 'too dark'").
    """
    a = np.asarray(approved, dtype=np.float64)
    r = np.asarray(rejected, dtype=np.float64)
    a, r = a[~np.isnan(a)], r[~np.isnan(r)]
    both = np.concatenate([a, r])
    flagged_a, flagged_r = rule_flags(rule, a), rule_flags(rule, r)
    missed = int((~flagged_r).sum())  # rejected images the current limit lets pass
    wrongly = int(flagged_a.sum())  # approved images it flags
    allowed_a = math.floor(MAX_APPROVED_SHARE * len(a))
    allowed_r = math.floor(MAX_APPROVED_SHARE * len(r))

    def best(flag_more: bool) -> tuple[float, int, int] | None:
        """(limit, caught, collateral) catching most within the allowance, nearest the current limit."""
        found: tuple[float, int, int] | None = None
        for t in _candidates(both, rule.warn, rule.direction, flag_more=flag_more):
            if flag_more:
                caught = int((rule_flags(rule, r, warn=t) & ~flagged_r).sum())
                collateral = int((rule_flags(rule, a, warn=t) & ~flagged_a).sum())
                over = collateral > allowed_a
            else:
                caught = int((flagged_a & ~rule_flags(rule, a, warn=t)).sum())
                collateral = int((flagged_r & ~rule_flags(rule, r, warn=t)).sum())
                over = collateral > allowed_r
            if over:
                break  # further out only adds collateral
            if caught > (found[1] if found else 0):
                found = (t, caught, collateral)
        return found

    def enough(caught: int, wrong: int) -> bool:
        return caught >= MIN_CAUGHT and caught >= MIN_CAUGHT_SHARE * wrong

    tighten, loosen = best(True), best(False)
    options = []
    if tighten and enough(tighten[1], missed):
        options.append(
            Cut(warn=tighten[0], move="tighten", caught=tighten[1], wrong_before=missed, collateral=tighten[2])
        )
    if loosen and enough(loosen[1], wrongly):
        options.append(Cut(warn=loosen[0], move="loosen", caught=loosen[1], wrong_before=wrongly, collateral=loosen[2]))
    if options:
        return max(options, key=lambda c: c.caught / max(1, c.wrong_before))
    pct = f"{MAX_APPROVED_SHARE:.0%}"
    if missed == 0 and wrongly == 0:
        return NoCut(why=f"the current limit already flags every image {rejected_as} and no approved one")
    if tighten:
        return NoCut(
            why=(
                f"the best limit would catch only {tighten[1]} of the {missed} images {rejected_as} that pass "
                "today: too few to move it"
            ),
            best=tighten[0],
        )
    if missed:
        return NoCut(
            why=(
                f"no limit catches more of the {missed} images {rejected_as} that pass today without also "
                f"flagging more than {pct} of the {len(a)} approved images"
            )
        )
    return NoCut(
        why=(
            f"no limit clears enough of the {wrongly} approved images it flags without also clearing more "
            f"than {pct} of the images {rejected_as}"
        )
    )
