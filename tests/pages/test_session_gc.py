"""The long-lived objects are set aside from the collection Streamlit runs after every script run."""

from __future__ import annotations

import gc
import sys
import types

import pytest

from pages.common import session


@pytest.fixture()
def unfrozen(monkeypatch):
    gc.unfreeze()
    monkeypatch.setattr(session, "_frozen_with_modules", 0)
    yield
    gc.unfreeze()


def _collected(obj: object) -> bool:
    """Whether a full collection still walks ``obj`` (frozen objects are not in any generation)."""
    return any(o is obj for o in gc.get_objects())


def test_objects_alive_are_frozen_once_per_set_of_modules(unfrozen, monkeypatch):
    session.set_aside_long_lived_objects()
    assert gc.get_freeze_count() > 10_000  # the imported libraries' modules, classes and functions
    assert len(gc.get_objects()) < gc.get_freeze_count()  # what a full collection still walks

    later = [[] for _ in range(1000)]  # created since, while no module was imported
    session.set_aside_long_lived_objects()
    assert _collected(later[0])  # (the freeze count itself falls as frozen objects die)

    monkeypatch.setitem(sys.modules, "imagedesk_probe_module", types.ModuleType("imagedesk_probe_module"))
    session.set_aside_long_lived_objects()  # a page imported something new: freeze what is alive now
    assert not _collected(later[0])


def test_every_store_lookup_checks(unfrozen, monkeypatch):
    calls = []
    monkeypatch.setattr(session, "_open_store", lambda root, url: "the store")
    monkeypatch.setattr(session, "set_aside_long_lived_objects", lambda: calls.append(1))
    assert session.get_store() == "the store"
    assert calls == [1]
