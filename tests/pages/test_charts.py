import pandas as pd

from core.vocabulary import ISSUE_NAMES
from pages.common.charts import ISSUE_ROW_PX, issue_bar


def test_issue_chart_keeps_every_label_with_thousands_of_images():
    counts = pd.Series({name: 2400 - 150 * i for i, name in enumerate(ISSUE_NAMES)})
    fig = issue_bar(counts)
    assert list(fig.layout.yaxis.tickvals) == [str(n) for n in reversed(ISSUE_NAMES)]  # one tick per bar
    assert fig.layout.yaxis.tickmode == "array"
    assert fig.layout.height >= ISSUE_ROW_PX * len(ISSUE_NAMES)  # room for every label


def test_the_issue_chart_leaves_room_for_the_longest_count_beside_its_bar():
    """Found by a probe at 1440 px: the largest count, 2,277, was cut to "2,27" at the figure's
    edge (a right margin of 10 px). The right margin holds the longest count written."""
    from pages.common.charts import BAR_TEXT_CHAR_PX

    for counts, longest in ((pd.Series({"Too dark": 2277, "Blurry": 12}), "2,277"), (pd.Series({"Blurry": 3}), "3")):
        fig = issue_bar(counts)
        bar = fig.data[0]
        assert list(bar.text) == [f"{v:,}" for v in counts.values[::-1]] and longest in bar.text
        assert bar.textposition == "outside" and bar.cliponaxis is False  # beside the bar, past the plot's edge
        assert fig.layout.margin.r >= 7 * len(longest) + 4 and BAR_TEXT_CHAR_PX >= 7  # 7 px a digit, and a gap
    assert (
        issue_bar(pd.Series({"Too dark": 1_234_567})).layout.margin.r
        > issue_bar(pd.Series({"x": 2277})).layout.margin.r
    )


def test_histogram_legend_sits_between_title_and_plot_not_over_the_axis():
    import numpy as np

    from pages.common.charts import HISTOGRAM_LEGEND_TOP_PX, histogram_figure

    rgb = np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    fig = histogram_figure(rgb, title="After (solid) vs before luma (dotted)", compare=rgb)
    layout = fig.layout
    # The title at the figure's top, the legend's top edge fixed below it on the figure (so a
    # legend that wraps grows down, pushing the plot), and the plot under both.
    assert (layout.title.yref, layout.title.y, layout.title.yanchor) == ("container", 1, "top")
    assert (layout.legend.orientation, layout.legend.yref, layout.legend.yanchor) == ("h", "container", "top")
    legend_top_px = (1 - layout.legend.y) * layout.height
    assert round(legend_top_px) == HISTOGRAM_LEGEND_TOP_PX >= 30  # under a one-line title
    assert layout.margin.t >= HISTOGRAM_LEGEND_TOP_PX + 25  # a row of legend before the plot starts
    assert layout.xaxis.automargin and layout.xaxis.title.text == "level"  # the ticks and title keep their room


def test_a_white_backdrop_spike_is_cut_off_so_the_product_tones_show(product):
    import numpy as np

    from pages.common.charts import SPIKE_LABEL_GAP_PX, histogram_figure

    fig = histogram_figure(product)  # a product on a large white backdrop
    top = fig.layout.yaxis.range[1]
    peak = max(max(t.y) for t in fig.data)
    assert top < peak / 2  # the axis follows the product's tones, not the backdrop's spike
    (note,) = fig.layout.annotations
    assert note.text.startswith("level 255:") and "off the scale" in note.text
    assert (note.xanchor, note.xshift) == ("right", -SPIKE_LABEL_GAP_PX)  # left of the spike's line
    even = np.random.default_rng(1).integers(0, 256, (60, 80, 3), dtype=np.uint8)
    plain = histogram_figure(even)  # tones spread evenly: nothing is cut off
    assert plain.layout.yaxis.range is None and not plain.layout.annotations


