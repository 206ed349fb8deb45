"""Recipes: an ordered list of optimization steps, saved and loaded as JSON."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.engine.loading import DEFAULT_MAX_PIXELS
from core.engine.operations import OPERATIONS, apply_operation

__all__ = [
    "MAX_OUTPUT_PIXELS",
    "MAX_STEPS",
    "RECIPE_VERSION",
    "Recipe",
    "RecipeError",
    "Step",
    "max_resize_long_side",
]

RECIPE_VERSION = 1
#: A recipe has at most this many steps, and no step may make an image larger than MAX_OUTPUT_PIXELS.
MAX_STEPS = 24
MAX_OUTPUT_PIXELS = DEFAULT_MAX_PIXELS


def _output_pixels(op: str, params: dict[str, Any], shape: tuple[int, ...]) -> int:
    """Pixels a step will produce from an image of ``shape`` (only steps that can enlarge matter)."""
    h, w = int(shape[0]), int(shape[1])
    if op == "resize":
        f = float(params.get("long_side", max(h, w))) / max(1, h, w)
        return max(1, round(w * f)) * max(1, round(h * f))
    if op == "pad_square":
        side = int(round(max(h, w) * (1.0 + 2.0 * float(params.get("margin", 0.0)))))
        return side * side
    return h * w


def max_resize_long_side(shape: tuple[int, ...], *, max_pixels: int = MAX_OUTPUT_PIXELS) -> int:
    """The largest ``long_side`` a resize step may take on an image of ``shape`` without making
    more than ``max_pixels`` pixels (the long side is absolute, so only the aspect ratio matters)."""
    h, w = max(1, int(shape[0])), max(1, int(shape[1]))
    side = math.isqrt(max_pixels * max(h, w) // min(h, w))
    # Counted as apply() counts (rounding the short side), so the answer is never refused there.
    while side > 1 and _output_pixels("resize", {"long_side": side}, (h, w)) > max_pixels:
        side -= 1
    while _output_pixels("resize", {"long_side": side + 1}, (h, w)) <= max_pixels:
        side += 1
    return side


class RecipeError(ValueError):
    """A recipe is malformed: bad JSON, unknown operation, bad parameter."""


@dataclass(frozen=True, slots=True)
class Step:
    """One operation with its parameter values (missing ones take the defaults).

    :meth:`validated` checks the values once and keeps the operation's parameter object, so
    applying the step does not check them again (a slider move validates each step once).
    """

    op: str
    params: dict[str, Any] = field(default_factory=dict)
    prepared: Any = field(default=None, compare=False, repr=False, kw_only=True)

    def validated(self) -> Step:
        """This step with every parameter checked and filled in; :class:`RecipeError` names a bad one."""
        if self.prepared is not None:
            return self
        if self.op not in OPERATIONS:
            raise RecipeError(f"unknown operation '{self.op}' (known: {', '.join(OPERATIONS)})")
        try:
            made = OPERATIONS[self.op].make_params(self.params)
        except ValueError as exc:
            raise RecipeError(str(exc)) from exc
        return Step(self.op, {s.name: getattr(made, s.name) for s in OPERATIONS[self.op].specs}, prepared=made)

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        """Run the step (validating its parameters first unless :meth:`validated` already did)."""
        if self.prepared is None:
            return apply_operation(rgb, self.op, self.params)
        return OPERATIONS[self.op].run(rgb, self.prepared)


@dataclass(frozen=True, slots=True)
class Recipe:
    """Ordered steps; :meth:`apply` runs them in order on an RGB uint8 image."""

    steps: tuple[Step, ...] = ()

    @property
    def changes_geometry(self) -> bool:
        return any(OPERATIONS[s.op].geometry for s in self.steps)

    def without_geometry(self) -> Recipe:
        """This recipe's tone, colour, noise and detail steps, in their order, without its crops,
        pads and resizes: what a full-reference comparison with the original can measure, as
        its output's pixels still correspond to the original's.

        Exactly the recipe's pixels before the framing when every geometry step comes last (as
        auto-fix orders them). A step after a crop or resize that reads statistics of the whole
        image (a contrast stretch's percentiles, a white balance's reference, equalization, the
        backdrop whitening finds) reads them here on the unframed image, so it may pick slightly
        different levels than in the recipe; pads are already left out of those statistics (see
        :func:`core.engine.measures.photo_region`). Measuring the framed prefix on both sides
        instead would compare white pads with white pads (inflating SSIM, diluting Delta E) and
        still not give later crops a pixel-by-pixel answer.
        """
        return Recipe(tuple(s for s in self.steps if not OPERATIONS[s.op].geometry))

    def apply(self, rgb: np.ndarray, *, max_pixels: int = MAX_OUTPUT_PIXELS, start: int = 0) -> np.ndarray:
        """Run the steps in order. Raises :class:`RecipeError` before any step that would make
        the image larger than ``max_pixels``, or if there are more than MAX_STEPS steps.

        With ``start`` (keyword-only), ``rgb`` is already the result of the first ``start`` steps
        (a kept intermediate, so that changing a late step does not run the early ones again):
        only the rest run, numbered as in the whole recipe.
        """
        if len(self.steps) > MAX_STEPS:
            raise RecipeError(f"a recipe has at most {MAX_STEPS} steps (this one has {len(self.steps)})")
        if not 0 <= start <= len(self.steps):
            raise ValueError(f"start must be within 0-{len(self.steps)}, not {start}")
        out = rgb
        for i, step in enumerate(self.steps[start:], start + 1):
            n = _output_pixels(step.op, step.params, out.shape)
            if n > max_pixels:
                raise RecipeError(
                    f"step {i} ({step.op}) would make a {n / 1e6:.0f} MP image; the limit is {max_pixels / 1e6:g} MP"
                )
            out = step.apply(out)
        return out if self.steps[start:] else rgb.copy()

    def on_reduced_copy(self, *, scale: float, max_side: int) -> tuple[Recipe, float]:
        """This recipe as it runs on a copy of the image reduced by ``scale`` (0-1, the copy's long
        side over the image's), and the reduction of that copy's result against the full-size one.

        Crops and pads work in fractions of the image, so they act on the copy as they would on the
        image. A resize sets an absolute long side: on the copy it sets that side times the
        reduction, never more than ``max_side`` px (nor less than the operation's 64 px), so a
        7000-px resize does not turn a 1024-px preview into a 37 MP one. The reduction after each
        resize is what the copy's side is to the side the full-size image gets.
        """
        (spec,) = OPERATIONS["resize"].specs  # its one parameter, long_side
        steps: list[Step] = []
        for step in self.steps:
            if step.op == "resize":
                side = int(step.params.get("long_side", spec.default))
                small = min(side, max_side, max(int(spec.min or 1), round(side * scale)))
                scale = small / side
                step = Step("resize", {**step.params, "long_side": small})
            steps.append(step)
        return Recipe(tuple(steps)), scale

    def to_dict(self) -> dict[str, Any]:
        return {"version": RECIPE_VERSION, "steps": [{"op": s.op, "params": dict(s.params)} for s in self.steps]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Any) -> Recipe:
        if isinstance(data, list):
            data = {"steps": data}
        if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
            raise RecipeError('a recipe is an object {"steps": [{"op": ..., "params": {...}}, ...]}')
        version = data.get("version", RECIPE_VERSION)
        if isinstance(version, bool) or not isinstance(version, int):
            raise RecipeError(
                f"the recipe's 'version' must be a whole number such as {RECIPE_VERSION}, "
                f"not {json.dumps(version)[:40]}"
            )
        if version > RECIPE_VERSION:
            raise RecipeError(f"recipe version {version} is newer than this engine understands")
        if len(data["steps"]) > MAX_STEPS:
            raise RecipeError(f"a recipe has at most {MAX_STEPS} steps (this one has {len(data['steps'])})")
        steps = []
        for i, raw in enumerate(data["steps"], 1):
            if not isinstance(raw, dict) or "op" not in raw:
                raise RecipeError(f"step {i} needs an 'op'")
            params = raw.get("params") or {}
            if not isinstance(params, dict):
                raise RecipeError(f"step {i}: 'params' must be an object")
            steps.append(Step(str(raw["op"]), dict(params)).validated())
        return cls(tuple(steps))

    @classmethod
    def from_json(cls, text: str) -> Recipe:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RecipeError(f"recipe is not valid JSON: {exc.msg} (line {exc.lineno})") from exc
        return cls.from_dict(data)
