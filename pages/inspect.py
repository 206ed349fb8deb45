"""Inspect one image: every metric against the profile, histograms, clipping, marketplace checklist."""

import pandas as pd
import streamlit as st

from core.engine.checks import metric_report
from core.engine.histogram import clipping_overlay
from core.engine.wording import (
    SCORE_COLUMN_FORMAT,
    backdrop_colour_note,
    drawn_note,
    enlarged_note,
    format_score,
    frame_note,
    operation_labels,
    padding_note,
    recipe_words,
)
from core.services.access import merchant_scope, roles_for
from core.services.catalog import (
    ImageRecord,
    ReviewState,
    copies_under_other_merchants,
    file_description,
    findings,
    marketplace_checklist,
    other_names,
    review_states,
    same_photo_as,
)
from core.services.measuring import stale_note
from core.services.profiles import get_profile, profile_label
from core.vocabulary import DUPLICATE_ISSUES, decision_label, issue_label, issue_labels, metric_title
from pages.common.charts import SHOWN_POINTS, contributions_figure, histogram_figure
from pages.common.images import preview
from pages.common.selection import selected_version
from pages.common.session import get_store, profile_picker, require_role
from pages.common.tables import headed
from pages.common.text import (
    gist,
    other_names_note,
    plain,
    plain_lines,
    reused_file_note,
    same_file_note,
    sku_words,
    when,
)


def _decided(d: dict[str, object], *, profile: str, what: str = "") -> str:
    """One decision in words: "**Rejected** by rita on ... Reasons: ... Comment: “...”" (merchants'
    rows carry no reviewer); reviewer text is data, shown as the characters it is."""
    by = f" by {plain(d['reviewer'])}" if "reviewer" in d else ""
    why = f" Reasons: {plain(d['reasons'])}." if d["reasons"] else ""
    said = f" Comment: “{plain_lines(d['comment'])}”" if d["comment"] else ""
    # A decision is one, whichever profile the page shows: say which one it was made under.
    under = f" (under {plain(profile_label(str(d['profile'])))})" if d["profile"] and d["profile"] != profile else ""
    return f"**{what}{decision_label(str(d['decision']))}**{by}{under} on {when(d['decided'])}.{why}{said}"


_DECISION_BOX = {"approved": st.success, "rejected": st.error}  # needs changes: a warning


def _show_review(state: ReviewState, *, profile: str) -> None:
    """Where the version shown stands in review: waiting for a reviewer, or what they decided."""
    if state.status == "not_submitted":
        st.info(f"**{state.label}**: no reviewer will see this version.", icon=":material/pending:")
    elif state.status == "unreviewed":
        done = "this fix was submitted" if state.kind != "original" else "this image was uploaded"
        st.info(
            f"**{state.label}**: {done} on {when(state.created_at)}; no reviewer has decided on it yet.",
            icon=":material/hourglass_top:",
        )
    for d in state.current:
        _DECISION_BOX.get(str(d["decision"]), st.warning)(_decided(d, profile=profile), icon=":material/gavel:")
    if state.current and state.waiting:
        st.info(
            "**A second review to come**: this one is reviewed twice, and another reviewer has still to decide.",
            icon=":material/hourglass_top:",
        )


#: The fixes of an image listed beside the one shown; the History tab lists them all.
_FIXES_SHOWN = 3


def _show_fixes(fixes: list[tuple[ImageRecord, ReviewState]], *, profile: str) -> None:
    """The image's other fixes, newest first, each with where it stands in review and a link."""
    if not fixes:
        return
    st.markdown("**Fixes of this image**")
    for fix, state in fixes[:_FIXES_SHOWN]:
        head = f"Fix #{fix.version_id}, submitted on {when(fix.created_at)}: "
        current = state.current
        if current:
            line = _decided(current[-1], profile=profile, what=f"Fix #{fix.version_id}: ")
            if state.waiting:
                line += " A second review is to come."
            _DECISION_BOX.get(state.status, st.warning)(line, icon=":material/gavel:")
        else:
            icon = ":material/hourglass_top:" if state.status == "unreviewed" else ":material/pending:"
            st.info(f"{head}**{state.label.lower()}**.", icon=icon)
        st.page_link(
            "pages/inspect.py",
            label=f"Open fix #{fix.version_id}",
            icon=":material/open_in_new:",
            query_params={"v": fix.version_id, "profile": profile},
        )
    if len(fixes) > _FIXES_SHOWN:
        more = len(fixes) - _FIXES_SHOWN
        st.caption(f"{more} older fix{'es' if more > 1 else ''}: see the History tab.")


user = require_role(*roles_for("inspect"))
store = get_store()
with st.sidebar:
    profile = profile_picker()
record = selected_version(
    store, profile=profile, merchant_id=merchant_scope(user), role=user.role, title="Inspect", open_single_match=True
)
prof = get_profile(store, profile)
issues, contributions = findings(store, record.version_id, profile=profile)
review = review_states(store, record, profile=profile, viewer_role=user.role)
pix = preview(record.sha256, record.blob_path)

