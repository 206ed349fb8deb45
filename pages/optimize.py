"""Optimize: build a recipe step by step, see the result live, save or download it."""

import math
from pathlib import PurePath

import numpy as np
import streamlit as st

from core.engine.recipe import Recipe, RecipeError
from core.engine.wording import format_score
from core.services.access import merchant_scope, roles_for
from core.services.catalog import review_state
from core.services.optimize import (
    difference_image,
    estimate_score,
    full_size_problem,
    measured_part,
    preview_recipe,
    propose_fix,
    render_jpeg,
    resize_limit,
    save_fixed_version,
    similarity,
)
from core.services.profiles import get_profile
from core.vocabulary import ANALYSIS_LONG_SIDE, issue_labels
from pages.common.charts import histogram_figure
from pages.common.compare_view import before_after
from pages.common.images import preview, preview_url, recipe_preview
from pages.common.recipe_editor import RecipeEditor
from pages.common.selection import selected_version
from pages.common.session import get_store, profile_picker, require_role, still_signed_in
from pages.common.text import plain

user = require_role(*roles_for("optimize"))
store = get_store()
with st.sidebar:
    profile = profile_picker()
record = selected_version(store, profile=profile, merchant_id=merchant_scope(user), role=user.role, title="Optimize")
prof = get_profile(store, profile)


def _on_preview(recipe: Recipe) -> str:
    """``recipe`` as it runs on the preview (a resize keeps the preview's size), as JSON."""
    return preview_recipe(record, recipe, preview=preview(record.sha256, record.blob_path)).to_json()


def _resize_limit(before: Recipe) -> int | None:
    """The Resize slider's end after the steps ``before`` it (their result is the cached preview prefix)."""
    try:
        return resize_limit(recipe_preview(record.sha256, record.blob_path, _on_preview(before)).shape)
    except RecipeError:
        return None  # the steps before already fail; the page says so below


editor = RecipeEditor(
    record.version_id,
    auto_fix=lambda geometry: propose_fix(record, profile=prof, geometry=geometry),
    resize_limit=_resize_limit,
    scope=profile,  # what auto-fix finds depends on the profile's checks
)


@st.fragment
def recipe_builder() -> None:
    still_signed_in()  # a fragment rerun skips the router: check the session here
    pix = preview(record.sha256, record.blob_path)
    editor.toolbar()
    # Above the columns, not in the preview's: four views fit on one line at 800 px too.
    # Only the chosen view is computed: a slider move should not pay for the other three.
    mode = st.segmented_control(
        "View",
        ["Before/after", "Side by side", "SSIM map", "Histograms"],
        default="Before/after",
        key="opt_view",
        label_visibility="collapsed",
    )
    controls, view = st.columns([2, 3])
    with controls:
        editor.step_controls()
    recipe = editor.recipe()
    try:
        result = recipe_preview(record.sha256, record.blob_path, _on_preview(recipe))
    except RecipeError as exc:  # too many steps, or a step that would make the image too large
        view.error(f"This recipe cannot be applied: {plain(exc)}.")
        actions(recipe, pix, None)  # still offer loading another recipe and downloading this one
        return
    # The full-reference figures compare pixels with the original's, which a crop, pad or resize
    # no longer match: they are measured on the recipe without those steps (cached like the rest).
    part = measured_part(recipe)
    compared = result if part is recipe else recipe_preview(record.sha256, record.blob_path, _on_preview(part))
    framing = " (measured before the crop, pad or resize)" if recipe.changes_geometry else ""
    with view:
        if mode == "Side by side":
            a, b = st.columns(2)
            a.image(pix, caption="Before", width="stretch")
            b.image(result, caption="After", width="stretch")
        elif mode == "SSIM map":
            diff = difference_image(pix, compared)
            if diff is None:
                st.info("There is no pixel-by-pixel map for this recipe.")
            else:
                st.image(diff, caption=f"White: unchanged · red: structure changed{framing}", width="stretch")
        elif mode == "Histograms":
            st.plotly_chart(
                histogram_figure(result, title="After (solid) vs before luma (dotted)", compare=pix), key="opt_hist"
            )
        else:
            before_after(
                pix, result, key=f"ba_{record.version_id}", before_url=preview_url(record.sha256, record.blob_path)
            )
        # A wrapping row: each metric as wide as its text (never cut), the row breaks where it must.
        m = st.container(horizontal=True, gap="large")
        # The score first: whether the fix makes the image pass is what a merchant looks for; the
        # figures after it say what the fix costs in fidelity.
        estimate = estimate_score(record, preview=pix, result=result, profile=prof, recipe=recipe)
        change = estimate.shown_change
        unchanged = change in ("+0.0", "-0.0")  # no gain: a grey delta without an arrow, not a green one up
        m.metric(
            "Score (estimated)",
            format_score(estimate.score),
            delta=change,
            delta_color="off" if unchanged else "normal",
            delta_arrow="off" if unchanged else "auto",
            width="content",
        )
        sim = similarity(pix, compared, before_framing=recipe.changes_geometry)
        before_crop = (
            " Measured before the recipe's crop, pad or resize, whose pixels no longer line up with the original's."
            if recipe.changes_geometry
            else ""
        )
        m.metric(
            "SSIM",
            "n/a" if sim is None else f"{sim.ssim:.3f}",
            help="Structural similarity to the original: 1 is the same picture." + before_crop,
            width="content",
        )
        m.metric(
            "PSNR",
            "n/a" if sim is None else "identical" if math.isinf(sim.psnr) else f"{sim.psnr:.1f} dB",
            help="Peak signal-to-noise ratio against the original: higher is closer." + before_crop,
            width="content",
        )
        m.metric(
            "Colour change (ΔE2000)",
            "n/a" if sim is None else f"{sim.delta_e:.2f}",
            help="Mean CIEDE2000 difference from the original over the whole picture; about 1 is just visible. "
            "It includes brightness: fixing an exposure changes it a lot without changing the product's colours."
            + before_crop,
            width="content",
        )
        m.metric(
            "Blown out",
            "n/a" if sim is None or math.isnan(sim.blown_out) else f"{sim.blown_out:.0%} of product",
            help="Share of the product that had detail before and is pushed to pure white or to a full "
            "colour channel by this recipe: detail there is lost for good." + before_crop,
            width="content",
        )
        if recipe.changes_geometry:
            st.caption("SSIM, PSNR, colour change and blown out are measured before the crop, pad or resize.")
        if estimate.still_flagged:
            st.caption("Still flagged: " + ", ".join(issue_labels(estimate.still_flagged)))
        if estimate.duplicate_left_out:
            st.caption(
                "The estimate leaves out this upload's duplicate finding, as a saved fix is scored: "
                "duplicates are judged on uploads, and the original keeps its finding. The change "
                f"{estimate.shown_change} is the recipe's own, counted from {format_score(estimate.compared_with)} "
                f"(the original without that finding; {format_score(estimate.before)} with it)."
            )
        # The score judges the result alone: it cannot see either harm below.
        if sim is not None and sim.blows_out:
            # A blown-out light product looks like a product on white.
            st.warning(
                f"This recipe blows out {sim.blown_out:.0%} of the product: those parts lose all detail "
                "(pushed to pure white or to a full colour channel). The estimated score cannot see this, "
                "as it judges the result alone. Lower the contrast, brightness or gain."
            )
        if sim is not None and sim.shifts_colours:
            # Shoppers return a product that arrives in another colour than its photo showed.
            st.warning(
                f"This recipe changes the product's colours visibly (ΔE2000 {sim.colour_shift:.1f} on the "
                "product, beyond what brightness, contrast and white balance change): check that the product "
                "still looks like itself: shoppers return an item that arrives in another colour. "
                "Check the saturation, white balance and local contrast steps."
            )
    actions(recipe, pix, result)


