"""End-to-end in headless Chromium against the real server, started here on 127.0.0.1.

Screenshots of every page go to ``$E2E_OUTPUT`` (default ``test-output/e2e``); look at them.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.e2e.server import ROOT, require_browser, running_app, sign_in, wait_idle

require_browser()
OUT = Path(os.environ.get("E2E_OUTPUT", ROOT / "test-output" / "e2e"))


@pytest.fixture(scope="module")
def signed_in(browser, app, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The browser state of one sign-in (its session cookie), for every test of the module: a
    sign-in per test cost 5-7 s of the suite each."""
    ctx = browser.new_context()
    sign_in(ctx.new_page(), app[0])
    state = tmp_path_factory.mktemp("browser") / "signed_in.json"
    ctx.storage_state(path=str(state))
    ctx.close()
    return state


@pytest.fixture()
def page(browser, signed_in):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(
        viewport={"width": 1400, "height": 1000}, accept_downloads=True, storage_state=str(signed_in)
    )
    pg = ctx.new_page()
    yield pg
    ctx.close()


def shot(page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def goto(page, base: str, path: str, heading: str) -> None:
    page.goto(base + path)
    page.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)
    wait_idle(page)


def test_screenshots_of_every_page(page, app):
    base, _ = app
    for path, name, heading in [
        ("/", "overview", "Catalogue overview"),
        ("/inspect?v=17", "inspect", "cup_underexposed.jpg"),
        ("/optimize?v=17", "optimize", "cup_underexposed.jpg"),
        ("/review", "review", "Review queue"),
        ("/feedback", "feedback", "Reviewer feedback"),
        ("/upload", "upload", "Upload images"),
        ("/users", "users", "Users"),
    ]:
        goto(page, base, path, heading)
        assert page.locator("[data-testid='stException']").count() == 0, name
        shot(page, name)
    assert len(list(OUT.glob("*.png"))) >= 7


#: The Overview table's header and row heights (px), as pages/overview.py draws them.
HEADER_PX, ROW_PX = 35, 72


def open_cell(page, row: int) -> tuple[float, float] | None:  # type: ignore[no-untyped-def]
    """Where the Overview table shows row ``row``'s blue "Inspect ›" (page coordinates), or None
    when it is not in view. The grid is drawn on a canvas: the text is found in a picture of the row."""
    table = page.locator("[data-testid='stDataFrame']").first
    table.scroll_into_view_if_needed()
    wait_idle(page)
    box = table.bounding_box()
    assert box is not None
    y = box["y"] + HEADER_PX + ROW_PX * row + ROW_PX / 2
    band = page.screenshot(clip={"x": box["x"], "y": y - 8, "width": box["width"], "height": 16})
    rgb = np.asarray(Image.open(io.BytesIO(band)).convert("RGB")).astype(int)
    blue = (np.abs(rgb - (0, 104, 201)) <= 24).all(axis=2)  # the text's colour, not the score bars'
    columns = np.flatnonzero(blue.any(axis=0))
    if not columns.size:
        return None
    gaps = np.diff(columns) > 20
    first = columns[: 1 + int(np.argmax(gaps))] if gaps.any() else columns
    return box["x"] + float(first.mean()) * box["width"] / rgb.shape[1], y


def test_the_overview_opens_an_image_from_its_open_cell(page, app):
    """One click on a row's Open cell opens that image's Inspect page in the same tab; Back returns
    to a clean overview URL, and a click on another row's Open cell then opens that image, again in
    the same tab (as a link cell, it opened a new tab at every click once back)."""
    base, _ = app
    goto(page, base, "/", "Catalogue overview")
    # The grid's accessible cells name each column by position: thumbnail, File, Open, ...
    assert page.locator("#glide-cell-2-0").inner_text() == "Inspect ›"

    def open_row(row: int) -> str:
        name = page.locator(f"#glide-cell-1-{row}").inner_text()
        where = open_cell(page, row)
        assert where is not None, "no Open cell in the row"
        page.mouse.click(*where)
        page.get_by_role("heading", name=name).first.wait_for(timeout=60_000)
        wait_idle(page)
        return name

    open_row(0)
    assert "/inspect?v=" in page.url
    first = page.url
    page.go_back()
    page.get_by_role("heading", name="Catalogue overview").wait_for(timeout=60_000)
    wait_idle(page)
    assert page.url.endswith("/overview"), page.url
    open_row(1)
    assert "/inspect?v=" in page.url and page.url != first
    assert len(page.context.pages) == 1, [p.url for p in page.context.pages]


def test_a_phone_shows_the_open_cell_beside_the_name(browser, tmp_path):
    """At 390 px the File column, as wide as the longest name, took the table's whole width: the
    Open cell (and every other column) was reached only by swiping the grid sideways, with no hint
    that it was there. Names as catalogues give them, on an app of their own (the grid keeps a
    column's first width, so they must be there from the start)."""
    from core.store.database import open_store
    from core.store.intake import ingest_files

    root = tmp_path / "data"
    root.mkdir()
    store = open_store(root)
    files = []
    for i, name in enumerate(("madison/swatch_msj006c-red.webp", '=HYPERLINK("http:/evil.example","click").jpg')):
        buf = io.BytesIO()
        Image.fromarray(np.full((64, 48, 3), (150, 170 - 40 * i, 200), np.uint8)).save(buf, "JPEG")
        files.append((name, buf.getvalue()))
    ingest_files(store, files, merchant_id="phone-shop")
    store.dispose()
    with running_app(root) as base:
        ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        pg = ctx.new_page()
        sign_in(pg, base)
        wait_idle(pg)
        where = open_cell(pg, 0)
        shot(pg, "phone_overview_table")
        assert where is not None and where[0] < 390, where
        ctx.close()


