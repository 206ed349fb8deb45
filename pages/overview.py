"""Overview: the catalogue at a glance, filterable, each row opening its image."""

import pandas as pd
import streamlit as st

from core.engine.wording import SCORE_COLUMN_FORMAT
from core.services.access import roles_for
from core.services.measuring import stale_catalogue_note
from core.services.overview import (
    CATALOG_ORDERS,
    COLUMNS,
    HISTOGRAM_BIN,
    ORDER_LABELS,
    REVIEW_STATUSES,
    CatalogFilter,
    CatalogScope,
    merchant_ids,
    overview,
    table_columns,
)
from core.vocabulary import ANY_CHOICE, COPIED_FILTER_LABEL, ISSUE_NAMES, decision_label, issue_label, issue_labels
from pages.common.charts import issue_bar, score_bins_chart
from pages.common.images import thumbnail_url
from pages.common.selection import no_images
from pages.common.session import get_store, merchant_scope, profile_picker, require_role, still_signed_in
from pages.common.text import COPIED_FILTER_HELP

#: What each row's Open cell says, in the blue of a link.
OPEN_TEXT = "Inspect ›"
LINK_COLOUR = "#0068c9"
#: The table's row height (px): taller than 4rem, so a long name wraps instead of being cut.
ROW_PX = 72

user = require_role(*roles_for("overview"))
scope = merchant_scope(user)
store = get_store()

st.title("My images" if scope else "Catalogue overview")
if "v" in st.query_params:  # left by Back from an image opened here (see the table below)
    del st.query_params["v"]
if note := stale_catalogue_note(store, merchant_id=scope):  # staff only: merchants cannot re-measure
    st.info(note, icon=":material/history:")
with st.sidebar:
    profile = profile_picker()
    # A merchant's fixes are their work: the decision on a submitted fix ("Needs changes") is
    # counted only with them included, so merchants start with them shown.
    include_optimized = st.toggle(
        "Include optimized versions",
        value=bool(scope),
        help="Fixed versions saved on Optimize, each with its own score and review decision.",
    )

# Everything below is counted, filtered and paged in the database (core.services.overview): only
# the rows on screen are read, so a catalogue of 100,000 images opens as fast as a small one.
catalogue = CatalogScope(profile=profile, merchant_id=scope, include_optimized=include_optimized)
totals = st.container()

filters = st.empty()  # a slot: cleared when there is nothing to filter
with filters.container(border=True):
    # A merchant has no merchant filter: three columns, not an empty first one.
    f = st.columns(3 if scope else 4)
    merchants = [] if scope else f[0].multiselect("Merchant", merchant_ids(store), placeholder=ANY_CHOICE)
    issues = f[-3].multiselect("Has issue", list(ISSUE_NAMES), format_func=issue_label, placeholder=ANY_CHOICE)
    statuses = f[-2].multiselect("Decision", list(REVIEW_STATUSES), format_func=decision_label, placeholder=ANY_CHOICE)
    score_range = f[-1].slider("Score", 0, 100, (0, 100))
    text = st.text_input("Search file name or SKU", placeholder="e.g. CUP-00")
    # Staff's alone: a merchant is never told what other merchants stored. On a line of its own:
    # beside the search, its label was cut at 800 px.
    copied = False if scope else st.checkbox(COPIED_FILTER_LABEL, help=COPIED_FILTER_HELP)
flt = CatalogFilter(
    merchants=merchants,
    issues=issues,
    statuses=statuses,
    score_min=score_range[0],
    score_max=score_range[1],
    text=text.strip(),
    copied=copied,
)
# Any change of what is listed (a filter, the search, the profile, optimized versions in or out)
# starts at its first page: page 120 of the catalogue kept, or cut to the last, showed a merchant's
# last nine images under "Worst score first". Told by comparing with the last run's selection, so
# it holds for every control, the sidebar's too.
if st.session_state.get("overview_selection") != (catalogue, flt):
    st.session_state["overview_selection"] = (catalogue, flt)
    st.session_state["overview_page"] = 1
# The sort, like the page, lives in the session: it stays while the pages are turned. It orders
# the whole filtered catalogue in the database, before the page is cut from it.
if st.session_state.get("overview_order") not in CATALOG_ORDERS:
    st.session_state["overview_order"] = CATALOG_ORDERS[0]
ov = overview(
    store,
    catalogue,
    flt,
    page=int(st.session_state.get("overview_page", 1)),
    order=st.session_state["overview_order"],
)
if ov.total == 0:
    filters.empty()  # nothing to filter: the note says where images come from
    no_images(user.role, totals)
    st.stop()
if ov.shown == 0:
    # One empty state: no counters of zeros, no empty charts, no empty table.
    totals.info(ov.empty_note, icon=":material/filter_alt_off:")
    st.stop()