def actions(recipe: Recipe, pix: np.ndarray, result: np.ndarray | None) -> None:
    """Download, save, and the recipe file; rendering is offered only for a recipe that applies
    (``result`` is None when it does not)."""
    st.divider()
    # One wrapping row of buttons, each as wide as its label (a long label is never cut off).
    s1 = s2 = s3 = s4 = st.container(horizontal=True)
    stem = PurePath(record.file_name).stem
    usable = bool(recipe.steps) and result is not None
    too_big = (
        full_size_problem(record, preview=pix, result=result, recipe=recipe)
        if result is not None and recipe.steps
        else None
    )
    if too_big:  # the preview is reduced, so only the full-size render would fail: say so before it
        st.warning(f"This recipe cannot be rendered at full resolution: {too_big}.")
    s1.download_button(
        "Download full resolution",
        data=lambda: render_jpeg(store, record, recipe),
        file_name=f"{stem}_optimized.jpg",
        mime="image/jpeg",
        icon=":material/download:",
        on_click="ignore",
        disabled=not usable or too_big is not None,
        help=f"Not available: {too_big}." if too_big else None,
    )
    label = "Submit fixed version for review" if user.role == "merchant" else "Save as new version"
    if s2.button(
        label,
        icon=":material/save:",
        type="primary",
        disabled=not usable or too_big is not None,
        help=f"Not available: {too_big}." if too_big else None,
    ):
        try:
            with st.spinner("Rendering at full resolution..."):
                saved = save_fixed_version(store, record, recipe, created_by=user.username)
        except RecipeError as exc:
            st.error(f"This recipe cannot be applied at full resolution: {plain(exc)}.")
        else:
            if saved.created:
                st.success(
                    f"Saved as version #{saved.version_id} and submitted for review: it waits for a reviewer, "
                    "and Inspect shows what they decide."
                )
            else:  # a second press, or another recipe that gives the same image: nothing new stored
                # Nor submitted again: say where that version stands (it may be rejected already).
                state = review_state(store, saved.version_id, viewer_role=user.role)
                status = f" Version #{saved.version_id}: {state.label}." if state is not None else ""
                if state is not None and state.status in ("rejected", "needs_changes"):
                    status += " Change the recipe to submit another fix; Inspect shows the reviewer's reasons."
                st.info(
                    f"Already saved as version #{saved.version_id}: this result is identical, so nothing new was "
                    f"stored or submitted.{status}"
                )
            link = "Inspect the new version" if saved.created else f"Inspect version #{saved.version_id}"
            # With the Inspect page's icon: without one Streamlit draws a page link as plain text.
            st.page_link("pages/inspect.py", label=link, icon=":material/search:", query_params={"v": saved.version_id})
    s3.download_button(
        "Download recipe (JSON)",
        data=recipe.to_json(),
        file_name=f"{stem}_recipe.json",
        mime="application/json",
        icon=":material/data_object:",
        on_click="ignore",
        disabled=not recipe.steps,  # an empty recipe holds nothing to reuse
    )
    with s4.popover("Load recipe", icon=":material/upload_file:"):
        editor.load_control()


# The name on a line of its own, smaller: a phone's title line breaks a file name mid-word.
st.subheader(plain(record.shown_name), anchor=False)
st.caption(
    f"Score {format_score(record.score)} under {prof.title}. Issues: "
    f"{', '.join(issue_labels(record.issues)) or 'none'}. The preview works on a copy of at most {ANALYSIS_LONG_SIDE} px; "
    "saving and downloading render at full resolution."
)
recipe_builder()
