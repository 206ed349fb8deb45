import re

from streamlit.proto.Metric_pb2 import Metric

from core.engine.operations import OPERATIONS
from core.engine.recipe import MAX_OUTPUT_PIXELS, Recipe
from core.store.queries import list_images, versions_of
from tests.pages.conftest import ADMIN, MERCHANT, make_app, texts


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _add_steps(at, *ops):
    """Add each operation in turn, as a user does: choose it under "Add a step", press Add step."""
    for op in ops:
        next(s for s in at.selectbox if s.key == "add_op").set_value(op).run()
        _button(at, "Add step").click().run()


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_autofix_fills_recipe_and_save_stores_a_version(db):
    rec = next(r for r in list_images(db) if r.file_name == "cup_underexposed.jpg")
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    assert "The recipe is empty" in texts(at) and _metric(at, "SSIM") == "1.000"
    # The estimated score is what a merchant looks for first: it leads the figures.
    assert [m.label for m in at.metric][:2] == ["Score (estimated)", "SSIM"]
    estimate = next(m for m in at.metric if m.label == "Score (estimated)")
    # No change: a grey "+0.0" without an arrow, not a green arrow up.
    assert estimate.delta == "+0.0" and estimate.proto.color == Metric.MetricColor.GRAY
    assert estimate.proto.direction == Metric.MetricDirection.NONE
    assert "Still flagged: Too dark" in texts(at)  # issues in words, as everywhere else
    _button(at, "Auto-fix").click().run()
    assert not at.exception
    assert [e.label for e in at.expander][0] == "1. Contrast stretch"
    ssim_after = float(_metric(at, "SSIM"))
    assert ssim_after < 0.99  # the preview changed
    est = float(_metric(at, "Score (estimated)"))
    assert est > rec.score
    # Move a slider: the preview and the numbers follow.
    low = next(s for s in at.slider if s.label == "Low percentile")
    low.set_value(5.0).run()
    assert float(_metric(at, "SSIM")) != ssim_after
    _button(at, "Save as new version").click().run()
    assert not at.exception
    versions = versions_of(db, rec.image_id)
    assert [v.kind for v in versions] == ["original", "optimized"]
    saved = Recipe.from_json(versions[1].recipe_json)
    assert saved.steps[0].op == "contrast_stretch" and saved.steps[0].params["low"] == 5.0
    assert versions[1].width == rec.width  # rendered at full resolution, not the preview


def test_add_reorder_remove_steps(db):
    rec = list_images(db)[0]
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    _add_steps(at, "clahe", "unsharp_mask")
    assert [e.label for e in at.expander] == ["1. CLAHE (local contrast)", "2. Sharpen (unsharp mask)"]
    ups = [b for b in at.button if b.label == "Up"]
    ups[1].click().run()
    assert [e.label for e in at.expander] == ["1. Sharpen (unsharp mask)", "2. CLAHE (local contrast)"]
    [b for b in at.button if b.label == "Remove"][0].click().run()
    assert [e.label for e in at.expander] == ["1. CLAHE (local contrast)"]
    captions = [c.value for c in at.caption]
    assert OPERATIONS["clahe"].summary in captions  # in words for people, not the docstring
    assert not any("CIELAB" in c for c in captions)
    # every parameter of the step has a control generated from its spec
    assert {s.label for s in at.slider} >= {"Clip limit", "Tiles per side"}


def test_merchant_submits_a_fix_for_review(db):
    rec = next(r for r in list_images(db, merchant_id="acme-home") if "dark" in r.issues)
    at = make_app(MERCHANT, "pages/optimize.py", {"v": str(rec.version_id)})
    _button(at, "Auto-fix").click().run()
    _button(at, "Submit fixed version for review").click().run()
    assert not at.exception
    opt = versions_of(db, rec.image_id)[-1]
    assert opt.kind == "optimized"
    assert f"Saved as version #{opt.version_id} and submitted for review: it waits for a reviewer" in _shown(at)
    from core.store.reviews import next_in_queue

    seen = set()
    item = next_in_queue(db, "rita", order="oldest")
    while item is not None and item.version_id not in seen:
        seen.add(item.version_id)
        item = next_in_queue(db, "rita", order="oldest", skip=tuple(seen))
    assert opt.version_id in seen  # the submitted fix is in reviewers' queue


def test_slider_values_survive_visiting_another_image(db):
    """Streamlit drops a widget's value when the widget is not drawn; the step keeps it."""
    a, b = list_images(db)[:2]
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(a.version_id)})
    _add_steps(at, "contrast_stretch")
    next(s for s in at.slider if s.label == "Low percentile").set_value(4.0).run()
    at.query_params["v"] = str(b.version_id)
    at.run()
    assert "The recipe is empty" in texts(at)  # the other image has its own recipe
    at.query_params["v"] = str(a.version_id)
    at.run()
    assert not at.exception
    assert next(s for s in at.slider if s.label == "Low percentile").value == 4.0


