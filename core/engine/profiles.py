"""Marketplace profiles: thresholds and rules as data.

A profile is JSON (see ``core/engine/profile_data/``). ``generic`` holds every check; a marketplace
profile ``extends`` it and overrides only what differs, so a threshold lives in one place.
Reviewer-tuned profiles are saved the same way into a user folder.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from core.vocabulary import FORMAT_LABELS, ISSUE_NAMES

__all__ = [
    "BUILTIN_DIR",
    "PROFILE_NAME",
    "CheckSpec",
    "Profile",
    "ProfileError",
    "Rule",
    "list_profiles",
    "load_profile",
    "profile_from_dict",
    "save_profile",
]

BUILTIN_DIR: Final = Path(__file__).with_name("profile_data")


Direction = Literal["min", "max"]


class ProfileError(ValueError):
    """A profile file is missing, malformed or names an unknown check or metric."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One threshold on one metric.

    ``direction="min"``: the value should be at least ``warn`` (below ``fail`` is an error).
    ``direction="max"``: the value should be at most ``warn`` (above ``fail`` is an error).
    ``ideal`` is where the score penalty starts; it must lie on the good side of ``warn``.
    ``fail`` equal to ``warn`` makes any breach an error (hard marketplace limits).
    """

    metric: str
    direction: Direction
    warn: float
    fail: float
    ideal: float

    def breach(self, value: float) -> float:
        """How far ``value`` is past ``ideal`` toward ``fail``: 0 at ideal, 1 at fail, > 1 beyond."""
        span = self.fail - self.ideal
        if span == 0:
            return 0.0
        return max(0.0, (value - self.ideal) / span)

    def severity(self, value: float) -> Literal["error", "warning"] | None:
        past_fail = value < self.fail if self.direction == "min" else value > self.fail
        past_warn = value < self.warn if self.direction == "min" else value > self.warn
        if past_fail:
            return "error"
        if past_warn:
            return "warning"
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "direction": self.direction,
            "warn": self.warn,
            "fail": self.fail,
            "ideal": self.ideal,
        }


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A check: rules whose worst breach decides, a score weight (0-1), wording and a fix."""

    issue: str
    rules: tuple[Rule, ...]
    weight: float
    message: str
    fix: tuple[str, ...]
    enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": [r.to_dict() for r in self.rules],
            "weight": self.weight,
            "message": self.message,
            "fix": list(self.fix),
            "enabled": self.enabled,
        }


@dataclass(frozen=True, slots=True)
class Profile:
    """A named set of checks plus the marketplace's rules in words."""

    name: str
    title: str
    description: str
    checks: dict[str, CheckSpec]
    rules_text: tuple[str, ...] = ()
    source: str = "builtin"
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: The file types the marketplace takes (Pillow's names, e.g. "JPEG"); empty: any.
    file_formats: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "rules_text": list(self.rules_text),
            "checks": {k: v.to_dict() for k, v in self.checks.items()},
        }
        if self.file_formats:
            out["file_formats"] = list(self.file_formats)
        return out

    def file_format_problem(self, fmt: str) -> str:
        """'' if the marketplace takes a file of format ``fmt`` (Pillow's name, as stored with each
        version), else which types it takes, e.g. "HEIC files not taken: only JPEG, PNG, TIFF or GIF". A fact about the file, not a
        measurement: it is no check and moves no score."""
        if not self.file_formats or not fmt or fmt.upper() in self.file_formats:
            return ""
        names = [FORMAT_LABELS.get(f, f) for f in self.file_formats]
        takes = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        return f"{FORMAT_LABELS.get(fmt.upper(), fmt)} files not taken: only {takes}"


