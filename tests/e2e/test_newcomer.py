"""What a newcomer trips over, in headless Chromium against the real server on 127.0.0.1:
nothing fetched from outside the app's server (recorded during the width walks), the upload limits
shown, a merchant's odd file name displayed as given, and every page at 800 (a half screen, the
sidebar open) / 1280 / 1400 / 1920 px and on a 390-px phone (screenshots in
``test-output/widths/``; look at them), with nothing cut off.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.server import ADMIN_PASSWORD, ROOT, require_browser, wait_idle

require_browser()
OUT = Path(os.environ.get("E2E_OUTPUT", ROOT / "test-output")) / "widths"

#: (path, heading that shows the page is drawn, screenshot name)
PAGES = [
    ("/overview", "Catalogue overview", "overview"),
    ("/inspect?v=17", "cup_underexposed.jpg", "inspect"),
    ("/optimize?v=17", "cup_underexposed.jpg", "optimize"),
    ("/review", "Review queue", "review"),
    ("/feedback", "Reviewer feedback", "feedback"),
    ("/upload", "Upload images", "upload"),
    ("/users", "Users", "users"),
]
WIDTHS = {"800": (800, 800), "1280": (1280, 900), "1400": (1400, 1000), "1920": (1920, 1080), "phone390": (390, 844)}

#: Text that does not fit its box: any element holding text (or an input) in the main area whose
#: content is wider than the box that clips it (ellipsis, hidden overflow), e.g. a truncated label,
#: date range, metric value or button (a label cut by its box, e.g. a button's "App...", counts too),
#: text that runs past the main area's right edge, and chart text past its figure's edge.
CUT_OFF = """() => {
  const out = [];
  const main = document.querySelector('[data-testid="stMain"]');
  for (const el of main.querySelectorAll('*')) {
    if (!el.offsetParent || el.closest('.stDataFrame, [data-testid="stDataFrame"], .js-plotly-plot, pre, code')) continue;
    const isInput = el.tagName === 'INPUT' && el.type !== 'hidden' && el.type !== 'file' && el.value;
    const hasText = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!isInput && !hasText) continue;
    const st = getComputedStyle(el);
    const clips = isInput || st.textOverflow === 'ellipsis' || ['hidden', 'clip'].includes(st.overflowX);
    const box = el.parentElement;
    const boxCuts = box && box !== main && getComputedStyle(box).textOverflow === 'ellipsis'
      && box.scrollWidth > box.clientWidth + 1;
    // Text running past the main area's right edge is cut by the window (a row of tabs too wide).
    const pastEdge = hasText && el.getBoundingClientRect().right > main.getBoundingClientRect().right + 1;
    if ((clips && el.scrollWidth > el.clientWidth + 1) || boxCuts || pastEdge) {
      out.push((el.value || el.innerText || '').slice(0, 60));
    }
  }
  // Chart text (tick labels, values beside bars, titles) reaching past its figure's edge is cut.
  for (const plot of main.querySelectorAll('.js-plotly-plot')) {
    const fig = plot.getBoundingClientRect();
    for (const t of plot.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (t.textContent.trim() && r.width && (r.left < fig.left - 1 || r.right > fig.right + 1)) {
        out.push('chart: ' + t.textContent.slice(0, 50));
      }
    }
  }
  return out;
}"""


def _open(page, base: str, path: str, heading: str) -> None:  # type: ignore[no-untyped-def]
    """Open ``path``; if the sign-in form answers (no sign-in cookie yet), sign in there: the app
    then shows the page the address named."""
    page.goto(base + path)
    wanted = page.get_by_role("heading", name=heading).first
    password = page.get_by_role("textbox", name="Password")
    wanted.or_(password).first.wait_for(timeout=60_000)
    if not wanted.is_visible() and password.is_visible():
        page.get_by_role("textbox", name="User name").fill("admin")
        password.fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
    wanted.wait_for(timeout=60_000)
    wait_idle(page)


def _outside(urls: list[str]) -> list[str]:
    """The addresses among ``urls`` on another host than the app's server (127.0.0.1)."""
    return sorted(
        {
            u
            for u in urls
            if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).hostname != "127.0.0.1"
        }
    )


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_fits_at_this_width_and_fetches_nothing_from_outside(browser, app, width):
    base, _ = app
    w, h = WIDTHS[width]
    ctx = browser.new_context(viewport={"width": w, "height": h}, is_mobile=w < 500, has_touch=w < 500)
    requested: list[str] = []
    ctx.on("request", lambda r: requested.append(r.url))
    page = ctx.new_page()
    page.goto(base + "/")  # a session's first address is the app's root (deep links are issue 8's)
    page.get_by_role("textbox", name="Password").wait_for(timeout=60_000)
    OUT.mkdir(parents=True, exist_ok=True)
    cut: dict[str, list[str]] = {}
    for path, heading, name in PAGES:
        _open(page, base, path, heading)
        if name == "optimize":  # the metrics and the save button appear once there is a recipe
            page.get_by_role("button", name="Auto-fix").click()
            wait_idle(page)
        assert page.locator("[data-testid='stException']").count() == 0, name
        found = page.evaluate(CUT_OFF)
        # Streamlit scrolls inside its main area: grow the window to the content for a whole-page shot.
        tall = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        page.set_viewport_size({"width": w, "height": max(h, min(int(tall) + 40, 6000))})
        page.wait_for_timeout(500)  # charts and tables draw what came into view (for the shot only)
        page.screenshot(path=str(OUT / f"{name}_{width}.png"), full_page=True)
        page.set_viewport_size({"width": w, "height": h})
        if found:
            cut[name] = found
    ctx.close()
    assert cut == {}, f"text cut off at {width}: {cut}"
    assert len(requested) > 20  # the recording saw the pages load (icons and fonts after the 500-ms waits)
    assert _outside(requested) == [], f"requests to other hosts: {_outside(requested)}"


