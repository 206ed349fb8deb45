"""Review: the team's shared queue, one image at a time, keyboard-driven; bulk approval.

The queue panel is a fragment: a keypress reruns only it (not the router and the sidebar), the
item shown is leased to this reviewer (others are handed other images), and the next item's
images are prepared in the background while the reviewer looks at this one. The rules live in
``core.services.review``; this page only draws.
"""

import pandas as pd
import streamlit as st

from core.engine.wording import SCORE_COLUMN_FORMAT, counted, format_score
from core.services.access import may_set_double_review, roles_for
from core.services.catalog import Store, copies_under_other_merchants, findings, open_version, other_names
from core.services.optimize import Similarity
from core.services.profiles import get_profile
from core.services.review import (
    DecidedMeanwhile,
    QueueFilter,
    ReviewError,
    approve_all,
    bulk_candidates,
    bulk_rows,
    comparison_for,
    current_item,
    decide_shown,
    double_review_share,
    fix_similarity,
    mark_opened,
    merchant_ids,
    queue_progress,
    set_double_review_share,
    skip_item,
    skipped_still_open,
    suggested_reasons,
    undo_last_decisions,
    upcoming_items,
    version_name,
)
from core.vocabulary import (
    ANY_CHOICE,
    COPIED_FILTER_LABEL,
    ISSUE_NAMES,
    QUEUE_ORDERS,
    REASONS,
    decision_label,
    issue_label,
    reason_label,
    reason_labels,
)
from pages.common.compare_view import before_after
from pages.common.images import await_prefetch, display_url, prefetch
from pages.common.session import get_store, profile_picker, require_role, signed_in_callback, still_signed_in
from pages.common.tables import headed
from pages.common.text import COPIED_FILTER_HELP, plain, reused_file_note, same_file_note, sku_words

user = require_role(*roles_for("review"))
store = get_store()

ORDER_LABELS = {
    "lowest_score": "Lowest score first",
    "oldest": "Oldest first",
    "merchant": "By merchant",
    "issue": "Most issues first",
}

with st.sidebar:
    profile = profile_picker()
    order = st.selectbox("Queue order", QUEUE_ORDERS, format_func=ORDER_LABELS.get, key="queue_order")
    # A picker of the merchants there are (a free-text id, matched exactly, found nothing for
    # "Bluefin" or "blue", and a key typed into it became the filter; typing here only searches).
    merchant = st.selectbox(
        "Only merchant",
        [None, *merchant_ids(store)],
        format_func=lambda m: ANY_CHOICE if m is None else m,
        key="queue_merchant",
    )
    issue = st.selectbox(
        "Only images with issue",
        [None, *ISSUE_NAMES],
        format_func=lambda name: ANY_CHOICE if name is None else issue_label(name),
        key="queue_issue",
    )
    copied = st.checkbox(
        COPIED_FILTER_LABEL,
        key="queue_copied",
        help=COPIED_FILTER_HELP,
    )
    st.caption("Keys: **A** approve · **X** reject · **N** needs changes · **S** skip · **Z** undo")

where = QueueFilter(order=str(order), profile=profile, merchant_id=merchant, issue=issue, copied=copied)
skipped: list[int] = st.session_state.setdefault("review_skipped", [])
st.title("Review queue")


def _images(s: Store, version_id: int, profile_name: str) -> tuple[str, str]:
    """Before and after of an item as data URLs at display size (cached)."""
    record = open_version(s, version_id, profile=profile_name, merchant_id=None)
    if record is None:
        return "", ""
    comp = comparison_for(s, record, profile=profile_name)
    before = display_url(comp.before.sha256, comp.before.blob_path)
    after = display_url(comp.after.sha256, comp.after.blob_path, comp.recipe.to_json() if comp.recipe else "")
    return before, after


