"""Recipes: an ordered list of optimization steps, saved and loaded as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.engine.operations import OPERATIONS, apply_operation

__all__ = ["Recipe", "RecipeError", "Step"]

RECIPE_VERSION = 1


class RecipeError(ValueError):
    """A recipe is malformed: bad JSON, unknown operation, bad parameter."""


@dataclass(frozen=True, slots=True)
class Step:
    """One operation with its parameter values (missing ones take the defaults)."""

    op: str
    params: dict[str, Any] = field(default_factory=dict)

    def validated(self) -> Step:
        if self.op not in OPERATIONS:
            raise RecipeError(f"unknown operation '{self.op}' (known: {', '.join(OPERATIONS)})")
        try:
            made = OPERATIONS[self.op].make_params(self.params)
        except ValueError as exc:
            raise RecipeError(str(exc)) from exc
        return Step(self.op, {s.name: getattr(made, s.name) for s in OPERATIONS[self.op].specs})


@dataclass(frozen=True, slots=True)
class Recipe:
    """Ordered steps; :meth:`apply` runs them in order on an RGB uint8 image."""

    steps: tuple[Step, ...] = ()

    @property
    def changes_geometry(self) -> bool:
        return any(OPERATIONS[s.op].geometry for s in self.steps)

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        out = rgb
        for step in self.steps:
            out = apply_operation(out, step.op, step.params)
        return out if self.steps else rgb.copy()

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
        if int(data.get("version", RECIPE_VERSION)) > RECIPE_VERSION:
            raise RecipeError(f"recipe version {data['version']} is newer than this engine understands")
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