def test_upload_shows_the_limits_and_an_odd_name_as_given(browser, app, photo):
    from tests.conftest import encode

    base, root = app
    odd = 'say "cheese"\nback\\slash.jpg'
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.goto(base + "/")
    page.get_by_role("textbox", name="Password").wait_for(timeout=60_000)
    _open(page, base, "/upload", "Upload images")
    limits = page.locator("[data-testid='stAlertContentInfo']").first.inner_text()
    assert (
        "JPEG (.jpg, .jpeg, .jpe, .jfif, .pjpeg, .pjp)" in limits
        and "TIFF (.tif, .tiff)" in limits
        and "50 MB" in limits
    )
    assert "megapixels" in limits and "Zip files" in limits
    # The images' types and size as in the box above (Streamlit's own line, which drops JPEG and TIFF, is hidden).
    assert page.get_by_text(
        "Images (JPEG, PNG, WebP, HEIC, AVIF, TIFF, BMP, GIF, MPO; at most 50 MB each)"
    ).is_visible()
    assert not page.locator("[data-testid='stFileUploaderDropzoneInstructions']").first.is_visible()
    page.get_by_role("textbox", name="Merchant id").fill("odd-names")
    page.locator("input[type=file]").first.set_input_files(
        [{"name": odd, "mimeType": "image/jpeg", "buffer": encode(photo, "JPEG")}]
    )
    page.wait_for_timeout(1500)
    wait_idle(page)
    page.get_by_role("button", name="Upload and score").click()
    page.get_by_text("1 added · 0 already uploaded · 0 refused").wait_for(timeout=60_000)
    wait_idle(page)
    page.screenshot(path=str(OUT.parent / "upload_odd_name.png"), full_page=True)

    from core.store.database import open_store
    from core.store.queries import list_images

    store = open_store(root)
    (rec,) = list_images(store, merchant_id="odd-names")
    store.dispose()
    # Browsers escape '"' and line breaks in uploaded file names (%22, %0A); the app undoes exactly that.
    shown = rec.shown_name
    assert shown == odd
    _open(page, base, f"/inspect?v={rec.version_id}", shown.replace("\n", " "))
    title = page.locator("h3").first.inner_text()  # the name's heading, under the page's title
    assert title == shown.replace("\n", " ")  # quotes and backslash shown as given (a heading is one line)
    page.screenshot(path=str(OUT.parent / "inspect_odd_name.png"), full_page=True)
    ctx.close()


def test_a_small_image_is_scaled_up_in_the_before_after_view(browser, app):
    base, _ = app
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    page.goto(base + "/")
    page.get_by_role("textbox", name="Password").wait_for(timeout=60_000)
    _open(page, base, "/optimize?v=5", "cat_photo.jpg")  # 451 x 300 px
    view = page.locator(".bac").first
    view.wait_for(timeout=60_000)
    box = view.bounding_box()
    assert box and box["width"] > 500 and abs(box["width"] / box["height"] - 451 / 300) < 0.03
    left, right = (page.locator(f".bac .tag.{side}").first.bounding_box() for side in ("left", "right"))
    assert left and right and left["x"] + left["width"] < right["x"]  # the labels do not overlap
    view.screenshot(path=str(OUT.parent / "before_after_small_image.png"))
    ctx.close()
