import math

from core.engine.checks import metric_report
from core.engine.profiles import Rule, load_profile
from core.engine.wording import (
    backdrop_colour_note,
    drawn_note,
    format_against,
    format_value,
    frame_note,
    padding_note,
    recipe_words,
    rule_text,
)


def test_numbers():
    assert [format_value(v) for v in (math.nan, 250.4, 3.0, 12.34, 0.456)] == ["n/a", "250", "3", "12.3", "0.46"]


def test_rules_read_the_same_everywhere():
    assert rule_text(Rule(metric="sharpness", direction="min", warn=50, fail=30, ideal=70)) == ">= 50 (error < 30)"
    assert rule_text(Rule(metric="file_mb", direction="max", warn=10, fail=10, ideal=5)) == "<= 10"
    # An error threshold no distance reaches is no threshold to show ("error < -1" meant nothing).
    assert rule_text(Rule(metric="hash_distance", direction="min", warn=7, fail=-1, ideal=12)) == ">= 7 (warning only)"
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


def test_a_graphic_says_why_its_tones_are_not_judged():
    assert drawn_note({"palette_share": 0.5, "contrast": 0.8}) is None  # a photo
    assert drawn_note({"palette_share": math.nan, "contrast": 0.8}) is None  # no flat backdrop
    drawn = drawn_note({"palette_share": 0.97, "contrast": math.nan})
    assert drawn and "drawn graphic" in drawn and "97%" in drawn and "colours" in drawn
    on_colour = drawn_note({"palette_share": 0.3, "contrast": math.nan})
    assert on_colour and "drawn colour background" in on_colour
    strokes = drawn_note({"palette_share": math.nan, "contrast": math.nan, "gray_chroma": math.nan})
    assert strokes and "line drawing" in strokes and "colours" in strokes


def test_a_chosen_backdrop_colour_says_why_it_is_no_cast():
    assert backdrop_colour_note({"neutral_tint_share": 0.9, "palette_share": 0.4}) is None  # a cast
    assert backdrop_colour_note({"neutral_tint_share": math.nan, "palette_share": 0.4}) is None  # no greys
    assert backdrop_colour_note({"neutral_tint_share": 0.05, "palette_share": 0.97}) is None  # a graphic says so
    note = backdrop_colour_note({"neutral_tint_share": 0.04, "palette_share": math.nan})
    assert note and "4%" in note and "chosen" in note


def test_a_padded_image_says_the_photo_inside_was_judged():
    assert padding_note({"padding": 0.0}) is None and padding_note({}) is None
    note = padding_note({"padding": 0.25})
    assert note and "25%" in note and "photo inside" in note


def test_a_value_never_reads_the_same_as_the_limit_it_fails():
    assert format_against(0.4196, 0.42) == "0.4196"  # "spans only 0.42 (needs 0.42)" read as a pass
    assert format_against(104.6, 105) == "104.6"
    assert format_against(12.04, 12.0) == "12.04"  # "12.0" and "12" read the same too
    assert format_against(0.31, 0.42) == "0.31" and format_against(109.0, 105) == "109"  # as format_value
    assert format_against(105.0, 105) == "105" and format_against(float("nan"), 0.42) == "n/a"


def test_the_inspect_table_never_shows_a_failing_value_as_its_threshold():
    lines = {ln.metric: ln for ln in metric_report({"contrast": 0.4196, "black_level": 20.0}, load_profile("generic"))}
    assert lines["contrast"].status == "warning" and lines["contrast"].shown == "0.4196"  # rule ">= 0.42"
    assert lines["black_level"].shown == "20"
    low = metric_report({"contrast": 0.2996}, load_profile("generic"))
    assert next(ln for ln in low if ln.metric == "contrast").shown == "0.2996"  # an error, against 0.3


def test_a_recipe_reads_as_steps_in_words():
    from core.engine.recipe import Recipe, Step

    recipe = Recipe((Step("contrast_stretch", {"low": 0.1, "high": 99.5}), Step("gamma", {"gamma": 1.2})))
    want = "Contrast stretch: low 0.10, high 99.5, shadow 0 → Gamma (power law): gamma 1.20"
    assert recipe_words(recipe.to_json()) == want
    assert recipe_words("") == "" and recipe_words("not a recipe") == "not a recipe"


def test_a_framed_image_says_it_was_judged_inside_its_frame():
    assert frame_note({"frame": 0.0}) is None and frame_note({}) is None
    note = frame_note({"frame": 0.085})
    assert note and "8%" in note and "inside" in note and "backdrop" in note


def test_shares_read_as_percentages():
    assert [format_value(v, percent=True) for v in (0.0, 0.31, 0.9, 0.005, 1.0, math.nan)] == [
        "0%",
        "31%",
        "90%",
        "0.5%",
        "100%",
        "n/a",
    ]
    assert format_against(0.4196, 0.42, percent=True) == "41.96%"  # not "42% (needs 42%)"
    assert format_against(0.31, 0.42, percent=True) == "31%"
    # Under 10% one decimal is shown already: more are added past it ("10.0% (needs 10%)" read
    # the same as the limit).
    assert format_against(0.0996, 0.104, percent=True) == "9.96%"


def test_a_message_about_a_share_reads_in_percent():
    """ "0 of the border is white; needs 0.50" read as a count; shares are written as percentages."""
    from core.engine.checks import assess_metrics
    from core.engine.profiles import load_profile

    metrics = {"background_white": 0.0, "contrast": 0.31, "product_extent": 0.2}
    generic = {i.name: i.message for i in assess_metrics(metrics, load_profile("generic")).issues}
    amazon = {i.name: i.message for i in assess_metrics(metrics, load_profile("amazon")).issues}
    assert "only 0% of the border is white; needs 90%" in amazon["non_white_background"]
    assert "span only 31% of the range (needs 42%)" in generic["low_contrast"]
    assert "spans 20% of it; needs 42%" in generic["small_product"]
    assert "fill 85% of the frame; it spans 20%" in amazon["small_product"]


def test_a_score_is_written_with_one_decimal_everywhere():
    """Found by a walkthrough: Inspect and Review wrote "8.65 / 100" where the Overview wrote 8.7."""
    from core.engine.wording import SCORE_COLUMN_FORMAT, format_score

    assert [format_score(s) for s in (8.65, 8.0, 83.349, 100.0, 0.04)] == ["8.7", "8.0", "83.3", "100.0", "0.0"]
    assert format_score(None) == format_score(float("nan")) == "n/a"
    assert SCORE_COLUMN_FORMAT % 8.65 == format_score(8.65)  # the tables' column format agrees


def test_a_count_takes_the_singular_for_one():
    """Found by a browser probe: the Feedback page's heading read "1 decisions"."""
    from core.engine.wording import counted

    assert [counted(n, "decision") for n in (0, 1, 2)] == ["0 decisions", "1 decision", "2 decisions"]
    assert counted(10_000, "file") == "10,000 files"  # as the Overview's counts write it
