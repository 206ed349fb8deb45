"""On a phone (390 px, a touch screen), in headless Chromium against the real server on 127.0.0.1:
what a merchant taps is not covered by something else. Screenshots in ``test-output/e2e/``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.server import ROOT, require_browser, sign_in, wait_idle

require_browser()
OUT = Path(os.environ.get("E2E_OUTPUT", ROOT / "test-output" / "e2e"))


@pytest.fixture()
def phone(browser):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    yield ctx.new_page()
    ctx.close()


def _overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_a_tables_toolbar_leaves_the_tab_above_it_tappable(phone, app):
    """On a touch screen Streamlit shows a table's toolbar from the start, above the table's top
    right corner: under the Marketplace checklist's table it lay over the "History" tab, and a tap
    there hit the toolbar (the decisions were out of reach at 390 px)."""
    base, _ = app
    sign_in(phone, base)
    phone.goto(base + "/inspect?v=17")
    phone.get_by_role("tab", name="Marketplace checklist").wait_for(timeout=60_000)
    wait_idle(phone)
    phone.get_by_role("tab", name="Marketplace checklist").tap()
    wait_idle(phone)
    tab_bar = phone.get_by_role("tablist").bounding_box()
    toolbars = [t.bounding_box() for t in phone.locator("[data-testid='stElementToolbar']").all() if t.is_visible()]
    assert tab_bar is not None and any(toolbars)  # a table's toolbar is shown, as on every touch screen
    assert not [t for t in toolbars if t and _overlaps(t, tab_bar)]
    history = phone.get_by_role("tab", name="History")
    box = history.bounding_box()
    assert box is not None
    phone.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_idle(phone)
    OUT.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(OUT / "phone_inspect_history_tab.png"))
    assert history.get_attribute("aria-selected") == "true"
