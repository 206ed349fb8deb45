"""The vocabulary is the one home of shared names; data and the command line are checked against it."""

import argparse
import json

import pytest

from core import vocabulary as v
from core.cli.main import build_parser
from core.engine.operations import OPERATIONS
from core.engine.profiles import BUILTIN_DIR, list_profiles, load_profile

PROFILE_FILES = sorted(BUILTIN_DIR.glob("*.json"))


def test_vocabulary_is_self_consistent():
    assert set(v.ROLE_LABELS) == set(v.ROLES)
    assert set(v.ISSUE_REASONS) == set(v.ISSUE_NAMES)  # every detected issue suggests a reason
    assert set(v.ISSUE_REASONS.values()) <= set(v.REASONS)
    assert set(v.FORMAT_EXTENSIONS) <= set(v.SUPPORTED_FORMATS)
    assert set(v.FORMAT_EXTENSIONS.values()) <= v.IMAGE_EXTENSIONS
    assert {ext for ext in v.EXPORT_FORMATS} <= v.IMAGE_EXTENSIONS
    assert not v.IMAGE_EXTENSIONS & v.UNSUPPORTED_IMAGE_EXTENSIONS
    for name in v.__all__:
        assert hasattr(v, name), name


def test_every_measure_has_words_on_screen():
    """Inspect and Feedback list every measure by its title: none falls back to a raw name."""
    assert set(v.METRIC_LABELS) == set(v.METRIC_INFO)
    assert v.metric_title("noise_sigma") == "noise"
    assert v.metric_title("some_new_measure") == "some new measure"  # a measure not yet named


@pytest.mark.parametrize("path", PROFILE_FILES, ids=[p.stem for p in PROFILE_FILES])
def test_profile_files_name_only_known_issues_and_operations(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    for issue, spec in (raw.get("checks") or {}).items():
        assert issue in v.ISSUE_NAMES, f"{path.name}: unknown issue '{issue}'"
        for op in spec.get("fix", []):
            assert op in OPERATIONS, f"{path.name}, check '{issue}': unknown operation '{op}' in 'fix'"


def test_loaded_profiles_fix_with_known_operations():
    for name in list_profiles():
        for issue, spec in load_profile(name).checks.items():
            assert issue in v.ISSUE_NAMES
            assert set(spec.fix) <= set(OPERATIONS), (name, issue, spec.fix)


def _choice_actions(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _choice_actions(sub)
        elif action.choices is not None:
            yield parser.prog, action


def test_cli_choices_come_from_the_vocabulary():
    known = {tuple(getattr(v, name)) for name in v.__all__ if isinstance(getattr(v, name), tuple)}
    found = list(_choice_actions(build_parser()))
    assert found, "the CLI offers no choices at all?"
    for prog, action in found:
        assert tuple(action.choices) in known, f"{prog} {action.option_strings}: choices not from core.vocabulary"


def test_a_reason_is_named_as_the_issue_it_stands_for():
    """The reviewer picks "JPEG blocking" for an image flagged "JPEG blocking" (stored as the reason
    "compression artifacts"); every reason has a name on screen, in sentence case."""
    from core.vocabulary import (
        DUPLICATE_ISSUES,
        ISSUE_REASONS,
        REASON_LABELS,
        REASONS,
        issue_label,
        reason_label,
        reason_labels,
    )

    assert set(REASON_LABELS) == set(REASONS)
    for issue, reason in ISSUE_REASONS.items():
        if issue not in DUPLICATE_ISSUES:  # two issues, one reason: "Duplicate photo"
            assert reason_label(reason) == issue_label(issue), issue
    assert [reason_label(ISSUE_REASONS[i]) for i in sorted(DUPLICATE_ISSUES)] == ["Duplicate photo"] * 2
    assert all(label[0].isupper() for label in REASON_LABELS.values())
    assert reason_labels(["compression artifacts", "too dark"]) == "JPEG blocking, Too dark"
    assert reason_label("retired reason") == "retired reason"  # an old stored value, shown as it is
