"""Recipes validate each step once; operation parameters are declared with named fields."""

import dataclasses
import math

import numpy as np
import pytest

from core.engine.operations import OPERATIONS, Operation, ParamSpec
from core.engine.recipe import Recipe, RecipeError, Step


def _count_validations(monkeypatch) -> list[str]:
    calls: list[str] = []
    original = Operation.make_params

    def counting(self, values=None):
        calls.append(self.name)
        return original(self, values)

    monkeypatch.setattr(Operation, "make_params", counting)
    return calls


def test_a_validated_recipe_applies_without_validating_again(monkeypatch, photo):
    calls = _count_validations(monkeypatch)
    recipe = Recipe(
        tuple(
            Step(op, params).validated()
            for op, params in [("gamma", {"gamma": 0.8}), ("unsharp_mask", {"amount": 1.0}), ("saturation", {})]
        )
    )
    assert calls == ["gamma", "unsharp_mask", "saturation"]  # once per step ...
    small = photo[:128, :128].copy()
    out = recipe.apply(small)
    assert calls == ["gamma", "unsharp_mask", "saturation"]  # ... and not again when applied
    unchecked = Recipe(tuple(Step(s.op, dict(s.params)) for s in recipe.steps))
    assert np.array_equal(unchecked.apply(small), out)  # a step built by hand is validated as it runs
    assert len(calls) == 6


def test_validation_fills_defaults_and_names_bad_values():
    step = Step("clahe", {"tiles": 4.0}).validated()
    assert step.params == {"clip_limit": 2.0, "tiles": 4} and step == Step("clahe", {"clip_limit": 2.0, "tiles": 4})
    assert step.validated() is step
    with pytest.raises(RecipeError, match=r"clahe.tiles = 40 is outside 2..16"):
        Step("clahe", {"tiles": 40}).validated()
    assert Recipe.from_dict({"steps": [{"op": "gamma", "params": {"gamma": 2}}]}).steps[0].prepared is not None


def test_every_parameter_declares_its_control():
    for op in OPERATIONS.values():
        assert op.specs is op.specs  # read from the dataclass once
        for spec in op.specs:
            assert isinstance(spec, ParamSpec) and spec.label
            if spec.kind == "choice":
                assert spec.default in spec.choices
            else:
                assert spec.min <= spec.default <= spec.max and spec.step > 0, (op.name, spec)
        assert op.params().__class__ is op.params  # every field has a default


def test_operations_are_built_from_named_fields():
    with pytest.raises(TypeError):
        Operation("x", "X", "Tone", object, lambda rgb, p: rgb)  # type: ignore[misc]
    fields = {f.name: f for f in dataclasses.fields(OPERATIONS["autocrop"].params)}
    assert fields["margin"].metadata["min"] == 0.0 and fields["margin"].metadata["max"] == 0.3


@pytest.mark.parametrize("shape", [(30, 40), (40, 30), (33, 33), (7, 50), (50, 1)])
def test_the_largest_resize_is_the_one_apply_still_accepts(shape):
    """The Optimize page stops its Resize slider here, so the limit is never met after the fact."""
    from core.engine.recipe import max_resize_long_side

    rgb = np.zeros((*shape, 3), np.uint8)
    limit = 5_000
    side = max_resize_long_side(shape, max_pixels=limit)
    out = Recipe((Step("resize", {"long_side": side}).validated(),)).apply(rgb, max_pixels=limit)
    assert out.shape[0] * out.shape[1] <= limit and max(out.shape[:2]) == side
    with pytest.raises(RecipeError, match="the limit is"):
        Recipe((Step("resize", {"long_side": side + 1}).validated(),)).apply(rgb, max_pixels=limit)


def test_the_resize_limit_defaults_to_the_engines_pixel_limit():
    from core.engine.recipe import MAX_OUTPUT_PIXELS, max_resize_long_side

    assert max_resize_long_side((1024, 1024)) == math.isqrt(MAX_OUTPUT_PIXELS)  # 7071 px for 50 MP
    assert max_resize_long_side((683, 1024)) > max_resize_long_side((1024, 1024))  # a 3:2 photo may go longer


def test_on_a_reduced_copy_a_resize_keeps_the_copys_reduction():
    crop = Step("crop", {"left": 0.1, "top": 0.0, "right": 0.0, "bottom": 0.0})
    recipe = Recipe((crop, Step("resize", {"long_side": 3000}), Step("pad_square", {"margin": 0.05})))
    # A quarter-size copy: the crop and the pad act in fractions; the resize sets a quarter of 3000 px.
    on_copy, scale = recipe.on_reduced_copy(scale=0.25, max_side=1024)
    assert on_copy.steps[0] == crop and on_copy.steps[2] == recipe.steps[2]
    assert on_copy.steps[1].params["long_side"] == 750 and scale == 0.25
    # Never past the copy's own size limit: then the copy is reduced further from there on.
    on_copy, scale = recipe.on_reduced_copy(scale=0.5, max_side=1024)
    assert on_copy.steps[1].params["long_side"] == 1024 and scale == pytest.approx(1024 / 3000)
    # Nor under the operation's smallest side, nor over the side asked for (a copy is never larger).
    tiny = Recipe((Step("resize", {"long_side": 100}),))
    assert tiny.on_reduced_copy(scale=0.1, max_side=1024)[0].steps[0].params["long_side"] == 64
    assert tiny.on_reduced_copy(scale=1.0, max_side=1024) == (tiny, 1.0)
    # And what it makes applies: the copy's result is the full-size result reduced.
    full = np.zeros((2000, 1000, 3), np.uint8)
    small = full[::4, ::4]
    on_copy, scale = recipe.on_reduced_copy(scale=0.25, max_side=1024)
    big, little = recipe.apply(full), on_copy.apply(small)
    assert abs(little.shape[0] / scale - big.shape[0]) <= 4 and abs(little.shape[1] / scale - big.shape[1]) <= 4


def test_without_geometry_keeps_the_other_steps_in_order():
    from core.engine.recipe import Recipe, Step

    steps = [Step(op) for op in ("crop", "gamma", "pad_square", "saturation", "resize", "autocrop")]
    recipe = Recipe(tuple(steps))
    assert recipe.without_geometry() == Recipe((steps[1], steps[3]))
    assert not recipe.without_geometry().changes_geometry and recipe.changes_geometry
