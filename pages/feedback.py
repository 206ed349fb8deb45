"""Feedback: every decision, filterable and exportable, and what the decisions say about the metrics."""

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.engine.profiles import ProfileError
from core.services.access import roles_for
from core.services.feedback import ANALYTICS_SAMPLE, TABLE_ROWS, feedback_choices, feedback_count
from core.services.profiles import get_profile, save_and_rescore
from core.store.analytics import metric_separation, reviewer_agreement, separations, suggest_profile
from core.store.feedback import FeedbackFilter, feedback_csv, feedback_frame
from core.vocabulary import DECISIONS, METRIC_INFO
from pages.common.session import get_store, profile_names, require_role

user = require_role(*roles_for("feedback"))
store = get_store()
st.title("Reviewer feedback")

reviewers, merchants = feedback_choices(store)  # DISTINCT queries, not every decision
with st.container(border=True):
    # Two rows, so the date range and the toggle keep their whole text at 1280 px (and stack on phones).
    c = st.columns([2, 1, 1])
    today = dt.date.today()
    dates = c[0].date_input("Decided between", value=(today - dt.timedelta(days=30), today), key="fb_dates")
    reviewer = c[1].selectbox("Reviewer", ["(all)", *reviewers], key="fb_rev")
    merchant = c[2].selectbox("Merchant", ["(all)", *merchants], key="fb_merchant")
    c = st.columns([1, 1, 2], vertical_alignment="bottom")
    decision = c[0].selectbox("Decision", ["(all)", *DECISIONS], key="fb_decision")
    profile = c[1].selectbox("Profile", ["(all)", *profile_names()], key="fb_profile")
    history = c[2].toggle("Include undone and replaced decisions", key="fb_history")
start, end = (dates if isinstance(dates, tuple) and len(dates) == 2 else (dates, dates)) if dates else (None, None)


def _opt(v: str) -> str | None:
    return None if v == "(all)" else v


flt = FeedbackFilter(
    date_from=start.isoformat() if start else None,
    date_to=end.isoformat() if end else None,
    reviewer=_opt(reviewer),
    merchant_id=_opt(merchant),
    decision=_opt(decision),
    profile=_opt(profile),
    include_history=history,
)
# Counted in SQL; the table shows the newest TABLE_ROWS, the analytics learn from the newest
# ANALYTICS_SAMPLE, and the CSV (every matching decision) is built only when downloaded.
by_decision = feedback_count(store, flt)
n_total = sum(by_decision.values())
frame = feedback_frame(store, flt, limit=ANALYTICS_SAMPLE, newest_first=True).iloc[::-1].reset_index(drop=True)

st.subheader(f"{n_total} decisions")
if n_total > TABLE_ROWS:
    st.caption(f"The table shows the newest {TABLE_ROWS}; the CSV holds all {n_total}.")
st.download_button(
    "Download these rows as CSV",
    data=lambda: feedback_csv(feedback_frame(store, flt)),
    file_name="feedback.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
    key="fb_csv",
)
st.dataframe(
    frame.tail(TABLE_ROWS),
    hide_index=True,
    key="fb_table",
    column_order=[
        "decided_at",
        "reviewer",
        "decision",
        "reasons",
        "comment",
        "file_name",
        "merchant_id",
        "sku",
        "profile",
        "quality_score",
        "issues",
        "lead_time_s",
        "version_kind",
    ],
    column_config={
        "quality_score": st.column_config.NumberColumn("score", format="%.0f"),
        "lead_time_s": st.column_config.NumberColumn("lead time (s)", format="%.1f"),
    },
)

MIN_EACH = 5  # below this a "perfect" threshold is just luck
if n_total > ANALYTICS_SAMPLE:
    st.caption(f"The analytics below learn from the newest {ANALYTICS_SAMPLE} of the {n_total} decisions.")
n_approved = int((frame["decision"] == "approved").sum())
n_rejected = len(frame) - n_approved
if n_approved < MIN_EACH or n_rejected < MIN_EACH:
    st.info(
        f"Too few decisions to learn from yet: {n_approved} approved and {n_rejected} rejected or sent back "
        f"in the selection; the analytics need at least {MIN_EACH} of each."
    )
    st.stop()

