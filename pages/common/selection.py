"""Which image a page shows: from the deep link ``?v=<version id>`` or the picker."""

from __future__ import annotations

import streamlit as st

from core.services.access import no_images_note
from core.services.catalog import ImageRecord, Store, open_version, pickable_versions


def selected_version(store: Store, *, profile: str, merchant_id: str | None, role: str, title: str) -> ImageRecord:
    """The version named by ``?v=`` (default: the first one), with a picker to switch.

    With no image at all, the page shows ``title`` and says where images come from (for ``role``).

    Stops the page with the same message whether the version does not exist or belongs to
    another merchant, so a URL reveals nothing about other merchants' images.
    """
    try:
        asked = int(st.query_params["v"]) if "v" in st.query_params else None
    except ValueError:
        asked = -1
    if asked is not None and not 0 < asked < 2**63:
        asked = -1  # no version has that id, and the database's integers cannot even hold some
    records = pickable_versions(store, profile=profile, merchant_id=merchant_id, around=asked)  # bounded
    if not records:
        st.title(title)
        st.info(no_images_note(role), icon=":material/photo_library:")
        st.stop()
    requested = records[0].version_id if asked is None else asked
    record = open_version(store, requested, profile=profile, merchant_id=merchant_id)
    labels = {r.version_id: f"{r.shown_name} · {r.kind} · #{r.version_id}" for r in records}  # the name as given
    if record is None:
        st.error("There is no image with that link that you can open.")
        # A way on from a dead link: the images this user may open (nothing about the one asked for).
        picked = st.selectbox(
            "Image", list(labels), index=None, placeholder="Choose an image", format_func=lambda v: labels[v]
        )
        if picked is None:
            st.stop()
        st.query_params["v"] = str(picked)
        st.rerun()
    chosen = st.selectbox(
        "Image", list(labels), index=list(labels).index(record.version_id), format_func=lambda v: labels[v]
    )
    if chosen != record.version_id:
        st.query_params["v"] = str(chosen)
        st.rerun()
    return record
