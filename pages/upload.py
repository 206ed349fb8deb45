"""Upload: images or a zip (with an optional manifest) for a merchant; every file gets a verdict."""

import pandas as pd
import streamlit as st

from core.services.access import roles_for
from core.services.upload import IngestError, browser_file_name, ingest_uploads, read_manifest, upload_limits
from core.vocabulary import issue_labels
from pages.common.session import get_store, require_role
from pages.common.text import plain


def _row_height(longest_reason: int) -> int | None:
    """Rows tall enough for the longest reason to wrap in its medium-width column (about 32
    characters a line); the default height when every reason fits on one line."""
    if longest_reason <= 32:
        return None
    return min(120, 16 + 20 * -(-longest_reason // 32))


user = require_role(*roles_for("upload"))
store = get_store()
st.title("Upload images")

limits = upload_limits()  # the limits really enforced, from one place
MB = 1024**2
if user.role == "merchant":
    st.caption(f"Uploading for your shop {plain(user.merchant_id)}.")
st.info(limits.describe(), icon=":material/info:")
# The uploader's own line (size limit and types) wraps instead of being cut off on a phone.
st.html(
    "<style>[data-testid='stFileUploaderDropzoneInstructions'] span, "
    "[data-testid='stFileUploaderDropzoneInstructions'] small { white-space: normal !important; "
    "overflow-wrap: anywhere; text-overflow: clip !important; overflow: visible !important; }</style>"
)
with st.form("upload", clear_on_submit=True):
    # Inside the form, so the merchant id and the files are submitted together.
    if user.role == "merchant":
        merchant = user.merchant_id or ""
    else:
        merchant = st.text_input(
            "Merchant id",
            placeholder="e.g. acme-home",
            help="A manifest CSV (file, merchant_id, sku) can assign files to other merchants.",
        )
    images = st.file_uploader(
        "Images",
        type=[e.lstrip(".") for e in limits.image_extensions],
        accept_multiple_files=True,
        max_upload_size=max(1, limits.max_image_bytes // MB),
    )
    zips = st.file_uploader(
        "Zip files (with an optional manifest.csv inside)",
        type=["zip"],
        accept_multiple_files=True,
        max_upload_size=max(1, limits.max_zip_bytes // MB),
    )
    manifest_file = st.file_uploader(
        "Manifest CSV (optional: columns file, merchant_id, sku)",
        type=["csv"],
        max_upload_size=max(1, limits.max_manifest_bytes // MB),  # not Streamlit's global limit
    )
    sku = st.text_input("SKU for all files (optional)")
    submitted = st.form_submit_button("Upload and score", type="primary", icon=":material/upload:")

if submitted:
    merchant = merchant.strip()
    if not merchant:
        st.error("Enter the merchant id first.")
        st.stop()
    files = [*(images or []), *(zips or [])]
    if not files:
        st.error("Choose at least one file.")
        st.stop()
    try:
        manifest = read_manifest(manifest_file.getvalue()) if manifest_file else None
        with st.spinner(f"Scoring {len(files)} file(s)..."):
            outcome = ingest_uploads(
                store,
                [(browser_file_name(f.name), f.getvalue()) for f in files],
                merchant_id=merchant,
                uploaded_by=user.username,
                manifest=manifest,
                sku=sku.strip(),
                only_own_merchant=user.role == "merchant",
            )
    except IngestError as exc:
        st.error(plain(exc))
        st.stop()
    for name, reason in outcome.refused_zips:
        st.error(plain(f"{name}: {reason}"))
    report = outcome.report
    n = outcome.counts()
    summary = f"{n['added']} added · {n['duplicate']} already uploaded · {n['refused']} refused" + (
        f" · {len(outcome.refused_zips)} zip(s) refused whole" if outcome.refused_zips else ""
    )
    if n["added"] == 0 and n["duplicate"] == 0:
        st.error(f"Nothing was added: {summary}.")
    elif n["refused"] or outcome.refused_zips:
        st.warning(summary)
    else:
        st.success(summary)
    # Names as the merchant gave them (data, never markup); refused rows show why, not "None".
    table = pd.DataFrame(
        [
            {
                "file": r.shown_name,
                "result": {"added": "added", "duplicate": "already uploaded", "refused": "REFUSED"}[r.status],
                "reason": r.reason or ("" if r.status == "added" else "-"),
                "score": "" if r.score is None else f"{r.score:.1f}",
                "issues": issue_labels(r.issues),
                "image": f"./inspect?v={r.version_id}" if r.version_id else "",
            }
            for r in report.results
        ],
        # The link next to the name: at 1280 px a last column was off screen.
        columns=["file", "image", "result", "score", "issues", "reason"],
    )
    st.dataframe(
        table,
        hide_index=True,
        key="upload_results",
        row_height=_row_height(max((len(r.reason or "") for r in report.results), default=0)),
        column_config={
            # Both must be readable at 1280 px: an issue list read "Low re", "Same" beside a wide reason.
            "reason": st.column_config.TextColumn("reason", width="medium"),
            "issues": st.column_config.ListColumn("issues", width="medium"),
            "image": st.column_config.LinkColumn("image", display_text="Inspect"),
        },
    )
