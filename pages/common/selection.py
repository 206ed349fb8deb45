"""Which image a page shows: from the deep link ``?v=<version id>`` or the picker, which a search
box narrows (searched in the database, so any image of any catalogue can be found)."""

from __future__ import annotations

import streamlit as st

from core.services.access import can_open, no_images_note
from core.services.catalog import ImageRecord, Pick, Store, open_version, picker_list
from pages.common.text import plain


def no_images(role: str, container=st) -> None:  # type: ignore[no-untyped-def]
    """The empty catalogue's note for ``role`` and, for a role that uploads, a link to the Upload
    page it names: on a phone the menu is folded away, and the note named a page with no way there."""
    container.info(no_images_note(role), icon=":material/photo_library:")
    if can_open(role, "upload"):
        container.page_link("pages/upload.py", label="Upload images", icon=":material/upload:")


def _label(pick: Pick, *, with_merchant: bool) -> str:
    """A picker entry: the name as given, the merchant (for staff, who see every merchant's), the
    kind and the version id (two uploads may share a name)."""
    parts = [pick.name, pick.merchant_id] if with_merchant else [pick.name]
    return " · ".join([*parts, pick.kind, f"#{pick.version_id}"])


def _search_typed() -> None:
    st.session_state["picker_search_typed"] = True


def selected_version(
    store: Store, *, profile: str, merchant_id: str | None, role: str, title: str, open_single_match: bool = False
) -> ImageRecord:
    """The version named by ``?v=`` (default: the newest one), with a picker to switch and a search
    box that narrows the picker to the images matching it.

    With ``open_single_match`` (a page with nothing to lose by switching, like Inspect), a search
    just typed that finds exactly one image opens it. Elsewhere (Optimize, where a recipe is being
    built on the image open) a search only narrows the picker.

    Draws the page's ``title`` first, above the picker; with no image at all, it then says where
    images come from (for ``role``).

    Stops the page with the same message whether the version does not exist or belongs to
    another merchant, so a URL reveals nothing about other merchants' images.
    """
    st.title(title)
    try:
        asked = int(st.query_params["v"]) if "v" in st.query_params else None
    except ValueError:
        asked = -1
    if asked is not None and not 0 < asked < 2**63:
        asked = -1  # no version has that id, and the database's integers cannot even hold some
    search = str(st.session_state.get("picker_search", "")).strip()
    listed = picker_list(store, profile=profile, merchant_id=merchant_id, search=search, around=asked)  # bounded
    if not listed.picks and not search:
        no_images(role)
        st.stop()
    if asked is None:  # the newest image, searched for or not: a search narrows the picker, never opens an image
        newest = (
            listed.picks if not search else picker_list(store, profile=profile, merchant_id=merchant_id, limit=1).picks
        )
        asked = newest[0].version_id if newest else -1
    record = open_version(store, asked, profile=profile, merchant_id=merchant_id)
    labels = {p.version_id: _label(p, with_merchant=merchant_id is None) for p in listed.picks}
    if record is None:
        st.error("There is no image with that link that you can open.")
    # One above the other: beside a search box the picker cut a staff label ("name · merchant ·
    # kind · #id") at 800 px.
    st.text_input(
        "Find an image",
        key="picker_search",
        placeholder=f"Search by {listed.searches}",
        help="Searched across every image you can open; the picker then lists the matches, newest first.",
        on_change=_search_typed,
    )
    typed = st.session_state.pop("picker_search_typed", False)
    if open_single_match and typed and len(labels) == 1 and (record is None or record.version_id not in labels):
        # Only as the search is typed: a link opened later, with the search still in the box,
        # stays on the image it names.
        st.query_params["v"] = str(next(iter(labels)))
        st.rerun()
    index = list(labels).index(record.version_id) if record is not None and record.version_id in labels else None
    chosen = st.selectbox(
        "Image",
        list(labels),
        index=index,
        placeholder=f"Choose one of {len(labels):,}" if labels else "No matches",
        format_func=lambda v: labels[v],
        disabled=not labels,
    )
    if listed.note:  # counts only: the search (the user's own text) is not repeated
        st.caption(listed.note)
    if chosen is None and search and labels and record is not None:
        # A search narrows the picker and opens nothing (a recipe being built stays on its image):
        # say that the image below is not the search's result.
        st.caption(
            f"Still showing {plain(record.shown_name)}, which does not match the search: choose one of the matches above."
        )
    if chosen is not None and (record is None or chosen != record.version_id):
        st.query_params["v"] = str(chosen)
        st.rerun()
    if record is None:  # a way on from a dead link: the images this user may open (nothing about the one asked for)
        st.stop()
    return record
