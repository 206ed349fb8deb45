"""Numbers and rules in words: one wording for the pages, the command line and the messages."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from core.engine.measures import CHOSEN_TINT_MAX_SHARE, DRAWN_PALETTE_SHARE
from core.engine.operations import OPERATIONS
from core.engine.profiles import Rule
from core.engine.recipe import Recipe, RecipeError

__all__ = [
    "backdrop_colour_note",
    "counted",
    "drawn_note",
    "SCORE_COLUMN_FORMAT",
    "format_against",
    "format_score",
    "format_value",
    "operation_labels",
    "frame_note",
    "enlarged_note",
    "padding_note",
    "recipe_words",
    "rule_text",
]


#: How a table column (Streamlit's printf-style ``format``) writes a quality score: as
#: :func:`format_score` does, one decimal.
SCORE_COLUMN_FORMAT = "%.1f"


def format_score(score: float | None) -> str:
    """A quality score (0-100) as every page writes it: one decimal ("8.7", "100.0"), "n/a" when
    there is none (not scored under the profile). Inspect and Review wrote 8.65 where the
    Overview's table wrote 8.7."""
    if score is None or math.isnan(score):
        return "n/a"
    return f"{score:.1f}"


def format_value(value: float, *, percent: bool = False) -> str:
    """Compact human formatting for a metric value or threshold ("n/a" for NaN).

    With ``percent`` (keyword-only), a share (0-1) is written as a percentage: ``0.31`` reads
    ``"31%"`` and ``0.005`` ``"0.5%"``, so "0 of the border is white" reads "0% of ...".
    """
    if math.isnan(value):
        return "n/a"
    if percent:
        pct = 100.0 * value
        return f"{pct:.0f}%" if abs(pct) >= 10 or float(pct).is_integer() else f"{pct:.1f}%"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_against(value: float, limit: float, *, percent: bool = False) -> str:
    """``value`` as :func:`format_value` writes it, with as many more decimals (up to four) as it
    takes not to read the same as ``limit``: a flat photo's tones "span only 0.4196 (needs
    0.42)", not "0.42 (needs 0.42)"; as shares (``percent``), "41.96% (needs 42%)"."""
    text = format_value(value, percent=percent)
    if value == limit or not (math.isfinite(value) and math.isfinite(limit)):
        return text
    if float(text.rstrip("%")) != float(format_value(limit, percent=percent).rstrip("%")):
        return text  # (compared as numbers: "12.0" and "12" read the same)
    scale, suffix = (100.0, "%") if percent else (1.0, "")
    v, lim = scale * value, scale * limit
    for digits in range(len(text.rstrip("%").partition(".")[2]) + 1, 5):  # past the decimals shown
        if f"{v:.{digits}f}" != f"{lim:.{digits}f}":
            return f"{v:.{digits}f}{suffix}"
    return text


def rule_text(rule: Rule) -> str:
    """What a rule asks, e.g. ``>= 50 (error < 30)``; a hard limit (error at the warning
    threshold) reads ``<= 16``, and a minimum whose error threshold is below zero, which no
    measure here reaches (a hash distance), ``>= 7 (warning only)``."""
    text = f"{'>=' if rule.direction == 'min' else '<='} {format_value(rule.warn)}"
    if rule.direction == "min" and rule.fail < 0 <= rule.warn:
        text += " (warning only)"
    elif rule.fail != rule.warn:
        text += f" (error {'<' if rule.direction == 'min' else '>'} {format_value(rule.fail)})"
    return text


def operation_labels(names: Iterable[str]) -> str:
    """Operations as people read them, each once, in order: ``"Contrast stretch, Gamma"`` (an
    unknown name is shown as it is)."""
    return ", ".join(dict.fromkeys(OPERATIONS[n].label if n in OPERATIONS else n for n in names))


def recipe_words(text: str) -> str:
    """A stored recipe (its JSON) as people read it, step by step: ``"Contrast stretch: low 0.10,
    high 99.5 → Gamma: gamma 1.20"``. Empty for no recipe (an original); the text itself if it
    is not a readable recipe."""
    if not text.strip():
        return ""
    try:
        recipe = Recipe.from_json(text)
    except RecipeError:
        return text
    parts = []
    for step in recipe.steps:
        values = ", ".join(
            f"{name.replace('_', ' ')} {format_value(v) if isinstance(v, int | float) and not isinstance(v, bool) else v}"
            for name, v in step.params.items()
        )
        label = OPERATIONS[step.op].label
        parts.append(f"{label}: {values}" if values else label)
    return " → ".join(parts) if parts else "no steps"