def test_a_recipe_too_large_at_full_size_is_previewed_but_not_rendered(db):
    rec = list_images(db)[0]
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    _add_steps(at, "resize", "pad_square")  # a resize stays within the limit; a pad after it need not
    next(s for s in at.slider if s.label == "Long side (px)").set_value(5000).run()
    next(s for s in at.slider if s.label == "Extra margin").set_value(0.3).run()
    assert not at.exception and not at.error
    # 5000 px padded by 30% a side is 64 MP: the preview stays at preview size (it once made a
    # 64 MP preview), and the page says why nothing can be rendered.
    assert any("cannot be rendered at full resolution" in w.value and "64 MP" in w.value for w in at.warning)
    assert _button(at, "Save as new version").disabled
    assert "Use this recipe" in [b.label for b in at.button]  # loading another recipe is still offered


def test_moving_a_late_slider_does_not_denoise_again(db, monkeypatch):
    """Non-local means takes over a second on a preview: a sharpening slider after it must not pay
    for it again (each prefix of the recipe is kept)."""
    import dataclasses

    from core.engine.operations import OPERATIONS
    from pages.common.images import recipe_preview

    calls = []
    nlm = OPERATIONS["denoise_nlmeans"]

    def counted(rgb, params):
        calls.append(1)
        return nlm.func(rgb, params)

    monkeypatch.setitem(OPERATIONS, "denoise_nlmeans", dataclasses.replace(nlm, func=counted))
    recipe_preview.clear()
    rec = list_images(db)[0]
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    _add_steps(at, "denoise_nlmeans", "unsharp_mask")
    ssim_before = _metric(at, "SSIM")
    runs = len(calls)
    assert runs >= 1
    next(s for s in at.slider if s.label == "Amount").set_value(2.0).run()
    assert not at.exception and _metric(at, "SSIM") != ssim_before  # the preview followed the slider
    assert len(calls) == runs  # ... without denoising again


def _shown(at) -> str:
    """The visible text with merchant-safe escaping undone (see pages.common.text.plain)."""
    return re.sub(r"\\(.)", r"\1", texts(at)).replace("\u200b", "")


def test_saving_the_same_result_twice_stores_one_version(db):
    rec = next(r for r in list_images(db) if r.file_name == "cup_underexposed.jpg")
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    _add_steps(at, "resize")
    next(s for s in at.slider if s.label == "Long side (px)").set_value(1200).run()
    _button(at, "Save as new version").click().run()
    first = versions_of(db, rec.image_id)[-1]
    assert f"Saved as version #{first.version_id}" in texts(at)
    from core.store.reviews import decide

    decide(db, version_id=first.version_id, reviewer="rita", decision="rejected", reasons=["blurry"])
    _button(at, "Save as new version").click().run()
    assert not at.exception
    shown = _shown(at)
    assert f"Already saved as version #{first.version_id}" in shown and "nothing new was stored or submitted" in shown
    # Nor submitted again: it says what became of that version.
    assert f"Version #{first.version_id}: Rejected. Change the recipe to submit another fix" in shown
    assert [v.version_id for v in versions_of(db, rec.image_id)] == [rec.version_id, first.version_id]


def test_auto_fix_that_finds_nothing_to_do_says_why(db):
    rec = next(r for r in list_images(db) if r.file_name == "astronaut_portrait.png")
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    _button(at, "Auto-fix").click().run()
    assert not at.exception and not at.expander
    shown = _shown(at)
    assert "Auto-fix has nothing to change: Low resolution cannot be fixed by editing" in shown
    assert "upload a larger original" in shown and "The recipe is empty" not in shown
    # The note answers for the profile it was asked under: under another, auto-fix was not asked.
    at.sidebar.selectbox[0].set_value("amazon").run()
    assert "Auto-fix has nothing" not in _shown(at) and "The recipe is empty" in texts(at)
    at.sidebar.selectbox[0].set_value("generic").run()
    assert "Auto-fix has nothing to change" in _shown(at)
    _add_steps(at, "gamma")  # the note is about auto-fix's answer, not about the recipe from now on
    _button(at, "Remove").click().run()
    assert "The recipe is empty" in texts(at) and "Auto-fix has nothing" not in _shown(at)