#: What a profile's name may be: it is a key in the database and a file name.
PROFILE_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _rule(issue: str, d: dict[str, Any]) -> Rule:
    try:
        rule = Rule(
            metric=str(d["metric"]),
            direction=d["direction"],
            warn=float(d["warn"]),
            fail=float(d["fail"]),
            ideal=float(d["ideal"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ProfileError(f"check '{issue}': a rule needs metric, direction, warn, fail, ideal ({exc})") from exc
    if rule.direction not in ("min", "max"):
        raise ProfileError(f"check '{issue}': direction must be 'min' or 'max'")
    worse = (lambda a, b: a <= b) if rule.direction == "min" else (lambda a, b: a >= b)
    if not (worse(rule.fail, rule.warn) and worse(rule.warn, rule.ideal)):
        raise ProfileError(
            f"check '{issue}', metric '{rule.metric}': need ideal, warn, fail in worsening order "
            f"(got {rule.ideal}, {rule.warn}, {rule.fail})"
        )
    return rule


def profile_from_dict(data: dict[str, Any], *, source: str = "dict", search: tuple[Path, ...] = ()) -> Profile:
    """Build a :class:`Profile` from its JSON form, resolving ``extends``."""
    from core.vocabulary import METRIC_INFO

    if "extends" in data and data["extends"]:
        parent = _raw_profile(str(data["extends"]), search)
        data = _merge(parent, {k: v for k, v in data.items() if k != "extends"})
    name = str(data.get("name", ""))
    if not PROFILE_NAME.match(name):
        raise ProfileError(f"profile name {name!r} must be lowercase letters, digits, '-' or '_' (max 64)")
    checks: dict[str, CheckSpec] = {}
    for issue, spec in (data.get("checks") or {}).items():
        if issue not in ISSUE_NAMES:
            raise ProfileError(f"profile '{name}': unknown check '{issue}'")
        rules = tuple(_rule(issue, r) for r in spec.get("rules", []))
        for r in rules:
            if r.metric not in METRIC_INFO:
                raise ProfileError(f"profile '{name}', check '{issue}': unknown metric '{r.metric}'")
        weight = float(spec.get("weight", 0.3))
        if not 0.0 <= weight < 1.0:
            raise ProfileError(f"profile '{name}', check '{issue}': weight must be in [0, 1)")
        checks[issue] = CheckSpec(
            issue=issue,
            rules=rules,
            weight=weight,
            message=str(spec.get("message", issue)),
            fix=tuple(spec.get("fix", [])),
            enabled=bool(spec.get("enabled", True)),
        )
    formats = tuple(str(f).upper() for f in data.get("file_formats") or ())
    unknown = [f for f in formats if f not in FORMAT_LABELS]
    if unknown:
        raise ProfileError(
            f"profile '{name}': unknown file format(s) {', '.join(unknown)} (known: {', '.join(FORMAT_LABELS)})"
        )
    return Profile(
        name=name,
        title=str(data.get("title", name)),
        description=str(data.get("description", "")),
        checks=checks,
        rules_text=tuple(data.get("rules_text", [])),
        source=source,
        raw=data,
        file_formats=formats,
    )


def _profile_files(search: tuple[Path, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in (BUILTIN_DIR, *search):
        if folder.is_dir():
            for path in sorted(folder.glob("*.json")):
                found.setdefault(path.stem, path)  # built-ins cannot be shadowed
    return found


def _raw_profile(name: str, search: tuple[Path, ...]) -> dict[str, Any]:
    files = _profile_files(search)
    if name not in files:
        raise ProfileError(f"no profile named '{name}' (known: {', '.join(sorted(files))})")
    try:
        raw = json.loads(files[name].read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ProfileError(f"profile '{name}' cannot be read: {exc}") from exc
    if raw.get("extends"):
        parent = _raw_profile(str(raw["extends"]), search)
        raw = _merge(parent, {k: v for k, v in raw.items() if k != "extends"})
    return raw


def list_profiles(*, search: tuple[Path, ...] = ()) -> list[str]:
    """Names of every available profile: built-ins first, then user-saved ones."""
    files = _profile_files(search)
    builtin = [n for n, p in files.items() if p.parent == BUILTIN_DIR]
    order = ["generic", "amazon", "shopify", "ebay", "walmart", "google"]
    builtin.sort(key=lambda n: (order.index(n) if n in order else len(order), n))
    return builtin + sorted(n for n, p in files.items() if p.parent != BUILTIN_DIR)


def load_profile(name: str, *, search: tuple[Path, ...] = ()) -> Profile:
    """Load a profile by name from the built-ins and the folders in ``search``."""
    files = _profile_files(search)
    raw = _raw_profile(name, search)
    raw["name"] = name
    source = "builtin" if name in files and files[name].parent == BUILTIN_DIR else str(files.get(name, ""))
    return profile_from_dict(raw, source=source, search=search)


def save_profile(profile: Profile, folder: Path) -> Path:
    """Write ``profile`` as JSON into ``folder``; refuses to overwrite a built-in's name."""
    if (BUILTIN_DIR / f"{profile.name}.json").exists():
        raise ProfileError(f"'{profile.name}' is a built-in profile; choose another name")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{profile.name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(profile.to_dict(), indent=2), encoding="utf-8")
    tmp.replace(path)
    return path
