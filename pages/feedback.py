"""Feedback: every decision, filterable and exportable, and what the decisions say about the metrics."""

import datetime as dt

import streamlit as st

from core.engine.profiles import ProfileError
from core.engine.wording import counted
from core.services.access import may_save_profiles, roles_for
from core.services.feedback import (
    ANALYTICS_SAMPLE,
    MAX_APPROVED_SHARE,
    MIN_EACH,
    TABLE_ROWS,
    TUNE_MIN_EACH,
    Impact,
    TunedProfile,
    band_table,
    changes_table,
    default_dates,
    feedback_choices,
    feedback_csv,
    feedback_filter,
    feedback_frame,
    feedback_summary,
    impact_table,
    latest_analysis,
    metric_axis_title,
    metric_by_decision,
    metric_separation,
    separation_table,
    separations,
    tuned_profile,
    tuning_impact,
    unmoved_table,
)
from core.services.profiles import profile_label, save_and_rescore
from core.vocabulary import ANY_CHOICE, DECISIONS, decision_label, issue_labels, metric_title
from pages.common.charts import decision_boxes, rejection_band_bars
from pages.common.session import get_store, profile_names, require_role
from pages.common.tables import headed
from pages.common.text import plain

user = require_role(*roles_for("feedback"))
store = get_store()


@st.cache_data(max_entries=8, ttl=600, show_spinner="Counting what saving would change in the catalogue...")
def _impact(fingerprint: str, latest: int, _tuning: TunedProfile, *, database: str) -> Impact:
    """:func:`tuning_impact` of the tuned profile ``fingerprint`` names, once per profile, newest
    measured version and database: it reads every stored measurement (15 s at 300,000 images),
    and the page reruns on every click."""
    return tuning_impact(get_store(), _tuning)


st.title("Reviewer feedback")


def _all(value: str | None) -> str:
    return ANY_CHOICE if value is None else value


def _any_decision(value: str | None) -> str:
    return ANY_CHOICE if value is None else decision_label(value)


reviewers, merchants = feedback_choices(store)  # DISTINCT queries, not every decision
with st.container(border=True):
    # Two rows, so the date range and the toggle keep their whole text at 1280 px (and stack on phones).
    c = st.columns([2, 1, 1])
    dates = c[0].date_input("Decided between", value=default_dates(dt.date.today()), key="fb_dates")
    reviewer = c[1].selectbox("Reviewer", [None, *reviewers], format_func=_all, key="fb_rev")
    merchant = c[2].selectbox("Merchant", [None, *merchants], format_func=_all, key="fb_merchant")
    # A row that wraps: at 800 px the toggle moves under the boxes instead of losing its words.
    with st.container(horizontal=True, vertical_alignment="bottom"):
        decision = st.selectbox("Decision", [None, *DECISIONS], format_func=_any_decision, key="fb_decision", width=200)
        profile = st.selectbox(
            "Profile",
            [None, *profile_names()],
            format_func=lambda p: _all(None if p is None else profile_label(p)),
            key="fb_profile",
            width=200,
        )
        history = st.toggle("Include undone and replaced decisions", key="fb_history", width="content")
flt = feedback_filter(
    dates=dates,
    reviewer=reviewer,
    merchant_id=merchant,
    decision=decision,
    profile=profile,
    include_history=history,
)
# Counted in SQL; the table shows the newest TABLE_ROWS, the separations and tuned thresholds learn
# from the newest ANALYTICS_SAMPLE, reviewer agreement is counted on every double-reviewed image
# (fetched alone, in SQL), and the CSV (every matching decision) is built only when downloaded.
summary = feedback_summary(store, flt)
n_total = summary.total
frame = summary.sample

st.subheader(counted(n_total, "decision"))
if n_total == 0:
    st.info(
        "No decision matches these filters. Decisions made on the Review page appear here; "
        "widen the dates or set a filter back to (all) to see others.",
        icon=":material/inbox:",
    )
    st.stop()
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
    summary.table,
    hide_index=True,
    key="fb_table",
    # Rows taller than 4rem make the grid wrap text: three lines of reasons or comment, not "Please re-sh...".
    row_height=72,
    # What was decided on comes right after when: after the comment it was cut at 1400 px.
    column_order=[
        "decided_at",
        "file_name",
        "reviewer",
        "decision",
        "reasons",
        "comment",
        "merchant_id",
        "sku",
        "profile",
        "quality_score",
        "issues",
        "lead_time_s",
        "version_kind",
    ],
    column_config={
        "decided_at": "Decided (UTC)",
        "reviewer": "Reviewer",
        "decision": "Decision",
        "reasons": st.column_config.TextColumn("Reasons", width="medium"),
        # 320 px: the whole comment column is in view at 1280 px with the sidebar open ("large", 400, is not).
        "comment": st.column_config.TextColumn("Comment", width=320),
        "file_name": "File",
        "merchant_id": "Merchant",
        "sku": "SKU",
        "profile": "Profile",
        "quality_score": st.column_config.NumberColumn("Score", format="%.1f"),
        "issues": "Issues",
        # Streamlit shows a missing number as "None": say when there is none.
        "lead_time_s": st.column_config.NumberColumn(
            "Lead time (s)",
            format="%.1f",
            help="Seconds from opening the image on Review to deciding. None where it was not opened on its own "
            "first (a bulk approval).",
        ),
        "version_kind": "Version",
    },
)

