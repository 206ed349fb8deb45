"""Every module of ``core`` says what it offers: ``__all__`` names exactly what exists, and every
public function and class a module defines is listed in it."""

import importlib
import inspect
import pkgutil

import pytest

import core

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(core.__path__, "core.") if not m.ispkg and not m.name.endswith("__main__")
)

#: Public names not yet listed (none left: every module lists what it offers). An entry here is a
#: debt to pay back, never a way to skip the check.
PENDING: dict[str, set[str]] = {}


@pytest.mark.parametrize("name", MODULES)
def test_all_is_correct(name):
    module = importlib.import_module(name)
    listed = getattr(module, "__all__", None)
    assert listed is not None, f"{name} has no __all__"
    assert len(set(listed)) == len(listed), f"{name}: __all__ repeats a name"
    assert [n for n in listed if not hasattr(module, n)] == [], f"{name}: __all__ names what does not exist"
    defined = {
        n
        for n, obj in vars(module).items()
        if not n.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and getattr(obj, "__module__", None) == name
    }
    assert defined - set(listed) - PENDING.get(name, set()) == set(), f"{name}: public but not in __all__"
