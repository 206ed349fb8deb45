"""Review: the signed-in reviewer's queue, one image at a time, keyboard-driven."""

import math

import streamlit as st

from core.engine.autofix import auto_recipe
from core.engine.checks import format_value
from core.engine.profiles import ISSUE_NAMES
from core.store.queries import get_image, issue_details, versions_of
from core.store.reviews import (
    QUEUE_ORDERS,
    REASONS,
    ReviewError,
    decide,
    mark_opened,
    next_in_queue,
    progress,
    undo_last,
)
from pages.common.compare_view import before_after
from pages.common.images import preview
from pages.common.session import get_store, profile_picker, require_role

user = require_role("admin", "reviewer")
store = get_store()

#: Which reason a detected issue suggests, so the keyboard flow needs no clicking.
ISSUE_REASON = {"blurry": "blurry", "dark": "too dark", "overexposed": "too bright",
                "non_white_background": "background not white", "small_product": "product too small",
                "low_resolution": "low resolution"}
ORDER_LABELS = {"lowest_score": "Lowest score first", "oldest": "Oldest first", "merchant": "By merchant",
                "issue": "Most issues first"}

with st.sidebar:
    profile = profile_picker()
    order = st.selectbox("Queue order", QUEUE_ORDERS, format_func=ORDER_LABELS.get, key="queue_order")
    merchant = st.text_input("Only merchant", key="queue_merchant").strip() or None
    issue = st.selectbox("Only images with issue", ["(any)", *ISSUE_NAMES], key="queue_issue")
    issue = None if issue == "(any)" else issue
    st.caption("Keys: **A** approve · **X** reject · **N** needs changes · **S** skip · **Z** undo")

skipped: list[int] = st.session_state.setdefault("review_skipped", [])
done, remaining = progress(store, user.username, profile=profile, merchant_id=merchant, issue=issue)
st.title("Review queue")
total = done + remaining
st.progress(done / total if total else 1.0, text=f"{done} decided · {remaining} remaining")

last = st.session_state.pop("review_flash", None)
if last:
    st.toast(last, icon=":material/check:")

item = next_in_queue(store, user.username, order=order, profile=profile, merchant_id=merchant, issue=issue,
                     skip=tuple(skipped))
if item is None and skipped:
    st.info(f"You skipped {len(skipped)} image(s); they are still waiting.")
    if st.button("Show skipped images again"):
        skipped.clear()
        st.rerun()

undo_col = st.container()
if undo_col.button("Undo my last decision", icon=":material/undo:", shortcut="Z"):
    undone = undo_last(store, user.username)
    st.session_state["review_flash"] = (f"Undid '{undone.decision}' on image version #{undone.version_id}"
                                        if undone else "Nothing to undo.")
    st.rerun()

if item is None:
    st.success("Your queue is empty. Nice work.", icon=":material/celebration:")
    st.stop()

record = get_image(store, item.version_id, profile=profile)
opened_key = f"opened_{item.version_id}"
if opened_key not in st.session_state:
    st.session_state[opened_key] = mark_opened(store, item.version_id, user.username)

pix = preview(record.sha256, record.blob_path)
if record.kind == "optimized":
    original = versions_of(store, record.image_id, profile=profile)[0]
    before, after = preview(original.sha256, original.blob_path), pix
    caption = f"Original (left) vs the submitted fix (right), recipe: {record.recipe_json}"
else:
    proposal = auto_recipe(record.metrics, record.issues)
    before, after = pix, proposal.apply(pix)
    caption = ("Original (left) vs the automatic fix the engine proposes (right): "
               + (", ".join(s.op for s in proposal.steps) or "nothing to fix"))

left, right = st.columns([3, 2])
with left:
    before_after(before, after, key=f"review_ba_{record.version_id}")
    st.caption(caption)
with right:
    st.subheader(record.file_name)
    st.caption(f"Merchant `{record.merchant_id}` · SKU `{record.sku or '-'}` · {record.width}x{record.height} px · "
               f"{record.kind} #{record.version_id}")
    score = record.score if record.score is not None else math.nan
    st.metric("Quality score", f"{format_value(score)} / 100")
    issues, _ = issue_details(store, record.version_id, profile)
    for i in issues:
        (st.error if i["severity"] == "error" else st.warning)(f"**{i['name']}** - {i['message']}")
    if not issues:
        st.success("No issues found by the checks.")
    suggested = [ISSUE_REASON[i] for i in record.issues if i in ISSUE_REASON]
    reasons = st.multiselect("Reasons (needed to reject or ask for changes)", REASONS,
                             default=list(dict.fromkeys(suggested)), key=f"reasons_{record.version_id}")
    comment = st.text_area("Comment for the merchant", key=f"comment_{record.version_id}", max_chars=2000)

# Full-width row: the buttons keep their labels and key hints readable.
b1, b2, b3, b4 = st.columns(4)
choice = None
if b1.button("Approve", type="primary", icon=":material/check:", shortcut="A", width="stretch"):
    choice = "approved"
if b2.button("Reject", icon=":material/block:", shortcut="X", width="stretch"):
    choice = "rejected"
if b3.button("Needs changes", icon=":material/edit:", shortcut="N", width="stretch"):
    choice = "needs_changes"
if b4.button("Skip", icon=":material/skip_next:", shortcut="S", width="stretch"):
    skipped.append(record.version_id)
    st.rerun()
if choice:
    try:
        # Written to the database now; nothing is kept only in the session.
        decide(store, record.version_id, user.username, choice, reasons=() if choice == "approved" else reasons,
               comment=comment, profile=profile)
    except ReviewError as exc:
        st.error(str(exc))
    else:
        st.session_state["review_flash"] = f"{choice.replace('_', ' ').capitalize()}: {record.file_name}"
        st.rerun()