# Which figures rest on the newest decisions only, and which on all of them.
sample_note = f"the newest {ANALYTICS_SAMPLE} of the {n_total} decisions"
if summary.sampled:
    st.caption(
        f"What separates approved from rejected images and the thresholds tuned to the reviewers learn from "
        f"{sample_note}; reviewer agreement is counted on every image two reviewers judged among all {n_total}."
    )
balance = summary.balance
if not balance.enough:
    st.info(
        f"Too few decisions to learn from yet: {balance.approved} approved and {balance.not_approved} rejected "
        f"or sent back {f'among {sample_note}' if summary.sampled else 'in the selection'}; the analytics need "
        f"at least {MIN_EACH} of each."
    )
    st.stop()

st.header("What separates approved from rejected images")
if min(balance.approved, balance.not_approved) < TUNE_MIN_EACH:
    # The table's accuracies read as precise; a cut through a handful of decisions is often luck.
    st.warning(
        f"Learned from only {balance.approved} approved and {balance.not_approved} rejected or sent-back "
        f"decisions: with so few, a cut that reproduces them well is often chance. Thresholds are suggested "
        f"only from {TUNE_MIN_EACH} of each.",
        icon=":material/science:",
    )
seps = separations(frame)
separations_shown = separation_table(seps)
st.dataframe(
    separations_shown,
    hide_index=True,
    key="sep_table",
    column_config=headed(
        separations_shown.columns,
        {
            "balanced accuracy": st.column_config.ProgressColumn(min_value=0.5, max_value=1.0, format="%.2f"),
            "column": st.column_config.TextColumn(help="The measure's column in the CSV download"),
        },
    ),
)
metric = st.selectbox("Measure", [s.metric for s in seps], format_func=metric_title, key="fb_metric")
sep = metric_separation(frame, metric)
if sep is not None:
    a, b = st.columns(2)
    # The same plotly_chart call as every other page (pages/common/charts.py draws the figure).
    a.plotly_chart(
        decision_boxes(metric_by_decision(frame, metric), metric=metric_title(metric), threshold=sep.threshold),
        key="fb_box",
    )
    b.plotly_chart(
        rejection_band_bars(band_table(sep), metric=metric_title(metric), axis_title=metric_axis_title(metric)),
        key="fb_bands",
    )

st.header("Reviewer agreement")
# Every double-reviewed image the filters select, not the sample: a cut through the history leaves
# older double reviews out and splits pairs (3 images and kappa -0.80 where all 40 gave 0.43).
overall = summary.overall_agreement
if overall is None:
    st.caption("No image in the selection was judged by two reviewers.")
else:
    if summary.sampled:
        st.caption(
            f"Counted on every image two reviewers judged among all {n_total} decisions, "
            f"not only the newest {ANALYTICS_SAMPLE}."
        )
    st.dataframe(
        summary.agreement,
        hide_index=True,
        key="fb_agree",
        column_config=headed(
            summary.agreement.columns,
            {
                "agreement": st.column_config.NumberColumn(format="%.2f"),
                "kappa": st.column_config.NumberColumn("Cohen's kappa", format="%.2f"),
            },
        ),
    )

st.header("Thresholds tuned to the reviewers")
base_name = st.selectbox("Start from profile", profile_names(), key="fb_base", format_func=profile_label)
new_name = st.text_input("Name for the tuned profile", value=f"{base_name}-tuned", key="fb_newname")
try:
    tuning = tuned_profile(store, frame, base=base_name, name=new_name)
except ProfileError as exc:
    st.error(plain(exc))  # quotes the name as typed: text, not Markdown
    st.stop()
if tuning.switched_off:
    st.caption(
        f"Checks switched off in {plain(profile_label(base_name))} are not tuned (a limit there scores nothing): "
        f"{', '.join(issue_labels(tuning.switched_off))}."
    )
