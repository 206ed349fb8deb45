"""Page-wide layout rules that no widget option sets, drawn once per run by the router (app.py)."""

from __future__ import annotations

from typing import Final

import streamlit as st

__all__ = ["TOUCH_TABLE_CSS", "page_styles"]

#: On a touch screen (``pointer: coarse``, as Streamlit itself tells one) a table's toolbar (show
#: columns, search, full screen) is shown from the start instead of on hover, hung above the
#: table's top right corner: over the element just above, and it takes that element's taps. At
#: 390 px Inspect's "History" tab, under the Marketplace checklist's table, could not be tapped,
#: the Upload report's last view button was half covered, and Inspect's decisions table hid the
#: last row of the versions table above it. There a table moves down by the toolbar's height
#: (2.5 rem, its buttons and padding), so the toolbar has a band of its own. A mouse still shows
#: the toolbar on hover only, over whatever is above, as Streamlit draws it.
TOUCH_TABLE_CSS: Final = (
    "@media (pointer: coarse) { "
    "[data-testid='stElementContainer']:has([data-testid='stDataFrame']) { margin-top: 2.5rem; } }"
)


def page_styles() -> None:
    """The rules above, as a style element that takes no room on the page."""
    st.html(f"<style>{TOUCH_TABLE_CSS}</style>")