# The counters follow the filters, like the charts and the table; the heading gives the total.
# A row that wraps: at 800 px five columns cut "Needs changes" to "Needs cha...".
counters = totals.container(horizontal=True)
counters.metric(
    ov.count_label,
    ov.shown,
    width="stretch",
    # Review's queue also holds the fixes saved on Optimize: say why its count may be higher.
    help=None
    if include_optimized
    else "Originals only. Fixes saved on Optimize wait in the review queue too; "
    "'Include optimized versions' in the sidebar counts them here.",
)
for status, n in ov.review_status.items():
    counters.metric(decision_label(status), n, width="stretch")

c1, c2 = st.columns(2)
c1.plotly_chart(score_bins_chart(ov.score_bins, width=HISTOGRAM_BIN), key="scores")
if ov.issue_counts:
    counts = pd.Series(ov.issue_counts)
    c2.plotly_chart(issue_bar(counts.set_axis(issue_labels(counts.index))), key="issues")
else:
    c2.success("No issues in the selection.")


def _back_to_first_page() -> None:
    st.session_state["overview_page"] = 1  # a new order starts at its top


st.subheader(ov.heading)
sort, box, note = st.columns([2, 1, 3], vertical_alignment="bottom")
sort.selectbox(
    "Sort by",
    CATALOG_ORDERS,
    format_func=ORDER_LABELS.__getitem__,
    key="overview_order",
    on_change=_back_to_first_page,
    help="Orders every image matching the filters, across all pages.",
)
if ov.pages > 1:
    if st.session_state.get("overview_page", 1) != ov.page:
        st.session_state["overview_page"] = ov.page  # the filters left fewer pages
    box.number_input("Page", 1, ov.pages, key="overview_page")
    note.caption(ov.page_note)
window = pd.DataFrame(ov.rows, columns=list(COLUMNS))
window["issues"] = [issue_labels(names) for names in window["issues"]]
window["status"] = [decision_label(s) for s in window["status"]]
# Thumbnails only for the rows on screen: cached per sha256, never the full image.
window["thumbnail"] = [thumbnail_url(s, b) for s, b in zip(window["sha256"], window["blob_path"], strict=True)]
# Text, not a link cell: back on this page (Back), Streamlit's grid followed a click on a link
# cell itself, into a new tab each time, before the selection below could open it here.
window["open"] = OPEN_TEXT


@st.fragment
def _table(shown: pd.DataFrame, columns: list[str]) -> None:
    """The table alone: a click on a cell reruns only it, not the page's counts and queries."""
    still_signed_in()  # a fragment rerun skips the router: check the session here
    event = st.dataframe(
        shown.style.map(lambda _: f"color: {LINK_COLOUR}", subset=["open"]),  # reads as a link
        hide_index=True,
        column_order=columns,
        column_config={
            "thumbnail": st.column_config.ImageColumn("", width="small"),
            # Narrow enough that a phone (390 px) shows the Open cell beside it; long names wrap.
            "file_name": st.column_config.TextColumn("File", width=170),
            # Widths that keep the last column (SKU) whole at 1400 px with the menu open.
            "merchant_id": st.column_config.TextColumn("Merchant", width=110),
            "sku": st.column_config.TextColumn("SKU", width=90),
            "kind": st.column_config.TextColumn("Version", width=95),  # "optimized" whole
            "score": st.column_config.ProgressColumn(
                "Score", min_value=0, max_value=100, format=SCORE_COLUMN_FORMAT, width=115
            ),
            "issues": st.column_config.ListColumn("Issues", width="medium"),  # the rest stays in view at 1400 px
            "status": st.column_config.TextColumn("Decision", width=110),  # "Waiting for review" on two lines
            "width": st.column_config.NumberColumn("W", format="%d"),
            "height": st.column_config.NumberColumn("H", format="%d"),
            "open": st.column_config.TextColumn("Open", help="One click opens the image in Inspect"),
        },
        row_height=ROW_PX,
        # Ten rows in view (Streamlit's own height showed five of them in 400 px); the page's 50
        # scroll inside. Besides the rows: a 35 px header and 3 px of borders.
        height=35 + ROW_PX * min(10, max(1, len(shown))) + 3,
        key="catalog",
        # Selecting the Open cell opens the image at once, in this tab.
        on_select="rerun",
        selection_mode="single-cell",
    )
    if opened := [row for row, column in event.selection.cells if column == "open"]:
        # This session already holds the profile: naming it in the URL too would have Inspect take it
        # out again, a history entry of its own that Back would land on.
        st.switch_page("pages/inspect.py", query_params={"v": str(shown["version_id"].iloc[opened[0]])})


_table(window, table_columns(merchant_view=scope is not None, with_versions=include_optimized))
# Streamlit 1.67's table cannot switch its header sorting off (only column selections do, at the
# cost of a selection mode): say what a header click sorts.
st.caption(
    "A click on a column header sorts only the rows on this page; Sort by orders "
    + (f"all {ov.shown} images." if ov.shown != 1 else "the one image.")
)
