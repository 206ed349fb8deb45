import math

from core.engine.checks import metric_report
from core.engine.profiles import Rule, load_profile
from core.engine.wording import format_value, rule_text


def test_numbers():
    assert [format_value(v) for v in (math.nan, 250.4, 3.0, 12.34, 0.456)] == ["n/a", "250", "3", "12.3", "0.46"]


def test_rules_read_the_same_everywhere():
    assert rule_text(Rule(metric="sharpness", direction="min", warn=50, fail=30, ideal=70)) == ">= 50 (error < 30)"
    assert rule_text(Rule(metric="file_mb", direction="max", warn=10, fail=10, ideal=5)) == "<= 10"
    profile = load_profile("amazon")
    first = {}
    for spec in profile.checks.values():
        if spec.enabled:
            for r in spec.rules:
                first.setdefault(r.metric, r)
    lines = metric_report({m: 1.0 for m in first}, profile)
    for line in lines:
        if line.rule:
            assert line.rule == rule_text(first[line.metric])  # the Inspect page and `profiles` agree


def test_operation_labels_read_as_people_name_them_each_once():
    from core.engine.wording import operation_labels

    assert operation_labels(["contrast_stretch", "gamma", "contrast_stretch"]) == "Contrast stretch, Gamma (power law)"
    assert operation_labels(["no_such_step"]) == "no_such_step" and operation_labels([]) == ""