st.header("What separates approved from rejected images")
seps = separations(frame)
table = pd.DataFrame(
    [
        {
            "metric": s.metric,
            "rejected when": f"{'below' if s.direction == 'min' else 'above'} {s.threshold:.3g}",
            "balanced accuracy": s.balanced_accuracy,
            "decisions": s.n,
            "meaning": METRIC_INFO[s.metric][1],
        }
        for s in seps
    ]
)
st.dataframe(
    table,
    hide_index=True,
    key="sep_table",
    column_config={
        "balanced accuracy": st.column_config.ProgressColumn(
            "balanced accuracy", min_value=0.5, max_value=1.0, format="%.2f"
        )
    },
)
metric = st.selectbox("Metric", [s.metric for s in seps], key="fb_metric")
sep = metric_separation(frame, metric)
if sep is not None:
    a, b = st.columns(2)
    fig = go.Figure()
    for d, color in (("approved", "#2ca02c"), ("rejected", "#d62728"), ("needs_changes", "#e8710a")):
        vals = frame.loc[frame["decision"] == d, metric].dropna()
        if len(vals):
            fig.add_trace(go.Box(x=vals, name=d, marker_color=color, boxpoints="all", jitter=0.4))
    fig.add_vline(x=sep.threshold, line_dash="dash", annotation_text="best cut")
    fig.update_layout(title=f"{metric} by decision", height=320, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    a.plotly_chart(fig, key="fb_box")
    bands = go.Figure(
        go.Bar(
            x=[f"{lo:.3g}-{hi:.3g}" for lo, hi, _, _ in sep.bands],
            y=[rate for *_, rate in sep.bands],
            text=[f"n={n}" for _, _, n, _ in sep.bands],
            marker_color="#d62728",
        )
    )
    bands.update_layout(
        title=f"Rejection rate by {metric} band",
        height=320,
        yaxis_range=[0, 1],
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        yaxis_title="share not approved",
    )
    b.plotly_chart(bands, key="fb_bands")

st.header("Reviewer agreement")
agreement = reviewer_agreement(frame)
if agreement.empty:
    st.caption("No image in the selection was judged by two reviewers.")
else:
    st.dataframe(
        agreement,
        hide_index=True,
        key="fb_agree",
        column_config={
            "agreement": st.column_config.NumberColumn(format="%.2f"),
            "kappa": st.column_config.NumberColumn("Cohen's kappa", format="%.2f"),
        },
    )

st.header("Thresholds tuned to the reviewers")
base_name = st.selectbox("Start from profile", profile_names(), key="fb_base")
new_name = st.text_input("Name for the tuned profile", value=f"{base_name}-tuned", key="fb_newname")
base = get_profile(store, base_name)
try:
    tuned, changes = suggest_profile(base, frame, name=new_name.strip().lower() or f"{base_name}-tuned")
except ProfileError as exc:
    st.error(str(exc))
    st.stop()
if not changes:
    st.caption(
        "No metric predicts the decisions clearly enough (at least 10 decisions and balanced accuracy "
        "0.65, in the rule's direction) to move a threshold."
    )
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "check": ch.check,
                    "metric": ch.metric,
                    "was": ch.old_warn,
                    "suggested": ch.new_warn,
                    "balanced accuracy": round(ch.balanced_accuracy, 2),
                    "decisions": ch.n,
                }
                for ch in changes
            ]
        ),
        hide_index=True,
        key="fb_changes",
    )
    if user.role != "admin":
        st.caption("An administrator can save this as a profile.")
    elif st.button("Save as profile and rescore the catalogue", type="primary", icon=":material/save:"):
        try:  # in the database: every app server sees it
            name, n = save_and_rescore(store, tuned, actor=user.username)
        except ProfileError as exc:
            st.error(str(exc))
        else:
            st.success(f"Saved profile '{name}' and scored {n} image versions with it.")