# The name on a line of its own, smaller (as on Optimize): at 390 px a title of
# 'cup_underexposed.jpg' broke mid-word ('cup_underexpose' / 'd.jpg').
st.subheader(plain(record.shown_name), anchor=False)
st.caption(
    f"Merchant {plain(record.merchant_id)} · {sku_words(record.sku)} · {file_description(store, record)} · "
    f"{record.kind} version #{record.version_id} · sha256 {record.sha256[:12]}..."
)

left, right = st.columns([3, 2])
with left:
    # Short labels, the rest in help: at 800 px a long one-line label was cut off.
    show_clip = st.toggle("Show clipping", value=False, help="Blue: crushed shadows; red: blown highlights.")
    st.image(clipping_overlay(pix) if show_clip else pix, width="stretch")
with right:
    st.metric("Quality score", f"{format_score(record.score)} / 100")
    st.caption(f"Under the {prof.title} profile")  # once: a tooltip said it again
    # Where the image stands in review is what a merchant opens this page for: under the score,
    # before the findings (a fix waiting for a reviewer said so nowhere).
    _show_review(review.shown, profile=profile)
    if record.parent_id is not None:
        st.page_link(
            "pages/inspect.py",
            label=f"Open the version this fixes (#{record.parent_id})",
            icon=":material/undo:",
            query_params={"v": record.parent_id, "profile": profile},
        )
    _show_fixes(review.other_fixes, profile=profile)
    stale = stale_note(store, record.version_id)
    if stale:
        st.warning(stale, icon=":material/history:")
    for i in issues:
        fix = f" Suggested fix: {operation_labels(i.fix)}." if i.fix else ""
        if i.severity == "error":
            st.error(f"**{issue_label(i.name)}** - {plain(i.message)}{fix}", icon=":material/error:")
        else:
            st.warning(f"**{issue_label(i.name)}** - {plain(i.message)}{fix}", icon=":material/warning:")
    if not issues:
        st.success("No issues under this profile.", icon=":material/check_circle:")
    elif any(i.name in DUPLICATE_ISSUES for i in issues):
        earlier = same_photo_as(store, record.version_id, merchant_id=merchant_scope(user))
        if earlier is not None:  # two uploads may share a name: the link tells them apart
            st.page_link(
                "pages/inspect.py",
                label=f"Open {plain(earlier[1])} (#{earlier[0]})",  # short: a page link does not wrap
                help="The earlier upload this one repeats",
                icon=":material/content_copy:",
                query_params={"v": earlier[0], "profile": profile},
            )
    if copies := copies_under_other_merchants(store, record.version_id, merchant_id=merchant_scope(user)):
        st.warning(same_file_note(copies), icon=":material/content_copy:")  # staff only: nothing for merchants
        for c in copies:  # side by side with this one: the uploads, their SKUs, their decisions
            st.page_link(
                "pages/inspect.py",
                label=f"Open {plain(c.name)} of {plain(c.merchant_id)} (#{c.version_id})",
                icon=":material/content_copy:",
                query_params={"v": c.version_id, "profile": profile},
            )
    # The merchant's own copies of this file, under other names or SKUs (stored once).
    names = other_names(store, record.version_id)
    if names.other_skus:
        st.warning(reused_file_note(names), icon=":material/file_copy:")
    if names.count:
        st.caption(other_names_note(names))
    drawn = drawn_note(record.metrics)
    if drawn:
        st.info(drawn, icon=":material/draw:")
    chosen_colour = backdrop_colour_note(record.metrics)
    if chosen_colour:
        st.info(chosen_colour, icon=":material/palette:")
    enlarged = enlarged_note(record.metrics)
    if enlarged:
        st.info(enlarged, icon=":material/zoom_out_map:")
    padded = padding_note(record.metrics)
    if padded:
        st.info(padded, icon=":material/crop_free:")
    framed = frame_note(record.metrics)
    if framed:
        st.info(framed, icon=":material/filter_frames:")
    # A score of 100 lost no points: no chart of bare axes.
    if any(points >= SHOWN_POINTS for points in contributions.values()):
        named = {issue_label(name): points for name, points in contributions.items()}
        st.plotly_chart(contributions_figure(named), key="contrib")
        flagged = {i.name for i in issues}
        if any(points >= SHOWN_POINTS and name not in flagged for name, points in contributions.items()):
            st.caption(
                "Checks that are not flagged can cost points too: the score falls steadily as a value moves "
                "from its ideal toward the limit, not only once the limit is crossed."
            )
    st.page_link(
        "pages/optimize.py",
        label="Try fixes on the Optimize page",
        icon=":material/tune:",
        query_params={"v": record.version_id},
    )