@st.cache_data(max_entries=512, show_spinner=False)
def _fix_similarity(version_id: int, profile_name: str) -> Similarity | None:
    """:func:`fix_similarity` of an item (cached: versions never change)."""
    s = get_store()
    record = open_version(s, version_id, profile=profile_name, merchant_id=None)
    return None if record is None else fix_similarity(s, comparison_for(s, record, profile=profile_name))


def _flash(text: str) -> None:
    st.session_state["review_flash"] = text


def _queue_changed() -> None:
    """A decision or an undo changed what the bulk panel lists: an open panel is redrawn (a
    keypress reruns only the queue's fragment, which would leave its count stale)."""
    if st.session_state.get("bulk_open"):
        st.session_state["bulk_refresh"] = True
    st.session_state.pop("bulk_pending", None)  # a question about a list that has changed is not asked


@signed_in_callback  # callbacks run before the script's session check
def _decide(choice: str, version_id: int, name: str) -> None:
    reasons = list(st.session_state.get(f"reasons_{version_id}", []))
    comment = str(st.session_state.get(f"comment_{version_id}", ""))
    try:
        # Written to the database now; nothing is kept only in the session.
        decide_shown(
            store,
            version_id=version_id,
            reviewer=user.username,
            decision=choice,
            reasons=reasons,
            comment=comment,
            profile=profile,
        )
    except DecidedMeanwhile as exc:
        st.session_state["review_error"] = str(exc)
        # The queue moves on and the image's form goes with it: what the reviewer wrote stays on
        # screen (until dismissed or their next decision) for them to copy.
        if comment.strip() or (reasons and choice != "approved"):
            st.session_state["review_unsaved"] = {
                "name": name,
                "decision": choice,
                "reasons": reasons if choice != "approved" else [],
                "comment": comment,
            }
    except ReviewError as exc:
        st.session_state["review_error"] = str(exc)
    else:
        st.session_state.pop("review_unsaved", None)
        _flash(f"{choice.replace('_', ' ').capitalize()}: {plain(name)}")
        _queue_changed()


def _show_error(error: str | None) -> None:
    """The error of the last keypress and, when a decision was refused because a teammate decided
    the image first, what the reviewer had written on it (not saved anywhere) to copy."""
    if error:
        st.error(plain(error))
    unsaved = st.session_state.get("review_unsaved")
    if not unsaved:
        return
    with st.container(border=True):
        done = {"approved": "approved", "rejected": "rejected", "needs_changes": "asked for changes on"}
        st.markdown(
            f"**Not saved:** you {done.get(unsaved['decision'], unsaved['decision'])} {plain(unsaved['name'])}"
            + (f" (reasons: {plain(reason_labels(unsaved['reasons']))})" if unsaved["reasons"] else "")
            + ("; your comment, to copy:" if unsaved["comment"].strip() else ".")
        )
        if unsaved["comment"].strip():
            st.code(unsaved["comment"], language=None, wrap_lines=True)
        st.button("Dismiss", key="review_unsaved_dismiss", on_click=_dismiss_unsaved)


def _dismiss_unsaved() -> None:
    st.session_state.pop("review_unsaved", None)


@signed_in_callback
def _skip(version_id: int) -> None:
    skipped.append(version_id)
    skip_item(store, reviewer=user.username, version_id=version_id)


@signed_in_callback
def _undo() -> None:
    undone = undo_last_decisions(store, reviewer=user.username)
    if not undone:
        _flash("Nothing to undo.")
        return
    _queue_changed()
    if len(undone) == 1:
        d = undone[0]
        # The image comes back with what the reviewer had chosen and written, to correct and decide again.
        if d.reasons:  # an approval keeps none: the issues' suggestions come back instead
            st.session_state[f"reasons_{d.version_id}"] = [r for r in d.reasons if r in REASONS]
        st.session_state[f"comment_{d.version_id}"] = d.comment
        _flash(f"Undid “{decision_label(d.decision)}” on {plain(version_name(store, d.version_id))}")
    else:
        _flash(f"Undid the bulk approval of {len(undone)} images")


