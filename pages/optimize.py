"""Optimize: build a recipe step by step, see the result live, save or download it."""

import math
from pathlib import PurePath

import streamlit as st

from core.engine.assess import assess_array
from core.engine.autofix import auto_recipe
from core.engine.checks import format_value
from core.engine.compare import mean_color_difference, psnr, ssim, ssim_map, ssim_map_rgb
from core.engine.export_image import encode_image
from core.engine.operations import OPERATIONS
from core.engine.profiles import load_profile
from core.engine.recipe import Recipe, RecipeError, Step
from core.store.intake import save_optimized
from pages.common.charts import histogram_figure
from pages.common.compare_view import before_after
from pages.common.images import full_resolution, preview, preview_url
from pages.common.selection import selected_version
from pages.common.session import get_store, merchant_scope, profile_picker, require_role
from pages.common.text import plain

user = require_role("admin", "reviewer", "merchant")
scope = merchant_scope(user)
store = get_store()

with st.sidebar:
    profile = profile_picker()

record = selected_version(store, profile=profile, merchant_id=scope)

prof = load_profile(profile, search=(store.profiles_dir,))
STEPS_KEY = f"recipe_steps_{record.version_id}"


def _new_uid() -> int:
    st.session_state["_uid"] = st.session_state.get("_uid", 0) + 1
    return int(st.session_state["_uid"])


def _widget_key(uid: int, param: str) -> str:
    return f"p_{record.version_id}_{uid}_{param}"


def _set_steps(recipe: Recipe) -> None:
    st.session_state[STEPS_KEY] = [{"uid": _new_uid(), "op": s.op, "params": dict(s.params)} for s in recipe.steps]


def _current_recipe() -> Recipe:
    steps = []
    for item in st.session_state.get(STEPS_KEY, []):
        params = {spec.name: st.session_state.get(_widget_key(item["uid"], spec.name), item["params"].get(spec.name,
                                                                                                          spec.default))
                  for spec in OPERATIONS[item["op"]].specs}
        steps.append(Step(item["op"], params).validated())
    return Recipe(tuple(steps))


def _param_widget(uid: int, spec, value) -> None:  # type: ignore[no-untyped-def]
    key = _widget_key(uid, spec.name)
    if key not in st.session_state:
        st.session_state[key] = value
    if spec.kind == "choice":
        st.selectbox(spec.label, spec.choices, key=key, help=spec.help or None)
    elif spec.kind == "int":
        st.slider(spec.label, int(spec.min), int(spec.max), step=int(spec.step), key=key, help=spec.help or None)
    else:
        st.slider(spec.label, float(spec.min), float(spec.max), step=float(spec.step), key=key,
                  help=spec.help or None)


def _add_step() -> None:
    st.session_state[STEPS_KEY].append({"uid": _new_uid(), "op": st.session_state["add_op"], "params": {}})


def _auto_fix() -> None:
    geometry = bool(st.session_state.get("autofix_geometry", False))
    _set_steps(auto_recipe(record.metrics, record.issues, geometry=geometry))


def _clear() -> None:
    st.session_state[STEPS_KEY] = []


def _move(i: int, delta: int) -> None:
    steps = st.session_state[STEPS_KEY]
    steps[i], steps[i + delta] = steps[i + delta], steps[i]


def _remove(i: int) -> None:
    st.session_state[STEPS_KEY].pop(i)


def _load_recipe() -> None:
    up = st.session_state.get("recipe_upload")
    if up is None:
        return
    try:
        _set_steps(Recipe.from_json(up.getvalue().decode("utf-8", errors="replace")))
        st.session_state.pop("recipe_error", None)
    except RecipeError as exc:
        st.session_state["recipe_error"] = f"That recipe cannot be used: {exc}"


