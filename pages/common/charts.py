"""Plotly figures used by several pages (drawing only; the numbers come from ``core``)."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.engine.histogram import histograms
from core.vocabulary import decision_label

#: Height (px) of the band kept free at the top of every figure for Plotly's toolbar (the
#: modebar: 22 px buttons, 2 px from the top, at the top right). Titles start below it: at phone
#: width (390 px) a title runs under the toolbar's icons, which covered it.
MODEBAR_BAND_PX = 28
#: Height (px) of a one-line title (Plotly's 17 px title font) with a little air under it.
TITLE_LINE_PX = 26
#: Where a histogram's legend starts, in pixels from the figure's top (the toolbar's band and the
#: title are above it).
HISTOGRAM_LEGEND_TOP_PX = MODEBAR_BAND_PX + 32


def _titled(fig: go.Figure, title: str, *, height: int, top: int = TITLE_LINE_PX) -> go.Figure:
    """Give ``fig`` its ``title`` under the toolbar's band, in one place for every chart: the title
    hangs from the figure's top (not the plot's) below :data:`MODEBAR_BAND_PX`; the plot starts
    ``top`` pixels under the band (room for the title, or title and legend), and the figure is
    ``height`` tall plus the band, so the plot keeps the room it had before the band."""
    fig.update_layout(
        title={
            "text": title,
            "x": 0,
            "xanchor": "left",
            "xref": "container",  # from the figure's left edge: a bar chart's long labels push the plot right
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": MODEBAR_BAND_PX, "l": 8},
        },
        height=height + MODEBAR_BAND_PX,
        margin={"t": MODEBAR_BAND_PX + top},
    )
    return fig


CHANNEL_COLORS = {"red": "#d62728", "green": "#2ca02c", "blue": "#1f77b4", "luma": "#444444"}


def histogram_figure(
    rgb: np.ndarray, *, title: str = "Histogram", compare: np.ndarray | None = None, height: int = 300
) -> go.Figure:
    """Per-channel and luminance histograms as shares of pixels; with ``compare``, the luma of
    a second image is overlaid (before/after)."""
    fig = go.Figure()
    h = histograms(rgb)
    total = rgb.shape[0] * rgb.shape[1]
    x = np.arange(256)
    shares: list[np.ndarray] = []
    for name, counts in h.items():
        shares.append(counts / total)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=shares[-1],
                name=name,
                mode="lines",
                line={"color": CHANNEL_COLORS[name], "width": 2 if name == "luma" else 1},
            )
        )
    if compare is not None:
        shares.append(histograms(compare)["luma"] / (compare.shape[0] * compare.shape[1]))
        fig.add_trace(
            go.Scatter(
                x=x,
                y=shares[-1],
                name="luma (before)",
                mode="lines",
                line={"color": "#999999", "dash": "dot", "width": 2},
            )
        )
    _cut_off_spike(fig, shares)
    # The legend has its own band under the title: below the plot it covered the level ticks and
    # the axis title. Placed on the figure (not the plot) with its top fixed, a legend that wraps in
    # a narrow column grows downwards and pushes the plot down, never into the title.
    _titled(fig, title, height=height, top=HISTOGRAM_LEGEND_TOP_PX - MODEBAR_BAND_PX + 38)
    fig.update_layout(
        margin={"l": 10, "r": 10, "b": 10},
        xaxis={"title": {"text": "level"}, "automargin": True},
        yaxis={"title": {"text": "share of pixels"}, "automargin": True},
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1 - HISTOGRAM_LEGEND_TOP_PX / fig.layout.height,
            "yanchor": "top",
            "yref": "container",
        },
    )
    return fig


def _cut_off_spike(fig: go.Figure, shares: list[np.ndarray]) -> None:
    """A white backdrop puts a third of the pixels at one level and flattens every other tone to
    the axis; such a spike is cut off at the top (labelled with its value) so the tones show."""
    peak = max(float(y.max()) for y in shares)
    typical = max(float(np.sort(y)[-3]) for y in shares)  # each curve's third-highest level
    if typical <= 0 or peak < SPIKE_RATIO * typical:
        return
    top = 1.3 * typical
    series = max(shares, key=lambda y: float(y.max()))
    level = int(series.argmax())
    fig.update_yaxes(range=[0, top])
    right = level > 127
    fig.add_annotation(
        x=level,
        y=top,
        yanchor="top",
        xanchor="right" if right else "left",
        # Clear of the spike's own line, which ran through the label's first letter ("evel 81").
        xshift=-SPIKE_LABEL_GAP_PX if right else SPIKE_LABEL_GAP_PX,
        showarrow=False,
        text=f"level {level}: {peak:.0%} of pixels (off the scale)",
    )


#: A level holding this many times a curve's typical peak is cut off (see :func:`histogram_figure`).
SPIKE_RATIO = 3.0
#: Room (px) between a cut-off spike and its label.
SPIKE_LABEL_GAP_PX = 6


#: Longest line of a bar label (characters): in a narrow column (800 px, sidebar open) a longer
#: one-line label leaves the plot no room and is cut at the figure's left edge.
LABEL_LINE_CHARS = 12


def wrap_label(label: str, *, width: int = LABEL_LINE_CHARS) -> str:
    """``label`` broken into Plotly lines (``<br>``) of at most ``width`` characters at spaces (a
    longer word keeps its own line)."""
    return "<br>".join(textwrap.wrap(label, width, break_long_words=False, break_on_hyphens=False))


#: Points a check must cost to be drawn (and said) as a cost: less rounds to -0.0.
SHOWN_POINTS = 0.05


def contributions_figure(contributions: dict[str, float], *, height: int = 220) -> go.Figure:
    items = sorted(((k, v) for k, v in contributions.items() if v >= SHOWN_POINTS), key=lambda kv: kv[1])
    fig = go.Figure(
        go.Bar(
            x=[v for _, v in items],
            y=[wrap_label(k) for k, _ in items],
            orientation="h",
            marker_color="#d62728",
            text=[f"-{v:.1f}" for _, v in items],
            textposition="outside",
            cliponaxis=False,  # the value beside the longest bar stays whole in the right margin
        )
    )
    fig.update_xaxes(range=[0, max([v for _, v in items], default=1) * 1.25])
    _titled(fig, "Points lost per check", height=max(120, height if items else 120))
    fig.update_layout(margin={"l": 10, "r": 36, "b": 10}, xaxis_title="points")
    return fig


def _whole_counts(top: float) -> dict[str, object]:
    """An axis of image counts that steps by whole images: with a few images Plotly's own ticks
    read 0, 0.5, 1, 1.5, 2 images (a new merchant's Overview); up to 5 every image is a tick,
    up to 10 every second one, beyond that Plotly's steps (whole numbers there) written as such."""
    step = 1 if top <= 5 else 2 if top <= 10 else None
    return {"tickformat": ",d", "tick0": 0, "dtick": step}


def score_bins_chart(bins: dict[int, int], *, width: int = 5) -> go.Figure:
    """The score histogram from counts per bin (bin start -> images), computed by the database."""
    starts = list(range(0, 100, width))
    fig = go.Figure(
        go.Bar(
            x=[s + width / 2 for s in starts],
            y=[bins.get(s, 0) for s in starts],
            width=width * 0.95,
            marker_color="#1f6feb",
            hovertext=[f"{s}-{s + width}" for s in starts],
        )
    )
    _titled(fig, "Quality scores", height=280)
    fig.update_layout(
        margin={"l": 10, "r": 10, "b": 10},
        xaxis_title="score (0-100)",
        yaxis_title="images",
        xaxis_range=[0, 100],
        yaxis_rangemode="nonnegative",  # never an axis below 0 images
    )
    fig.update_yaxes(**_whole_counts(max(bins.values(), default=0)))
    return fig


#: Height (px) per bar of the issue chart: enough for its label, so none is ever skipped.
ISSUE_ROW_PX = 22
#: Width (px) a count written beside its bar takes per character (digits and commas at Plotly's
#: 12 px font are 7 px or less), and the gap before it.
BAR_TEXT_CHAR_PX = 8
BAR_TEXT_GAP_PX = 12


def issue_bar(counts: pd.Series) -> go.Figure:
    """Images per issue as horizontal bars. Every issue keeps its label, however many there are
    and however large the counts: one tick per bar, and the chart grows with the number of bars.
    Each count is written beside its bar, the longest bar's in a right margin made as wide as the
    longest count, at any width of the chart (a margin of 10 px cut 2,277 to "2,27" at 1440 px)."""
    names = [str(n) for n in counts.index[::-1]]
    written = [f"{int(v):,}" for v in counts.values[::-1]]
    fig = go.Figure(
        go.Bar(
            x=counts.values[::-1],
            y=names,
            orientation="h",
            marker_color="#e8710a",
            text=written,
            textposition="outside",
            cliponaxis=False,  # drawn past the plot's edge, in the right margin
        )
    )
    _titled(fig, "Issues", height=max(280, 90 + ISSUE_ROW_PX * len(names)))
    right = BAR_TEXT_GAP_PX + BAR_TEXT_CHAR_PX * max(map(len, written), default=1)
    fig.update_layout(margin={"l": 10, "r": right, "b": 10}, xaxis_title="images")
    fig.update_xaxes(**_whole_counts(max(counts.values, default=0)))
    fig.update_yaxes(type="category", tickmode="array", tickvals=names, ticktext=names, automargin=True)
    return fig


DECISION_COLORS = {"approved": "#2ca02c", "rejected": "#d62728", "needs_changes": "#e8710a"}


def decision_boxes(values: dict[str, pd.Series], *, metric: str, threshold: float) -> go.Figure:
    """A metric's values per decision as box plots with every point, and the best cut as a line."""
    fig = go.Figure()
    for decision, vals in values.items():
        fig.add_trace(
            go.Box(
                x=vals,
                name=decision_label(decision),  # "Needs changes", as every page says
                marker_color=DECISION_COLORS[decision],
                boxpoints="all",
                jitter=0.4,
            )
        )
    fig.add_vline(x=threshold, line_dash="dash", annotation_text="best cut")
    _titled(fig, f"{metric} by decision", height=320)
    fig.update_layout(margin={"l": 10, "r": 10, "b": 10})
    return fig


def rejection_band_bars(bands: pd.DataFrame, *, metric: str, axis_title: str) -> go.Figure:
    """The share of decisions that were not approvals per band of a metric, from a table with
    "band" (its label), "not approved" (NaN: no decision in it) and "text" (written over each bar).

    Every band keeps its bar and its words, so a band where all were approved (0%) and one no
    decision fell in read differently.
    """
    fig = go.Figure(
        go.Bar(
            x=list(bands["band"]),
            y=list(bands["not approved"].fillna(0.0)),
            text=list(bands["text"]),
            textposition="outside",  # above a bar of 0 too, where inside there is no room
            cliponaxis=False,
            marker_color="#d62728",
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    _titled(fig, f"Rejection rate by {metric} band", height=320, top=TITLE_LINE_PX + 10)
    fig.update_layout(
        margin={"l": 10, "r": 10, "b": 10},
        yaxis={
            "range": [0, 1.12],
            "tickvals": [0, 0.25, 0.5, 0.75, 1],
            "tickformat": ".0%",
            "title": {"text": "share not approved"},
        },
        # Labels like "1.5" would otherwise turn the axis numeric and move the bars.
        xaxis={"type": "category", "title": {"text": axis_title}, "automargin": True},
    )
    return fig