def test_the_label_of_a_dark_spike_starts_clear_of_its_line():
    """Found by a browser probe on cup_underexposed.jpg (45% of its pixels at level 81): the
    label, anchored at the spike, was drawn through by the spike's line and read "evel 81"."""
    import numpy as np

    from pages.common.charts import SPIKE_LABEL_GAP_PX, histogram_figure

    rgb = np.random.default_rng(2).integers(0, 80, (60, 80, 3), dtype=np.uint8)
    rgb[:30] = 81  # half the photo at one dark level
    (note,) = histogram_figure(rgb).layout.annotations
    assert note.text.startswith("level 81:")
    assert (note.xanchor, note.xshift) == ("left", SPIKE_LABEL_GAP_PX) and SPIKE_LABEL_GAP_PX >= 4


def test_points_lost_labels_wrap_to_fit_a_narrow_column():
    from pages.common.charts import contributions_figure, wrap_label

    assert wrap_label("Product small in frame") == "Product<br>small in<br>frame"
    assert wrap_label("Low resolution") == "Low<br>resolution"
    assert wrap_label("Blurry") == "Blurry"
    fig = contributions_figure({"Product small in frame": 0.4, "Low resolution": 10.7})
    assert all(len(line) <= 12 for label in fig.data[0].y for line in label.split("<br>"))
    assert fig.data[0].cliponaxis is False and fig.layout.margin.r >= 30  # "-10.7" beside its bar stays whole


def test_every_chart_title_sits_below_the_plotly_toolbar(product):
    """Found by a walkthrough at phone width (390 px): Plotly's toolbar icons (top right of the
    figure) sat on the charts' titles. Every figure keeps a band at its top for the toolbar and
    hangs its title, left-aligned, under it; the plot starts below the title."""
    from pages.common.charts import (
        MODEBAR_BAND_PX,
        TITLE_LINE_PX,
        contributions_figure,
        decision_boxes,
        histogram_figure,
        issue_bar,
        rejection_band_bars,
        score_bins_chart,
    )

    figures = {
        "histogram": histogram_figure(product, title="Per-channel and luminance histogram (preview)"),
        "points lost": contributions_figure({"Blurry": 3.0}),
        "score bins": score_bins_chart({95: 4}),
        "issues": issue_bar(pd.Series({"Too dark": 3})),
        "by decision": decision_boxes(
            {"approved": pd.Series([0.9, 0.8]), "rejected": pd.Series([0.2])}, metric="sharpness", threshold=0.5
        ),
        "rejection rate": rejection_band_bars(
            pd.DataFrame({"band": ["0-1"], "not approved": [0.5], "text": ["50%"]}), metric="sharpness", axis_title="x"
        ),
    }
    for name, fig in figures.items():
        title = fig.layout.title
        assert title.text, name
        assert (title.yref, title.y, title.yanchor, title.xanchor) == ("container", 1, "top", "left"), name
        assert title.pad.t >= MODEBAR_BAND_PX >= 26, name  # below the toolbar's 22 px buttons
        assert fig.layout.margin.t >= MODEBAR_BAND_PX + TITLE_LINE_PX, name  # the plot starts under the title


def test_image_counts_step_by_whole_images():
    """Seen on a new merchant's Overview (6 images): both charts' count axes read 0, 0.5, 1, 1.5, 2
    images. An axis of counts steps by whole images: every one up to 5, every second up to 10,
    Plotly's own (whole) steps beyond, always written as whole numbers."""
    from pages.common.charts import score_bins_chart

    few = (
        score_bins_chart({45: 1, 70: 2, 95: 2}).layout.yaxis,
        issue_bar(pd.Series({"Flat": 2, "Dark": 1})).layout.xaxis,
    )
    for axis in few:
        assert (axis.tick0, axis.dtick, axis.tickformat) == (0, 1, ",d")
    assert score_bins_chart({45: 8, 95: 3}).layout.yaxis.dtick == 2
    many = (score_bins_chart({45: 2400}).layout.yaxis, issue_bar(pd.Series({"Flat": 2400})).layout.xaxis)
    for axis in many:
        assert axis.dtick is None and axis.tickformat == ",d"


def test_decisions_are_named_in_words_in_the_box_plot():
    """Seen on Feedback: the box plot's axis said "needs_changes" where every page says "Needs changes"."""
    from pages.common.charts import decision_boxes

    fig = decision_boxes(
        {"approved": pd.Series([0.9]), "needs_changes": pd.Series([0.4]), "rejected": pd.Series([0.2])},
        metric="sharpness",
        threshold=0.5,
    )
    assert [trace.name for trace in fig.data] == ["Approved", "Needs changes", "Rejected"]