def test_auto_fix_with_nothing_to_propose_keeps_the_steps_built_by_hand(db):
    """It replaced them with an empty recipe ("Your 1 step ... were replaced"; found in a browser
    walk-through); now they stay, and the note says why auto-fix left them."""
    rec = next(r for r in list_images(db) if r.file_name == "astronaut_portrait.png")
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    _add_steps(at, "gamma")
    _button(at, "Auto-fix").click().run()
    assert not at.exception and [e.label for e in at.expander][:1] == ["1. Gamma (power law)"]
    shown = _shown(at)
    assert "Auto-fix has nothing to change: Low resolution cannot be fixed by editing" in shown
    assert "Your steps are kept." in shown and not [b for b in at.button if b.label.startswith("Bring")]
    _add_steps(at, "clahe")  # the recipe changed: the note was about the one auto-fix saw
    assert "Your steps are kept" not in _shown(at)


def test_one_step_replaced_is_named_in_the_singular(db):
    rec = next(r for r in list_images(db) if r.file_name == "cup_underexposed.jpg")
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    _add_steps(at, "clahe")
    _button(at, "Auto-fix").click().run()
    assert any("Your step (CLAHE (local contrast)) was replaced." in c.value for c in at.caption)
    _button(at, "Bring it back").click().run()
    assert [e.label for e in at.expander][:1] == ["1. CLAHE (local contrast)"]


def test_the_resize_slider_stops_at_the_pixel_limit_and_says_so(db):
    def top(at):
        return int(next(s for s in at.slider if s.label == "Long side (px)").max)

    rec = next(r for r in list_images(db) if r.file_name == "cup_underexposed.jpg")  # square
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    _add_steps(at, "resize")
    square = top(at)
    assert 7000 < square <= 7071  # 50 MP as a square, not the 10000 px that was then refused
    assert f"Up to {square:,} px for this image" in texts(at)
    assert f"{MAX_OUTPUT_PIXELS / 1e6:g} MP limit" in texts(at)
    wide = next(r for r in list_images(db) if r.width > 1.4 * r.height)
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(wide.version_id)})
    _add_steps(at, "resize")
    assert top(at) > square  # a wide photo may have a longer long side
    _add_steps(at, "pad_square")
    [b for b in at.button if b.label == "Up"][1].click().run()  # pad to square first, then resize
    assert not at.exception and [e.label for e in at.expander] == ["1. Pad to square (white)", "2. Resize"]
    assert top(at) == square  # the limit follows the image the step is given


def test_a_recipe_that_blows_the_product_out_is_called_out(db):
    # The score judges the result alone, and a blown-out light product looks like a product on
    # white: the page compares with the original instead.
    rec = next(r for r in list_images(db) if r.file_name == "cup_on_white.jpg")
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    assert _metric(at, "Blown out") == "0% of product" and not at.warning
    _add_steps(at, "brightness_contrast")
    next(s for s in at.slider if s.label == "Contrast (gain a)").set_value(3.0).run()
    assert not at.exception
    blown = int(_metric(at, "Blown out").split("%")[0])
    assert blown >= 10
    assert any(f"blows out {blown}% of the product" in w.value for w in at.warning)


def test_auto_fix_over_hand_built_steps_can_be_taken_back(db):
    """Auto-fix (or Clear) replaces the whole recipe: the steps built by hand, with their slider
    values, come back with one click."""
    rec = next(r for r in list_images(db) if r.file_name == "cup_underexposed.jpg")
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    _add_steps(at, "clahe", "unsharp_mask")
    next(s for s in at.slider if s.label == "Amount").set_value(1.5).run()
    _button(at, "Auto-fix").click().run()
    assert [e.label for e in at.expander][:1] == ["1. Contrast stretch"]
    assert any(
        "Your 2 steps (CLAHE (local contrast), Sharpen (unsharp mask)) were replaced." in c.value for c in at.caption
    )
    _button(at, "Bring them back").click().run()
    assert [e.label for e in at.expander][:2] == ["1. CLAHE (local contrast)", "2. Sharpen (unsharp mask)"]
    assert next(s for s in at.slider if s.label == "Amount").value == 1.5
    assert not [b for b in at.button if b.label == "Bring them back"]
    _button(at, "Clear").click().run()
    _button(at, "Bring them back").click().run()
    assert len([e for e in at.expander if e.label[0].isdigit()]) == 2