tab_metrics, tab_hist, tab_market, tab_history = st.tabs(["Metrics", "Histograms", "Marketplace checklist", "History"])
with tab_metrics:
    with st.expander(f"How {prof.title} judges"):
        st.markdown("\n".join(f"- {plain(line)}" for line in prof.rules_text))
    status_words = {"pass": "pass", "warning": "warning", "error": "ERROR", "info": ""}
    # What the profile judges first, failures at the top; then what is measured for information.
    order = {"error": 0, "warning": 1, "pass": 2, "info": 3}
    lines = sorted(metric_report(record.metrics, prof), key=lambda ln: order[ln.status])
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "measure": metric_title(ln.metric),
                    "value": ln.shown,
                    "status": status_words[ln.status],
                    "check": issue_label(ln.check) if ln.check else "",
                    "meaning": gist(ln.meaning),  # in full below the grid
                    "rule": ln.rule,
                    "unit": ln.unit,
                    # The name a profile's JSON and the CSV export use, for whoever tunes them.
                    "name": ln.metric,
                }
                for ln in lines
            ]
        ),
        hide_index=True,
        key="metrics_table",
        # Rows taller than 4rem wrap their text, and what a reviewer reads (the value, its verdict,
        # the check and what the measure means) fits at 1280 px with the menu open; at 900 px on
        # one line the meaning ran off the table's right edge. The limits and units come after.
        row_height=72,
        height=560,
        column_config={
            "measure": st.column_config.TextColumn("Measure", width=160),
            "value": st.column_config.TextColumn("Value", width=60),
            "status": st.column_config.TextColumn("Status", width=70),
            "check": st.column_config.TextColumn("Check", width=100),
            "meaning": st.column_config.TextColumn("Meaning", width=380),
            "rule": st.column_config.TextColumn("Rule", width=140),
            "unit": st.column_config.TextColumn("Unit", width=85),
            "name": st.column_config.TextColumn("Name in profiles", width=130),
        },
    )
    # The grid shows each meaning's first clause (three lines would cut it mid-sentence): here each
    # is in full, at any width.
    with st.expander("What each measure means"):
        st.markdown(
            "\n".join(f"- **{plain(metric_title(ln.metric))}** (`{ln.metric}`): {plain(ln.meaning)}" for ln in lines)
        )
with tab_hist:
    st.plotly_chart(histogram_figure(pix, title="Per-channel and luminance histogram (preview)"), key="hist")
with tab_market:
    checklist = marketplace_checklist(store, record.version_id)
    market = pd.DataFrame(
        [
            {
                "profile": row.title,
                "score": row.score,
                "verdict": row.verdict,
                "file type": row.file_note,
                "issues": issue_labels(row.issues),
            }
            for row in checklist
        ]
    )
    if not any(row.file_note for row in checklist):
        market = market.drop(columns="file type")  # every marketplace takes this file: no empty column
    st.dataframe(
        market,
        hide_index=True,
        key="market_table",
        column_config=headed(
            market.columns,
            {
                # Why a marketplace fails, in full ("Flat (low contrast)", not "Flat (lo").
                "issues": st.column_config.ListColumn(width="large"),
                "file type": st.column_config.TextColumn(
                    help="Whether the marketplace takes this type of file", width="medium"
                ),
                "score": st.column_config.ProgressColumn(min_value=0, max_value=100, format=SCORE_COLUMN_FORMAT),
            },
        ),
    )
    # Each marketplace's rules in full, a paragraph or two: too long for a table cell.
    for row in checklist:
        if row.rules:
            with st.expander(f"{plain(row.title)}: its rules"):
                st.markdown("\n".join(f"- {plain(line)}" for line in row.rules))
with tab_history:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "version": v.version_id,
                    "kind": v.kind,
                    "score": v.score,
                    "review": state.label,
                    "created": when(v.created_at),
                    "recipe": recipe_words(v.recipe_json),
                }
                for v, state in review.versions
            ]
        ),
        hide_index=True,
        key="versions_table",
        column_config={
            # "Version" is original or optimized on every page (Overview, Feedback); its number is "#14".
            "version": st.column_config.NumberColumn("Number", format="#%d"),
            "kind": st.column_config.TextColumn("Version"),
            "score": st.column_config.NumberColumn("Score", format=SCORE_COLUMN_FORMAT),
            "review": st.column_config.TextColumn("Review"),
            "created": st.column_config.TextColumn("Created"),
            "recipe": st.column_config.TextColumn("Recipe", width="large"),
        },
    )
    # Merchants see the current decisions and their reasons, not who decided (core.services.review).
    table = pd.DataFrame(review.shown.history)
    if table.empty:
        st.caption("No review decisions yet.")
    else:
        table["decision"] = [decision_label(v) for v in table["decision"]]
        table["decided"] = [when(v) for v in table["decided"]]
        table["profile"] = [profile_label(str(v)) if v else "" for v in table["profile"]]
        st.dataframe(
            table,
            hide_index=True,
            key="decisions_table",
            column_config={
                "reviewer": st.column_config.TextColumn("Reviewer"),
                "decision": st.column_config.TextColumn("Decision"),
                "reasons": st.column_config.TextColumn("Reasons", width="medium"),
                "comment": st.column_config.TextColumn("Comment", width="large"),
                "decided": st.column_config.TextColumn("Decided"),
                "current": st.column_config.CheckboxColumn("Current"),
                "profile": st.column_config.TextColumn("Profile"),
            },
        )
