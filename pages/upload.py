"""Upload: images or a zip (with an optional manifest) for a merchant; every file gets a verdict.

The chosen files stay in the form until an upload has started (a refused submission, such as a
missing merchant id, keeps them: a 500 MB zip is not picked and sent again); then the uploaders
are replaced by empty ones (new keys). The files are scored in the background
(:mod:`core.services.upload_jobs`) while the page counts them; every tab of the account shows
the same latest upload, its progress and then its report, until the next upload.
"""

from typing import Final

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.services.access import roles_for
from core.services.upload import (
    REPORT_VIEWS,
    IngestError,
    UploadOutcome,
    browser_file_name,
    counted,
    read_manifest,
    upload_limits,
)
from core.services.upload_jobs import UploadJob, start_upload, upload_for
from core.vocabulary import issue_labels
from pages.common.session import get_store, require_role
from pages.common.tables import headed
from pages.common.text import plain

#: Session-state keys: which set of (empty) uploaders the form shows, and the upload this tab saw
#: running (it says when that one is done).
_FORM_GEN = "upload_form_gen"
_WATCHED = "upload_watched"
_STARTED = "upload_started"
#: How often the progress is asked for while an upload runs, and how often an idle tab asks whether
#: the account's latest upload has changed (started or finished in another tab), in seconds.
_POLL_S = 1.0
_WATCH_S = 3.0
#: Rows of the results table visible at once before it scrolls (header included).
_TABLE_MAX_PX = 720
_ROW_PX = 35


#: A long list of every file keeps one line a row (some 20 rows on a screen); a shorter list, or
#: a view of one verdict, wraps long reasons in full.
_WRAP_UP_TO_ROWS = 30