def drawn_note(metrics: Mapping[str, float]) -> str | None:
    """Why some checks were skipped on a graphic, in words; ``None`` for a photo.

    The measuring leaves the tones (and in a drawn product also the colours) of a graphic blank
    (see :data:`core.engine.measures.CHOSEN_IN_A_DRAWN_GRAPHIC`); a reviewer should know it was
    read as drawn, not find the checks silently missing.
    """
    palette = metrics.get("palette_share", math.nan)
    if palette >= DRAWN_PALETTE_SHARE:
        return (
            f"Read as a drawn graphic ({palette:.0%} of its flat areas in 8 exact colours): its exposure, "
            "contrast and colours are design choices, not judged."
        )
    if math.isnan(metrics.get("contrast", 0.0)) and math.isnan(metrics.get("gray_chroma", 0.0)):
        # Colours left blank without a palette: drawn in strokes (see measures.is_line_drawing).
        return (
            "Read as a line drawing (thin strokes on a flat background): its exposure, contrast and colours "
            "are design choices, not judged."
        )
    if math.isnan(metrics.get("contrast", 0.0)):
        return (
            "Read as a graphic on a drawn colour background (one exact colour): its exposure and contrast "
            "are design choices, not judged."
        )
    return None


def backdrop_colour_note(metrics: Mapping[str, float]) -> str | None:
    """Why a tinted backdrop was not judged a colour cast, in words; ``None`` otherwise.

    A white-balance error tints the product's greys and whites with the backdrop; when they stay
    grey, the backdrop's colour was chosen (see :data:`core.engine.measures.CHOSEN_TINT_MAX_SHARE`).
    """
    share = metrics.get("neutral_tint_share", math.nan)
    if not share < CHOSEN_TINT_MAX_SHARE or metrics.get("palette_share", math.nan) >= DRAWN_PALETTE_SHARE:
        return None
    return (
        f"The background's colour reads as chosen: only {share:.0%} of the product's grey and white surfaces "
        "share its tint (a colour cast tints them all), so it is not judged as a cast."
    )


def frame_note(metrics: Mapping[str, float]) -> str | None:
    """That an image in a drawn frame was judged inside it, in words; ``None`` without a frame (see
    :func:`core.engine.measures.frame_box`)."""
    frame = metrics.get("frame", 0.0)
    if not frame > 0:
        return None
    return (
        f"Framed: a dark rule covers {frame:.0%} of the canvas. What is inside it is what is judged, "
        "its light field as the backdrop (a card's white paper is not a blown highlight); the product's "
        "place in the frame is judged on the whole canvas."
    )


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun`` in the singular or the plural (nouns that take an "s"): "1 file",
    "2 files", "10,000 files" (thousands separated, as every other count on screen is)."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def enlarged_note(metrics: Mapping[str, float]) -> str | None:
    """That a version enlarged past its source is judged at the source's resolution, in words;
    ``None`` if it was not (see :func:`core.engine.assess.at_source_resolution`)."""
    long_side = metrics.get("long_side", math.nan)
    size = max(metrics.get("width", math.nan), metrics.get("height", math.nan))
    if not (math.isfinite(long_side) and math.isfinite(size)) or size - long_side < 1:
        return None
    return (
        f"Enlarged from {long_side:.0f} px to {size:.0f} px on the long side: enlarging adds pixels, not detail, "
        f"so the resolution checks judge it at {long_side:.0f} px."
    )


def padding_note(metrics: Mapping[str, float]) -> str | None:
    """That a padded image was judged on the photo inside its padding, in words; ``None`` if it
    was not padded (see :func:`core.engine.measures.photo_box`)."""
    padding = metrics.get("padding", 0.0)
    if not padding > 0:
        return None
    return (
        f"Padded: flat bands cover {padding:.0%} of the canvas. The photo inside them is what is judged "
        "(a white border does not brighten a dark photo); the product's place in the frame is judged on the "
        "whole canvas."
    )