def _bulk_panel() -> None:
    if not st.session_state.get("bulk_open"):
        return
    c1, c2 = st.columns(2)
    min_score = c1.slider("Score at least", 0, 100, 90, key="bulk_min_score")
    clean_only = c2.checkbox("Only images with no issue", value=True, key="bulk_no_issue")
    candidates = bulk_candidates(
        store, reviewer=user.username, where=where, min_score=float(min_score), no_issues=clean_only
    )
    waiting = (
        "1 image waiting for you matches" if len(candidates) == 1 else f"{len(candidates)} images waiting for you match"
    )
    st.caption(
        f"{waiting} these limits and the sidebar's filters, scored under the {get_profile(store, profile).title} profile. "
        "Never in bulk: a fix a merchant submitted, and a file that another merchant stored too. "
        "The queue shows those one by one."
    )
    if candidates:
        bulk = pd.DataFrame(bulk_rows(candidates))
        st.dataframe(
            bulk,
            hide_index=True,
            height=min(300, 38 + 35 * len(candidates)),
            column_config=headed(
                bulk.columns,
                {
                    "score": st.column_config.NumberColumn(format=SCORE_COLUMN_FORMAT),
                    # The version's number, written "#14" as on every page (always an original's).
                    "version": st.column_config.NumberColumn("Number", format="#%d"),
                },
            ),
            key="bulk_table",
        )
    pending: list[int] | None = st.session_state.get("bulk_pending")
    if pending is None:
        if st.button(f"Approve all {len(candidates)} shown", disabled=not candidates, key="bulk_start"):
            st.session_state["bulk_pending"] = [c.version_id for c in candidates]
            st.rerun()
    else:
        st.warning(
            f"Approve these {len(pending)} images? One decision is recorded for each; "
            "one undo takes the whole batch back."
        )
        yes, no = st.columns(2)
        if yes.button(f"Yes, approve {len(pending)} images", type="primary", key="bulk_yes"):
            del st.session_state["bulk_pending"]
            try:
                done = approve_all(
                    store, reviewer=user.username, version_ids=pending, confirmed_count=len(pending), profile=profile
                )
            except ReviewError as exc:
                st.session_state["review_error"] = str(exc)
            else:
                left_out = len(pending) - len(done)
                _flash(
                    f"Approved {len(done)} images in one batch"
                    + (
                        f" ({left_out} left out: decided or taken by someone else, or copied by another merchant, meanwhile)"
                        if left_out
                        else ""
                    )
                )
            st.rerun()
        if no.button("Cancel", key="bulk_no"):
            del st.session_state["bulk_pending"]
            st.rerun()


def _undo_button() -> None:
    st.button("Undo my last decision", icon=":material/undo:", shortcut="Z", on_click=_undo)


#: The tallest the before/after view may be: what leaves the decision row below it in view (the
#: page's title, progress bar, reasons and buttons take about 470 px of the window; at 75% of
#: the window's height, as elsewhere, the buttons sat below the fold even at 1920 x 1080), never
#: under 300 px. Keys decide without them, but a reviewer with a mouse scrolled for every image.
REVIEW_VIEW_HEIGHT = "max(300px, 100vh - 500px)"

#: The findings beside the view scroll in a box no taller than the view less the name, merchant
#: line and score above them: three or four findings pushed the decision row below the fold even
#: at 1400 x 900. Under 1000 px wide the page scrolls anyway (the narrow column wraps the name and
#: the findings), so there they are shown whole. Markdown's last paragraph keeps a margin that its
#: element takes back with a negative one: in a box that scrolls, a single finding scrolled too.
REVIEW_FINDINGS_CSS = (
    "@media (min-width: 1000px) { .st-key-review_findings "
    "{ max-height: max(100px, 100vh - 690px); overflow-y: auto; } } "
    ".st-key-review_findings [data-testid='stMarkdownContainer'], .st-key-review_findings p { margin-bottom: 0; }"
)


