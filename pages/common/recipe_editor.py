"""The recipe builder's controls: add, reorder and remove steps, a control for every parameter
(generated from the operation's declared specs), auto-fix and loading a recipe file.

The steps live in the session (per image version); buttons change them in callbacks, which run
before the fragment reruns, so a change shows at once without a full-page rerun.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core.engine.operations import OPERATIONS, ParamSpec
from core.engine.recipe import MAX_OUTPUT_PIXELS, Recipe, RecipeError, Step
from core.engine.wording import operation_labels
from core.services.optimize import AutoFix
from pages.common.text import plain

__all__ = ["RecipeEditor"]


def picker_label(op: str) -> str:
    """How the step picker names an operation: its group, then its label ("Tone: Gamma (power
    law)"), except where the label names its own family ("Denoise: median", not "Noise: Denoise:
    median")."""
    spec = OPERATIONS[op]
    return spec.label if ":" in spec.label else f"{spec.group}: {spec.label}"


class RecipeEditor:
    """The recipe being built for one image version."""

    def __init__(
        self,
        version_id: int,
        *,
        auto_fix: Callable[[bool], AutoFix],
        resize_limit: Callable[[Recipe], int | None] | None = None,
        scope: str = "",
    ) -> None:
        """``resize_limit`` gives the largest long side a Resize step may take after the steps
        before it (None when unknown); its slider stops there. ``scope`` is what auto-fix's answer
        depends on besides the image (the profile): its "nothing to change" note is kept per scope."""
        self.version_id = version_id
        self._auto_fix = auto_fix
        self._resize_limit = resize_limit
        self._key = f"recipe_steps_{version_id}"
        self._note_key = f"autofix_note_{version_id}_{scope}"
        self._kept_key = f"autofix_kept_{version_id}_{scope}"
        self._replaced_key = f"recipe_replaced_{version_id}"

    @property
    def steps(self) -> list[dict[str, Any]]:
        return st.session_state.setdefault(self._key, [])  # type: ignore[no-any-return]

    def recipe(self) -> Recipe:
        """The steps with the controls' current values, each validated once."""
        return Recipe(tuple(self._step(item) for item in self.steps))

    def _step(self, item: dict[str, Any]) -> Step:
        return Step(
            item["op"],
            {
                spec.name: st.session_state.get(
                    self._widget_key(item["uid"], spec.name), item["params"].get(spec.name, spec.default)
                )
                for spec in OPERATIONS[item["op"]].specs
            },
        ).validated()

    def toolbar(self) -> None:
        # A row that wraps: at 800 px the buttons move under the picker instead of shrinking to "A..".
        with st.container(horizontal=True, vertical_alignment="bottom"):
            st.selectbox(
                "Add a step",
                list(OPERATIONS),
                format_func=picker_label,
                key="add_op",
                label_visibility="collapsed",
                width=320,
            )
            st.button("Add step", icon=":material/add:", on_click=self._add)
            st.button(
                "Auto-fix",
                icon=":material/auto_fix_high:",
                type="primary",
                on_click=self._fill_from_auto_fix,
                help="Fill the recipe from the issues found under the selected profile",
            )
            st.button("Clear", icon=":material/delete_sweep:", on_click=self._clear)
        st.toggle("Auto-fix may crop and pad (marketplace framing)", key="autofix_geometry")

    def step_controls(self) -> None:
        replaced: Recipe | None = st.session_state.get(self._replaced_key)
        if replaced is not None:  # a whole recipe was replaced or cleared: one click takes it back
            n = len(replaced.steps)
            with st.container(horizontal=True, vertical_alignment="center"):
                your = "Your step" if n == 1 else f"Your {n} steps"
                st.caption(
                    f"{your} ({operation_labels(s.op for s in replaced.steps)}) {'was' if n == 1 else 'were'} replaced."
                )
                st.button(
                    "Bring it back" if n == 1 else "Bring them back",
                    icon=":material/undo:",
                    on_click=self._restore,
                    key="recipe_restore",
                )
        steps = self.steps
        kept = st.session_state.get(self._kept_key)
        if steps and kept == [item["uid"] for item in steps] and (note := st.session_state.get(self._note_key)):
            st.info(f"{plain(note)} Your steps are kept.", icon=":material/info:")  # until the recipe changes
        if not steps:
            note = st.session_state.get(self._note_key)
            if note:  # Auto-fix was pressed and found nothing it can do: say why, not just "empty"
                st.info(plain(note), icon=":material/info:")
            else:
                st.caption("The recipe is empty: add steps or press Auto-fix.")
        for i, item in enumerate(steps):
            op = OPERATIONS[item["op"]]
            with st.expander(f"{i + 1}. {op.label}", expanded=True):
                st.caption(op.summary)
                labels = {s.name: s.label for s in op.specs}
                for spec in op.specs:
                    top = self._top(i, item, spec)
                    idle = self._unused(item, spec)
                    self._param_widget(
                        item["uid"], spec, item["params"].get(spec.name, spec.default), top=top, disabled=idle
                    )
                    if idle and spec.unused_when is not None:
                        other, value = spec.unused_when
                        st.caption(f"Not used while {labels[other]} is {value:g}.")
                    if top is not None:
                        st.caption(
                            f"Up to {top:,} px for this image: a larger one would pass the "
                            f"{MAX_OUTPUT_PIXELS / 1e6:g} MP limit."
                        )
                # Wraps rather than cutting a label ("Re..." in a third of the card at 1280 px).
                with st.container(horizontal=True, gap="small"):
                    st.button(
                        "Up",
                        key=f"up_{item['uid']}",
                        icon=":material/arrow_upward:",
                        disabled=i == 0,
                        on_click=self._move,
                        args=(i, -1),
                    )
                    st.button(
                        "Down",
                        key=f"dn_{item['uid']}",
                        icon=":material/arrow_downward:",
                        disabled=i == len(steps) - 1,
                        on_click=self._move,
                        args=(i, 1),
                    )
                    st.button(
                        "Remove", key=f"rm_{item['uid']}", icon=":material/close:", on_click=self._remove, args=(i,)
                    )

    def load_control(self) -> None:
        # A recipe is a few hundred bytes: 1 MB, not the server's limit for photos.
        st.file_uploader("Recipe JSON", type=["json"], key="recipe_upload", max_upload_size=1)
        st.button("Use this recipe", on_click=self._load)
        if st.session_state.get("recipe_error"):
            st.error(plain(st.session_state["recipe_error"]))  # quotes the file: text, not Markdown

    # --- state changes (callbacks) ------------------------------------------------------------

    def _widget_key(self, uid: int, param: str) -> str:
        return f"p_{self.version_id}_{uid}_{param}"

    @staticmethod
    def _new_uid() -> int:
        st.session_state["_uid"] = st.session_state.get("_uid", 0) + 1
        return int(st.session_state["_uid"])

    def _set(self, recipe: Recipe) -> None:
        st.session_state[self._key] = [
            {"uid": self._new_uid(), "op": s.op, "params": dict(s.params)} for s in recipe.steps
        ]

    def _top(self, i: int, item: dict[str, Any], spec: ParamSpec) -> int | None:
        """The Resize slider's end for this image when the pixel limit comes before the spec's
        maximum (None otherwise): the limit is shown before it is hit, not after."""
        if item["op"] != "resize" or spec.name != "long_side" or self._resize_limit is None:
            return None
        try:
            before = Recipe(tuple(self._step(s) for s in self.steps[:i]))
        except RecipeError:
            return None
        top = self._resize_limit(before)
        return top if top is not None and top < (spec.max or 0) else None

    def _unused(self, item: dict[str, Any], spec: ParamSpec) -> bool:
        """Whether ``spec`` has no effect with the step's other values as they stand (the controls
        above it are drawn first, so their keys hold what is on screen)."""
        if spec.unused_when is None:
            return False
        other, value = spec.unused_when
        default = next((s.default for s in OPERATIONS[item["op"]].specs if s.name == other), None)
        current = st.session_state.get(self._widget_key(item["uid"], other), item["params"].get(other, default))
        return bool(current == value)

    def _param_widget(
        self, uid: int, spec: ParamSpec, value: Any, *, top: int | None = None, disabled: bool = False
    ) -> None:
        key = self._widget_key(uid, spec.name)
        if key not in st.session_state:
            st.session_state[key] = value
        if top is not None and st.session_state[key] > top:
            # A loaded recipe or an earlier step (a crop, a pad) can put the value past the end.
            st.session_state[key] = top
            self._remember(uid, spec.name)
        # Streamlit forgets a widget's value once it is not drawn (another image was picked), so
        # every change is also written into the step, which seeds the control when it returns.
        keep = {
            "key": key,
            "help": spec.help or None,
            "on_change": self._remember,
            "args": (uid, spec.name),
            "disabled": disabled,
        }
        if spec.kind == "choice":
            st.selectbox(spec.label, spec.choices, **keep)
        elif spec.kind == "int":
            end = int(spec.max or 0) if top is None else top
            st.slider(spec.label, int(spec.min or 0), end, step=int(spec.step or 1), **keep)
        else:
            st.slider(
                spec.label,
                float(spec.min or 0.0),
                float(spec.max or 0.0),
                step=float(spec.step or 0.01),
                format=spec.format,
                **keep,
            )

    def _remember(self, uid: int, param: str) -> None:
        for item in self.steps:
            if item["uid"] == uid:
                item["params"][param] = st.session_state[self._widget_key(uid, param)]

    def _add(self) -> None:
        st.session_state.pop(self._note_key, None)
        st.session_state.pop(self._replaced_key, None)  # building on the new recipe: it is kept
        self.steps.append({"uid": self._new_uid(), "op": st.session_state["add_op"], "params": {}})

    def _keep_for_undo(self) -> None:
        """Keep the steps as they are now (with their sliders' values) before they are replaced."""
        try:
            current = self.recipe()
        except RecipeError:
            current = Recipe(())
        if current.steps:
            st.session_state[self._replaced_key] = current
        else:
            st.session_state.pop(self._replaced_key, None)

    def _restore(self) -> None:
        replaced = st.session_state.pop(self._replaced_key, None)
        if replaced is not None:
            st.session_state.pop(self._note_key, None)
            self._set(replaced)

    def _fill_from_auto_fix(self) -> None:
        proposal = self._auto_fix(bool(st.session_state.get("autofix_geometry", False)))
        st.session_state[self._note_key] = proposal.note
        if not proposal.recipe.steps and self.steps:
            # Nothing to propose: an empty recipe in place of the steps built by hand helps no
            # one. They stay, and the note says why auto-fix left them.
            st.session_state[self._kept_key] = [item["uid"] for item in self.steps]
            return
        st.session_state.pop(self._kept_key, None)
        self._keep_for_undo()
        self._set(proposal.recipe)

    def _clear(self) -> None:
        self._keep_for_undo()
        st.session_state.pop(self._note_key, None)
        st.session_state[self._key] = []

    def _move(self, i: int, delta: int) -> None:
        steps = self.steps
        steps[i], steps[i + delta] = steps[i + delta], steps[i]

    def _remove(self, i: int) -> None:
        self.steps.pop(i)

    def _load(self) -> None:
        up = st.session_state.get("recipe_upload")
        if up is None:
            return
        try:
            loaded = Recipe.from_json(up.getvalue().decode("utf-8", errors="replace"))
            self._keep_for_undo()
            self._set(loaded)
            st.session_state.pop("recipe_error", None)
            st.session_state.pop(self._note_key, None)
        except RecipeError as exc:
            st.session_state["recipe_error"] = f"That recipe cannot be used: {exc}"