def test_signed_out_visitor_only_gets_sign_in(browser, app):
    base, _ = app
    ctx = browser.new_context()
    pg = ctx.new_page()
    pg.goto(base + "/review")
    pg.get_by_role("textbox", name="Password").wait_for(timeout=60_000)
    assert pg.get_by_role("textbox", name="Password").count() == 1
    assert pg.get_by_role("heading", name="Review queue").count() == 0
    shot(pg, "sign_in")
    ctx.close()


def test_review_with_the_keyboard(page, app):
    from core.store.database import open_store
    from core.store.reviews import progress

    base, root = app
    goto(page, base, "/review", "Review queue")
    title = page.locator("h3").first.inner_text()
    store = open_store(root)
    before = progress(store, "admin")[0]
    page.get_by_role("heading", name="Review queue").click()  # focus the page, not an input
    page.keyboard.press("a")
    page.wait_for_function(
        f"() => !document.body.innerText.includes({title!r}) || document.body.innerText.includes('queue is empty')",
        timeout=60_000,
    )
    wait_idle(page)
    assert progress(store, "admin")[0] == before + 1
    shot(page, "review_after_keyboard")
    store.dispose()


def test_drag_the_before_after_divider(page, app):
    base, _ = app
    goto(page, base, "/optimize?v=17", "cup_underexposed.jpg")
    root = page.locator(".bac").first
    root.wait_for(timeout=60_000)
    box = root.bounding_box()
    assert box and box["width"] > 100
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.2, y, steps=8)
    page.mouse.up()
    pos = float(root.get_attribute("data-position"))
    assert 15 <= pos <= 25
    clip = page.locator(".bac img.before").first.evaluate("e => e.style.clipPath")
    assert "inset" in clip and "80" in clip
    wait_idle(page)
    shot(page, "optimize_divider_dragged")


def test_move_a_slider_and_the_preview_changes(page, app):
    base, _ = app
    goto(page, base, "/optimize?v=17", "cup_underexposed.jpg")
    page.get_by_role("button", name="Auto-fix").click()
    wait_idle(page)
    after = page.locator(".bac img.after").first
    before_src = after.get_attribute("src")
    slider = page.get_by_role("slider", name="Low percentile").first
    slider.focus()
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "(old) => { const e = document.querySelector('.bac img.after') || "
        "[...document.querySelectorAll('*')].map(n => n.shadowRoot).filter(Boolean)"
        ".map(r => r.querySelector('.bac img.after')).find(Boolean);"
        " return e && e.getAttribute('src') !== old; }",
        arg=before_src,
        timeout=60_000,
    )
    assert after.get_attribute("src") != before_src
    shot(page, "optimize_slider_moved")


def test_download_the_feedback_csv(page, app):
    from core.store.database import open_store
    from core.store.queries import list_images
    from core.store.reviews import decide

    base, root = app
    store = open_store(root)
    rec = list_images(store)[0]
    decide(
        store,
        version_id=rec.version_id,
        reviewer="rita",
        decision="rejected",
        reasons=["blurry"],
        comment="e2e-marker",
        profile="generic",
    )
    store.dispose()
    goto(page, base, "/feedback", "Reviewer feedback")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download these rows as CSV").click()
    path = info.value.path()
    text = Path(path).read_bytes().decode("utf-8-sig")
    assert "e2e-marker" in text and text.splitlines()[0].startswith("review_id,image_id")
    shot(page, "feedback")


def test_upload_files_and_see_a_verdict_for_each(page, app, tmp_path, photo):
    from tests.conftest import encode

    base, _ = app
    good = tmp_path / "new_product.png"
    good.write_bytes(encode(photo))
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not a real JPEG")
    goto(page, base, "/upload", "Upload images")
    page.get_by_role("textbox", name="Merchant id").fill("e2e-shop")
    page.locator("input[type=file]").first.set_input_files([str(good), str(broken)])
    page.get_by_text("new_product.png").first.wait_for(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Upload and score").click()
    try:
        page.get_by_text("1 added · 0 already uploaded · 1 refused").wait_for(timeout=60_000)
    finally:
        shot(page, "upload_results")
    wait_idle(page)
    shot(page, "upload_results")
    from core.store.database import open_store
    from core.store.queries import list_images

    store = open_store(app[1])
    assert [r.file_name for r in list_images(store, merchant_id="e2e-shop")] == ["new_product.png"]
    store.dispose()


def test_the_open_bulk_panel_follows_an_undo_by_key(page, app):
    """Keys rerun only the queue: the open "Approve in bulk" panel must still show what is left
    (after Z undid a bulk approval it said "Approve all 0 shown" until the page was reloaded)."""
    base, _ = app
    goto(page, base, "/review", "Review queue")
    page.get_by_text("Approve in bulk").click()
    start = page.get_by_role("button", name="Approve all ")
    start.wait_for(timeout=60_000)
    n = int(start.inner_text().split()[2])
    assert n > 0, "some sample images score 90+ with no issue"
    start.click()
    # 60 s like the waits around it: under the parallel suite's load the default 30 s ran out once.
    page.get_by_role("button", name=f"Yes, approve {n} images").click(timeout=60_000)
    page.get_by_role("button", name="Approve all 0 shown").wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_role("heading", name="Review queue").click()  # focus the page, not an input
    page.keyboard.press("z")
    page.get_by_role("button", name=f"Approve all {n} shown").wait_for(timeout=60_000)
    shot(page, "review_bulk_after_undo")