@st.fragment
def queue_panel() -> None:
    still_signed_in()  # a fragment rerun skips the router: check the session here
    if st.session_state.pop("bulk_refresh", False):
        st.rerun()  # the whole page, so the open bulk panel counts what is left
    flash = st.session_state.pop("review_flash", None)
    if flash:
        st.toast(flash)
    # Shown next to the buttons (below), where the keypress that caused it was aimed.
    error = st.session_state.pop("review_error", None)
    progress = queue_progress(store, reviewer=user.username, where=where)
    filtered = where.narrows
    among = " (of the images the sidebar's filters select)" if filtered else ""
    # Whose figures: the decisions are this reviewer's, what is left is the whole team's queue.
    st.progress(
        progress.fraction, text=f"{progress.done} decided by you · {progress.remaining} left for the team{among}"
    )

    # A changed order or filter shows the first image of the new queue (the one held goes back to
    # the team); any other rerun (a reason ticked, a keypress) keeps the image on screen.
    restart = st.session_state.get("review_where", where) != where
    st.session_state["review_where"] = where
    item = current_item(store, reviewer=user.username, where=where, skip=tuple(skipped), restart=restart)
    if item is None:
        _undo_button()
        _show_error(error)
        # Only those still waiting under these filters: a teammate may have decided some meanwhile.
        if waiting := skipped_still_open(store, reviewer=user.username, where=where, skipped=skipped):
            st.info(
                f"You skipped {counted(len(waiting), 'image')} that {'is' if len(waiting) == 1 else 'are'} still waiting."
            )
            if st.button("Show skipped images again"):
                skipped.clear()
                st.rerun(scope="fragment")
        note = progress.empty_note(filtered=filtered)
        if progress.done and not filtered:
            st.success(note, icon=":material/celebration:")
        else:
            st.info(note, icon=":material/inbox:")
        return

    record = open_version(store, item.version_id, profile=profile, merchant_id=None)
    if record is None:  # removed meanwhile
        st.rerun(scope="fragment")
        return
    opened_key = f"opened_{item.version_id}"
    if opened_key not in st.session_state:
        st.session_state[opened_key] = mark_opened(store, item.version_id, user.username)

    comp = comparison_for(store, record, profile=profile)
    await_prefetch(("review", record.version_id, profile))  # being prepared already: wait, don't redo it
    before_url, after_url = _images(store, record.version_id, profile)
    left, right = st.columns([11, 9])
    with left:
        # One component instance for the whole queue: moving on only swaps the two images.
        before_after(
            None,
            None,
            key="review_ba",
            before_url=before_url,
            after_url=after_url,
            aspect=record.width / max(1, record.height),
            max_height=REVIEW_VIEW_HEIGHT,
        )
        st.caption(comp.caption)
        harm = _fix_similarity(record.version_id, profile)
        if harm is not None and harm.blows_out:
            st.warning(
                f"This fix blows out {harm.blown_out:.0%} of the product compared with the original: those parts "
                "lost all detail (pushed to pure white or to a full colour channel). The score cannot see "
                "this, as it judges the fix alone."
            )
        if harm is not None and harm.shifts_colours:
            st.warning(
                f"This fix changes the product's colours visibly (ΔE2000 {harm.colour_shift:.1f} on the product, "
                "beyond what brightness, contrast and white balance change): compare the product's colour with "
                "the original. The score cannot see this, as it judges the fix alone."
            )
    with right:
        st.subheader(plain(record.shown_name), anchor=False)
        st.caption(
            f"Merchant {plain(record.merchant_id)} · {sku_words(record.sku)} · {record.width}x{record.height} px · "
            f"{record.kind} #{record.version_id}"
        )
        st.metric("Quality score", f"{format_score(record.score)} / 100")
        issues, _ = findings(store, record.version_id, profile=profile)
        if issues:
            st.html(f"<style>{REVIEW_FINDINGS_CSS}</style>")
            # A badge and small text each: as alerts four findings took 410 px, now 300. Counted
            # above the list, which may scroll (at 1280 x 800 it shows about one finding).
            with st.container(border=True, gap="xsmall"):
                st.caption(f"{counted(len(issues), 'issue').capitalize()} found by the checks")
                with st.container(key="review_findings"):
                    for i in issues:
                        colour, icon = ("red", "error") if i.severity == "error" else ("orange", "warning")
                        label = plain(issue_label(i.name))
                        st.markdown(f":{colour}-badge[:material/{icon}: {label}] :small[{plain(i.message)}]")
        else:
            st.success("No issues found by the checks.")
        # Review is for staff only, who may hear of other merchants' images.
        if copies := copies_under_other_merchants(store, record.version_id, merchant_id=None):
            st.warning(same_file_note(copies), icon=":material/content_copy:")
        # The merchant's own copies of this file for other SKUs: one photo for two products.
        if (names := other_names(store, record.version_id)).other_skus:
            st.warning(reused_file_note(names), icon=":material/file_copy:")

    # Reasons and comment under both columns: in the narrow right column (800 px) the reason
    # chips were cut ("flat (low co...").
    why, words = st.columns(2)
    reasons_key = f"reasons_{record.version_id}"
    why.multiselect(
        "Reasons (needed to reject or ask for changes)",
        REASONS,
        format_func=reason_label,
        # Suggested from the issues, unless the form has its own (an undone decision's reasons).
        default=None
        if reasons_key in st.session_state
        else suggested_reasons(record.issues, copied=any(c.earlier for c in copies), reused=bool(names.other_skus)),
        key=reasons_key,
        select_all=False,  # each reason is a claim made to the merchant: never all at one click
        wrap=True,  # in a column the chips would scroll in one row, cut ("Duplicate pho...") at 800 px
    )
    words.text_area("Comment for the merchant", key=f"comment_{record.version_id}", max_chars=2000, height=100)

    _show_error(error)
    # Full-width row that wraps: the buttons keep their labels and key hints readable at 800 px too
    # (four columns cut them to "App..." and "Nee...").
    args = (record.version_id, record.shown_name)
    with st.container(horizontal=True):
        st.button(
            "Approve",
            type="primary",
            icon=":material/check:",
            shortcut="A",
            width="stretch",
            on_click=_decide,
            args=("approved", *args),
        )
        st.button(
            "Reject", icon=":material/block:", shortcut="X", width="stretch", on_click=_decide, args=("rejected", *args)
        )
        st.button(
            "Needs changes",
            icon=":material/edit:",
            shortcut="N",
            width="stretch",
            on_click=_decide,
            args=("needs_changes", *args),
        )
        st.button(
            "Skip",
            icon=":material/skip_next:",
            shortcut="S",
            width="stretch",
            on_click=_skip,
            args=(record.version_id,),
        )
        _undo_button()
    st.caption(comp.applies_to)

    # While the reviewer looks at this image, prepare the next ones' (a few: teammates take some).
    upcoming = upcoming_items(
        store, reviewer=user.username, where=where, shown=record.version_id, skip=tuple(skipped), count=3
    )
    for u in upcoming:
        prefetch(("review", u.version_id, profile), _images, store, u.version_id, profile)


queue_panel()

# Occasional tools, below the queue: the image and its decision buttons come first on screen.
# Its state is kept (key) so a keypress can redraw it; its table is built only while it is open.
with st.expander("Approve in bulk", key="bulk_open", on_change="rerun"):
    _bulk_panel()

if may_set_double_review(user.role):
    with st.expander("Double review (for the agreement figures)"):
        share = st.number_input(
            "Share of images two reviewers decide independently (%)",
            min_value=0,
            max_value=100,
            step=5,
            value=double_review_share(store),
            key="double_share",
        )
        if st.button("Save the share"):
            set_double_review_share(store, percent=int(share), actor_role=user.role, actor=user.username)
            st.toast(f"{int(share)}% of images will be reviewed twice.")