def _row_height(longest_reason: int) -> int | None:
    """Rows tall enough for the longest reason to wrap in its medium-width column (about 32
    characters a line, at most 5 lines); the default height when every reason fits on one line.
    Streamlit wraps a cell's text only in a row of three lines or more (in two, it is cut)."""
    if longest_reason <= 32:
        return None
    return 16 + 20 * min(5, max(3, -(-longest_reason // 32)))


def _table_height(rows: int, row_height: int | None) -> int:
    """Every row when they fit in :data:`_TABLE_MAX_PX`, else that height (the table scrolls):
    Streamlit's default shows ten one-line rows, and only about five rows of wrapped reasons."""
    return min(_TABLE_MAX_PX, _ROW_PX + rows * (row_height or _ROW_PX) + 3)


#: The report's columns: every file's, and a view of one verdict's (there the reason is what the
#: view is about: next to the name, so a phone shows both without scrolling sideways).
_COLUMNS: Final = ["file", "image", "result", "score", "issues", "reason"]
_VERDICT_COLUMNS: Final = ["file", "reason", "image", "score", "issues"]


def _columns_shown(table: pd.DataFrame, view: str) -> list[str]:
    """The columns worth showing in ``view``: a column with nothing on any row shown (no link or
    score for refused files, no reason for files stored without a note) would only push the
    others off a phone's screen."""
    order = _COLUMNS if view == "all" else _VERDICT_COLUMNS
    return [c for c in order if c == "file" or bool(table[c].map(bool).any())]


def _toast_done(job: UploadJob) -> None:
    """Say that the upload this tab showed running is done: its report is below the form, often
    below the fold."""
    if job.outcome is None:
        st.toast("The upload stopped: see why above the form.", icon=":material/error:")
        return
    n = job.outcome.counts()  # the whole summary line was cut short in a toast
    zips = len(job.outcome.refused_zips)
    again = n["duplicate"] + n["repeat"]  # copies: files uploaded before, or twice in this upload
    parts = [
        f"{n['added']} added",
        *([f"{again} {'copy' if again == 1 else 'copies'} not stored again"] if again else []),
        f"{n['refused']} refused",
        *([f"{counted(zips, 'zip')} refused whole"] if zips else []),
    ]
    st.toast(
        f"Upload done: {', '.join(parts)}. The report is below the form.",
        icon=":material/warning:" if n["refused"] or zips or not (n["added"] or again) else ":material/task_alt:",
    )


def _refuse(where: DeltaGenerator, message: str) -> None:
    """Why a submission was refused: above the form, and in a toast, which is seen wherever the
    page is scrolled (after the click the view stays at the button, far below on a phone)."""
    where.error(message)
    st.toast(message, icon=":material/error:")


def _draw_report(outcome: UploadOutcome, *, key: str) -> None:
    results = outcome.report.results
    # Headed even with no file to list (a zip refused whole): its red boxes read as about the next attempt.
    st.subheader("Report of the last upload" + (f": {counted(len(results), 'file')}" if results else ""))
    for name, reason in outcome.refused_zips:
        st.error(plain(f"{name}: {reason}"))
    n = outcome.counts()
    summary = outcome.summary()
    if n["added"] == 0 and n["duplicate"] == 0:
        st.error(f"Nothing was added: {summary}.")
    elif n["refused"] or outcome.refused_zips:
        st.warning(summary)
    else:
        st.success(summary)
    unmatched = outcome.unmatched_note()
    if unmatched:
        st.warning(plain(unmatched), icon=":material/table_rows:")
    if not results:
        return
    counts = outcome.view_counts()
    views = [v for v in REPORT_VIEWS if v == "all" or counts[v]]
    view = st.segmented_control(
        "Show",
        views,
        default="all",
        required=True,
        format_func=lambda v: f"{REPORT_VIEWS[v]} ({counts[v]})",
        key=f"upload_view_{key}",  # back to "All files" for a new report
        width="stretch",
    )
    st.space("small")  # the table's hover toolbar sits above it: clear of the view buttons' last label
    shown = outcome.in_view(view or "all")
    longest = max((len(r.reason or "") for r in shown), default=0)
    wrap = view not in (None, "all") or len(shown) <= _WRAP_UP_TO_ROWS
    row_height = _row_height(longest) if wrap else None
    if not wrap and _row_height(longest) is not None:
        st.caption("Long reasons are cut short in this list of every file: choose a view above to read them in full.")
    # Names as the merchant gave them (data, never markup); refused rows show why, not "None".
    table = pd.DataFrame(
        [
            {
                # A zip's files under its name: a refused empty.png from a zip and a loose one differ.
                "file": f"{r.source} › {r.shown_name}" if r.source else r.shown_name,
                "result": (
                    "copy in this upload"
                    if r.repeat_of
                    else {"added": "added", "duplicate": "already uploaded", "refused": "REFUSED"}[r.status]
                ),
                "reason": r.reason or ("" if r.status == "added" else "-"),
                "score": "" if r.score is None else f"{r.score:.1f}",
                "issues": issue_labels(r.issues),
                "image": f"./inspect?v={r.version_id}" if r.version_id else "",
            }
            for r in shown
        ],
        # The link next to the name: at 1280 px a last column was off screen.
        columns=_COLUMNS,
    )
    st.dataframe(
        table,
        hide_index=True,
        key="upload_results",
        height=_table_height(len(shown), row_height),
        row_height=row_height,
        column_order=_columns_shown(table, view or "all"),
        column_config=headed(
            table.columns,
            {
                # Both must be readable at 1280 px: an issue list read "Low re", "Same" beside a wide reason.
                "reason": st.column_config.TextColumn(width="medium"),
                "issues": st.column_config.ListColumn(width="medium"),
                "image": st.column_config.LinkColumn(display_text="Inspect"),
            },
        ),
    )


@st.fragment(run_every=_POLL_S)
def _progress(username: str) -> None:
    """The running upload's count, asked for again every :data:`_POLL_S`; once it has finished,
    the whole page runs again and shows its report."""
    job = upload_for(username)
    if job is None or job.finished:
        st.rerun(scope="app")
        return
    st.session_state[_WATCHED] = job.id
    for_whom = f" for {plain(job.merchant_id)}" if job.merchant_id else ""
    st.progress(job.fraction(), text=f"Scoring {job.what}{for_whom}: {job.progress_text()}")
    st.caption(
        "You can go to other pages meanwhile: the upload goes on, and its report waits for you on this page. "
        "The next upload can start once it is here.",
    )


@st.fragment(run_every=_WATCH_S)
def _watch(username: str, shown: str | None) -> None:
    """Run the page again when the account's latest upload is no longer the one shown: an idle tab
    showed an older report as the last while another tab's upload ran and ended."""
    job = upload_for(username)
    if (job.id if job is not None else None) != shown:
        st.rerun(scope="app")


user = require_role(*roles_for("upload"))
store = get_store()
st.title("Upload images")

# The account's latest upload, the same in every tab: running (its count), or done (its report).
job = upload_for(user.username)
running = job if job is not None and not job.finished else None
if job is not None and job.finished and st.session_state.get(_WATCHED) == job.id:
    del st.session_state[_WATCHED]
    _toast_done(job)
if (what := st.session_state.pop(_STARTED, None)) and running is not None:  # (done already: said above)
    st.toast(f"Upload started: scoring {what}. Its progress is at the top of this page.", icon=":material/upload:")

limits = upload_limits()  # the limits really enforced, from one place
MB = 1024**2
if user.role == "merchant":
    st.caption(f"Uploading for your shop {plain(user.merchant_id)}.")
# Above the form: below it, the count and the errors were off screen at 1400x900.
if running is not None:
    _progress(user.username)
else:
    _watch(user.username, job.id if job is not None else None)
if job is not None and job.error:
    st.error(plain(job.error))
notice = st.container()  # why a submission was refused
st.info(limits.describe(), icon=":material/info:")
# The uploader's own line (size limit and types) wraps instead of being cut off on a phone.
st.html(
    "<style>[data-testid='stFileUploaderDropzoneInstructions'] span, "
    "[data-testid='stFileUploaderDropzoneInstructions'] small { white-space: normal !important; "
    "overflow-wrap: anywhere; text-overflow: clip !important; overflow: visible !important; }"
    # The images' types are named in the label, as in the box above: Streamlit's own line would
    # list extensions (JPE, JPG, TIF) and drop its aliases (JPEG, TIFF), as if those were refused.
    "[class*='st-key-upload_images_'] [data-testid='stFileUploaderDropzoneInstructions'] "
    "{ display: none; }</style>"
)
# Not cleared on submit: a refused submission keeps the chosen files. After an upload the
# uploaders get new keys, so they are empty again.
gen = int(st.session_state.get(_FORM_GEN, 0))
with st.form("upload"):
    # Inside the form, so the merchant id and the files are submitted together.
    if user.role == "merchant":
        merchant = user.merchant_id or ""
        # A merchant's files always go to their own merchant id: a manifest's merchant_id is ignored.
        manifest_label = "Manifest CSV (optional: columns file, sku)"
        manifest_help = (
            f"One row per file: its name and its SKU. Your files always go to your shop {plain(merchant)}, "
            "so a merchant_id column is not needed (it is ignored). A value with a comma in it goes in double quotes."
        )
    else:
        merchant = st.text_input(
            "Merchant id",
            placeholder="e.g. acme-home",
            help="A manifest CSV (file, merchant_id, sku) can assign files to other merchants.",
        )
        manifest_label = "Manifest CSV (optional: columns file, merchant_id, sku)"
        manifest_help = (
            "One row per file: its name, its merchant id (empty: the merchant id above) and its SKU. "
            "A value with a comma in it goes in double quotes."
        )
    images = st.file_uploader(
        f"Images ({limits.type_names}; at most {limits.max_image_bytes / MB:g} MB each)",
        type=[e.lstrip(".") for e in limits.image_extensions],
        accept_multiple_files=True,
        max_upload_size=max(1, limits.max_image_bytes // MB),
        key=f"upload_images_{gen}",
    )
    zips = st.file_uploader(
        "Zip files (with an optional manifest.csv inside)",
        type=["zip"],
        accept_multiple_files=True,
        max_upload_size=max(1, limits.max_zip_bytes // MB),
        key=f"upload_zips_{gen}",
    )
    manifest_file = st.file_uploader(
        manifest_label,
        help=manifest_help,
        type=["csv"],
        max_upload_size=max(1, limits.max_manifest_bytes // MB),  # not Streamlit's global limit
        key=f"upload_manifest_{gen}",
    )
    sku = st.text_input("SKU for all files (optional)", key=f"upload_sku_{gen}")
    submitted = st.form_submit_button(
        "Upload and score",
        type="primary",
        icon=":material/upload:",
    )

files = [*(images or []), *(zips or [])] if submitted else []
if submitted and not merchant.strip():
    _refuse(notice, "Enter the merchant id first.")
elif submitted and not files:
    _refuse(notice, "Choose at least one file.")
elif submitted:
    try:
        # A merchant's manifest names files and SKUs: its merchant_id column is ignored, so not checked.
        manifest = (
            read_manifest(manifest_file.getvalue(), uses_merchant_ids=user.role != "merchant")
            if manifest_file
            else None
        )
        # Refused while the account's last upload runs (one at a time), the files staying chosen.
        started = start_upload(
            store,
            [(browser_file_name(f.name), f.getvalue()) for f in files],
            merchant_id=merchant.strip(),
            uploaded_by=user.username,
            manifest=manifest,
            sku=sku.strip(),
            only_own_merchant=user.role == "merchant",
        )
    except IngestError as exc:
        _refuse(notice, plain(exc))
    else:
        st.session_state[_FORM_GEN] = gen + 1  # new keys give empty uploaders (and SKU)
        st.session_state[_WATCHED] = started.id  # said when done, even if done before the next run
        st.session_state[_STARTED] = started.what
        st.rerun()

if job is not None and job.outcome is not None:
    _draw_report(job.outcome, key=job.id)