st.caption(
    (f"Tuned on {sample_note}. " if summary.sampled else "")
    + f"A limit moves only where at least {TUNE_MIN_EACH} approved images and {TUNE_MIN_EACH} rejected for that "
    f"check's reason were measured, and only to a limit that still passes all but {MAX_APPROVED_SHARE:.0%} of the "
    "approved images while catching a real share of the rejected ones."
)
if tuning.unmoved:
    with st.expander(f"Why {len(tuning.unmoved)} limits stay as they are"):
        unmoved_shown = unmoved_table(tuning.unmoved)
        st.dataframe(
            unmoved_shown,
            hide_index=True,
            key="fb_unmoved",
            # The why gets the room (640 px: whole at 1440 px); check and measure are short names.
            column_config=headed(
                unmoved_shown.columns,
                {
                    "check": st.column_config.TextColumn(width=150),
                    "measure": st.column_config.TextColumn(width=210),
                    "why it stays": st.column_config.TextColumn(width=640),
                },
            ),
        )
if not tuning.suggestions:
    st.info(
        "No limit to move: the decisions in the selection do not separate clearly on any check (see why above).",
        icon=":material/rule:",
    )
    st.stop()
changes_shown = changes_table(tuning.suggestions)
st.dataframe(
    changes_shown,
    hide_index=True,
    key="fb_changes",
    column_config=headed(
        changes_shown.columns,
        {
            "among the decided images": st.column_config.TextColumn(width="large"),
            "approved images": st.column_config.NumberColumn(help="Approved images measured on the measure"),
            "rejected images": st.column_config.NumberColumn(
                help="Images rejected or sent back for the check's reason, measured on the measure"
            ),
        },
    ),
)
if overall is None:
    st.warning(
        "No image was judged by two reviewers, so how far they agree is unknown: these limits may follow "
        "one reviewer's taste. Double review (Review page) measures it.",
        icon=":material/warning:",
    )
elif overall.low:
    st.warning(
        f"Reviewers agree little: on all {overall.images} images two of them judged in the selection, they "
        f"decided alike {overall.agreement:.0%} of the time (Cohen's kappa {overall.kappa:.2f}; 1 is full agreement, 0 chance). "
        "Limits that follow their decisions follow that disagreement too.",
        icon=":material/warning:",
    )

st.subheader("What saving would change in the catalogue")
impact = _impact(tuning.fingerprint, latest_analysis(store), tuning, database=str(store.engine.url))
impact_shown = impact_table(impact)
st.dataframe(
    impact_shown,
    hide_index=True,
    key="fb_impact",
    column_config=headed(
        impact_shown.columns,
        {
            "newly flagged": st.column_config.NumberColumn(
                help=f"Flagged under the tuned profile, not under {base_name}"
            ),
            "cleared": st.column_config.NumberColumn(help=f"Flagged under {base_name}, not under the tuned profile"),
        },
    ),
)
st.caption(
    f"Counted from the stored measurements of all {impact.total} image versions, against {base_name}: "
    f"{impact.flagged} would be newly flagged and {impact.cleared} cleared."
)
if not may_save_profiles(user.role):
    st.caption("An administrator can save this as a profile.")
else:
    if tuning.profile.name in profile_names():
        # Saving under a saved profile's name replaces it: say so before the click, not after.
        st.warning(
            f"A profile named '{plain(tuning.profile.name)}' is already saved: saving replaces it and its scores "
            "with this one. To keep both, choose another name above.",
            icon=":material/swap_horiz:",
        )
    else:
        st.caption(
            f"Saving adds the profile '{plain(tuning.profile.name)}' and scores every image version with it; other "
            "profiles and their scores stay as they are."
        )
    # Keyed on the profile itself: a changed suggestion asks again.
    seen = st.checkbox(
        f"I have checked the impact: {impact.flagged} image versions newly flagged, {impact.cleared} cleared",
        key=f"fb_seen_{tuning.fingerprint}",
    )
    if st.button(
        "Save as profile and rescore the catalogue", type="primary", icon=":material/save:", disabled=not seen
    ):
        bar = st.progress(0.0, text="Saving the profile...")
        try:  # in the database: every app server sees it
            name, n = save_and_rescore(
                store,
                tuning.profile,
                actor=user.username,
                progress=lambda done, total: bar.progress(
                    done / max(total, 1), text=f"Scoring image versions: {done:,} of {total:,}"
                ),
            )
        except ProfileError as exc:
            bar.empty()
            st.error(plain(exc))
        else:
            bar.empty()
            st.success(
                f"Saved profile '{name}' and scored {n} image versions with it: {impact.flagged} newly flagged "
                f"and {impact.cleared} cleared against {base_name}."
            )