# Buttons change the recipe in callbacks, which run before the fragment reruns: the change
# shows at once without a full-page rerun.
@st.fragment
def recipe_builder() -> None:
    steps = st.session_state.setdefault(STEPS_KEY, [])
    pix = preview(record.sha256, record.blob_path)

    tools = st.columns([3, 1, 1, 1])
    tools[0].selectbox("Add a step", list(OPERATIONS), format_func=lambda n: f"{OPERATIONS[n].group}: "
                       f"{OPERATIONS[n].label}", key="add_op", label_visibility="collapsed")
    tools[1].button("Add step", icon=":material/add:", width="stretch", on_click=_add_step)
    tools[2].button("Auto-fix", icon=":material/auto_fix_high:", type="primary", width="stretch", on_click=_auto_fix,
                    help="Fill the recipe from the issues found under the selected profile")
    tools[3].button("Clear", icon=":material/delete_sweep:", width="stretch", on_click=_clear)
    st.toggle("Auto-fix may crop and pad (marketplace framing)", key="autofix_geometry")

    controls, view = st.columns([2, 3])
    with controls:
        if not steps:
            st.caption("The recipe is empty: add steps or press Auto-fix.")
        for i, item in enumerate(steps):
            op = OPERATIONS[item["op"]]
            with st.expander(f"{i + 1}. {op.label}", expanded=True):
                st.caption(op.description)
                for spec in op.specs:
                    _param_widget(item["uid"], spec, item["params"].get(spec.name, spec.default))
                b1, b2, b3 = st.columns(3)
                b1.button("Up", key=f"up_{item['uid']}", icon=":material/arrow_upward:", disabled=i == 0,
                          on_click=_move, args=(i, -1))
                b2.button("Down", key=f"dn_{item['uid']}", icon=":material/arrow_downward:",
                          disabled=i == len(steps) - 1, on_click=_move, args=(i, 1))
                b3.button("Remove", key=f"rm_{item['uid']}", icon=":material/close:", on_click=_remove, args=(i,))

    recipe = _current_recipe()
    try:
        result = recipe.apply(pix)
    except RecipeError as exc:  # too many steps, or a step that would make the image too large
        with view:
            st.error(f"This recipe cannot be applied: {exc}.")
        return
    with view:
        # Only the chosen view is computed: a slider move should not pay for the other three.
        mode = st.segmented_control("View", ["Before / after", "Side by side", "Difference (SSIM)", "Histograms"],
                                    default="Before / after", key="opt_view", label_visibility="collapsed")
        same_shape = result.shape == pix.shape
        if mode == "Side by side":
            a, b = st.columns(2)
            a.image(pix, caption="Before", width="stretch")
            b.image(result, caption="After", width="stretch")
        elif mode == "Difference (SSIM)":
            if same_shape:
                st.image(ssim_map_rgb(ssim_map(pix, result)), caption="White: unchanged · red: structure changed",
                         width="stretch")
            else:
                st.info("The recipe changes the framing (crop, pad or resize), so there is no pixel-by-pixel map.")
        elif mode == "Histograms":
            st.plotly_chart(histogram_figure(result, title="After (solid) vs before luma (dotted)", compare=pix),
                            key="opt_hist")
        else:
            before_after(pix, result, key=f"ba_{record.version_id}",
                         before_url=preview_url(record.sha256, record.blob_path))
        m = st.columns(4)
        if same_shape:
            m[0].metric("SSIM", f"{ssim(pix, result):.3f}")
            p = psnr(pix, result)
            m[1].metric("PSNR", "identical" if math.isinf(p) else f"{p:.1f} dB")
            m[2].metric("Colour change (ΔE2000)", f"{mean_color_difference(pix, result, max_side=256):.2f}")
        else:
            m[0].metric("SSIM", "n/a")
            m[1].metric("PSNR", "n/a")
            m[2].metric("Colour change (ΔE2000)", "n/a")
        sy, sx = result.shape[0] / pix.shape[0], result.shape[1] / pix.shape[1]
        after = assess_array(result, prof, width=max(1, round(record.width * sx)), height=max(1, round(record.height * sy)),
                             file_size=int(record.metrics.get("file_mb", 0) * 1e6))
        before_score = record.score if record.score is not None else math.nan
        m[3].metric("Score (estimated)", format_value(after.score), delta=f"{after.score - before_score:+.1f}")
        if after.issue_names:
            st.caption("Still flagged: " + ", ".join(after.issue_names))

    st.divider()
    s1, s2, s3, s4 = st.columns(4)
    stem = PurePath(record.file_name).stem

    def full_jpeg() -> bytes:
        return encode_image(recipe.apply(full_resolution(record.blob_path)), "JPEG", quality=92)

    s1.download_button("Download full resolution", data=full_jpeg, file_name=f"{stem}_optimized.jpg",
                       mime="image/jpeg", icon=":material/download:", on_click="ignore", disabled=not recipe.steps)
    label = "Submit fixed version for review" if user.role == "merchant" else "Save as new version"
    if s2.button(label, icon=":material/save:", type="primary", disabled=not recipe.steps):
        try:
            with st.spinner("Rendering at full resolution..."):
                new_id = save_optimized(store, record.version_id, recipe.apply(full_resolution(record.blob_path)),
                                        recipe, created_by=user.username, submit=True)
        except RecipeError as exc:
            st.error(f"This recipe cannot be applied at full resolution: {exc}.")
        else:
            st.success(f"Saved as version #{new_id}; it is in the review queue.")
            st.page_link("pages/inspect.py", label="Inspect the new version", query_params={"v": new_id})
    s3.download_button("Download recipe (JSON)", data=recipe.to_json(), file_name=f"{stem}_recipe.json",
                       mime="application/json", icon=":material/data_object:", on_click="ignore")
    with s4.popover("Load recipe", icon=":material/upload_file:"):
        st.file_uploader("Recipe JSON", type=["json"], key="recipe_upload")
        st.button("Use this recipe", on_click=_load_recipe)
        if st.session_state.get("recipe_error"):
            st.error(st.session_state["recipe_error"])


st.title(f"Optimize · {plain(record.file_name)}")
st.caption(f"Score {format_value(record.score or math.nan)} under {prof.title}. Issues: "
           f"{', '.join(record.issues) or 'none'}. The preview works on a copy of at most 1024 px; "
           "saving and downloading render at full resolution.")
recipe_builder()