def test_a_pad_to_square_keeps_the_figures_and_the_colour_warning(db):
    """A walkthrough's recipe: with Pad to square every figure read n/a and no warning showed,
    so an oversaturated fix with crushed shadows went out with an estimate of 99."""
    rec = next(r for r in list_images(db) if r.file_name == "cup_underexposed.jpg")
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    _add_steps(at, "contrast_stretch", "unsharp_mask", "saturation")
    for label, value in (("Low percentile", 14.0), ("Shadow level", 45.0), ("Amount", 2.1), ("Saturation", 2.1)):
        next(s for s in at.slider if s.label == label).set_value(value).run()
    assert not at.exception
    plain = {label: _metric(at, label) for label in ("SSIM", "PSNR", "Colour change (ΔE2000)", "Blown out")}
    warned = [w.value for w in at.warning if "changes the product's colours visibly" in w.value]
    assert len(warned) == 1 and "check that the product still looks like itself" in warned[0], warned
    _add_steps(at, "pad_square")
    assert not at.exception
    assert {label: _metric(at, label) for label in plain} == plain and "n/a" not in plain.values()
    assert [w.value for w in at.warning if "changes the product's colours visibly" in w.value] == warned
    assert any("measured before the crop, pad or resize" in c.value for c in at.caption)
    assert "Measured before" in next(m for m in at.metric if m.label == "SSIM").help
    # Grey levels are shown as whole numbers, not 0.00.
    assert next(s for s in at.slider if s.label == "Shadow level").proto.format == "%.0f"


def test_a_loaded_recipes_text_is_shown_as_text_never_as_markdown(db):
    from core.engine.recipe import RecipeError

    hostile = '{"steps": [{"op": "**bold** :red[RED] [click me](http://evil.example)", "params": {}}]}'
    try:
        Recipe.from_json(hostile)
    except RecipeError as exc:
        message = f"That recipe cannot be used: {exc}"  # what loading the file leaves for the page
    rec = list_images(db)[0]
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    at.session_state["recipe_error"] = message
    at.run()
    shown = next(e.value for e in at.error if "That recipe cannot be used" in e.value)
    assert "\\*\\*bold\\*\\*" in shown and "\\[click me\\]" in shown and ":red[" not in shown


def test_the_image_picker_search_opens_any_image_to_optimize(db):
    rec = next(r for r in list_images(db) if r.sku == "PST-203")
    at = make_app(ADMIN, "pages/optimize.py")
    next(t for t in at.text_input if t.label == "Find an image").input("pst-203").run()
    picker = next(s for s in at.selectbox if s.label == "Image")
    assert picker.options == [f"{rec.file_name} · lumen-studio · original · #{rec.version_id}"]
    assert "1 match, newest first." in texts(at)
    assert picker.value is None  # a search narrows the picker; the image open stays open
    picker.select_index(0).run()
    assert at.query_params["v"] == str(rec.version_id)
    assert next(s for s in at.selectbox if s.label == "Image").value == rec.version_id
    # a link with a search that does not hold it: the linked image stays open, the picker offers the matches
    other = next(r for r in list_images(db) if r.file_name == "cup_on_white.jpg")
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(other.version_id)})
    next(t for t in at.text_input if t.label == "Find an image").input("pst-203").run()
    picker = next(s for s in at.selectbox if s.label == "Image")
    assert picker.value is None and len(picker.options) == 1
    # Seen in a browser probe: the image below looked like the search's result.
    assert "Still showing cup\\_on\\_white\\.jpg, which does not match the search" in texts(at)
    picker.select_index(0).run()
    assert at.query_params["v"] == str(rec.version_id) and not at.exception
    assert "Still showing" not in texts(at)


def test_a_control_that_does_nothing_is_disabled_and_says_why(db):
    """Seen in a browser probe: after Auto-fix set Low percentile to 0, moving Shadow level changed
    nothing, and only its tooltip said why."""
    rec = next(r for r in list_images(db) if r.file_name == "cup_underexposed.jpg")
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    _add_steps(at, "contrast_stretch")
    shadow = next(s for s in at.slider if s.label == "Shadow level")
    assert not shadow.disabled and not any("Not used while" in c.value for c in at.caption)
    next(s for s in at.slider if s.label == "Low percentile").set_value(0.0).run()
    assert next(s for s in at.slider if s.label == "Shadow level").disabled
    assert "Not used while Low percentile is 0." in [c.value for c in at.caption]
    next(s for s in at.slider if s.label == "Low percentile").set_value(1.0).run()
    assert not next(s for s in at.slider if s.label == "Shadow level").disabled


def test_the_step_picker_names_each_step_once(db):
    """Found by a browser probe: the picker read "Noise: Denoise: median"."""
    rec = list_images(db)[0]
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})
    options = next(s for s in at.selectbox if s.key == "add_op").options
    assert len(options) == len(OPERATIONS)
    assert "Denoise: median" in options and "Tone: Gamma (power law)" in options
    assert not [o for o in options if o.count(":") > 1]


def test_an_empty_recipe_cannot_be_downloaded(db):
    rec = list_images(db)[0]
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(rec.version_id)})

    def download():  # type: ignore[no-untyped-def]
        return next(e for e in at.get("download_button") if e.proto.label == "Download recipe (JSON)")

    assert download().proto.disabled  # nothing to reuse yet
    _add_steps(at, "clahe")
    assert not download().proto.disabled
