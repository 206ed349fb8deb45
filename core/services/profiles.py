"""Marketplace profiles as the pages see them: the built-ins plus the reviewer-tuned ones, which
live in the database (shared by every app server; see ``core.store.profiles``)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from core.engine.profiles import Profile, ProfileError, list_profiles, load_profile
from core.store import profiles as stored
from core.store.database import Store
from core.store.scores import rescore_all

__all__ = ["Profile", "ProfileError", "get_profile", "profile_label", "profile_names", "save_and_rescore"]


def profile_names(store: Store) -> list[str]:
    """Every profile: built-ins first, then the reviewer-tuned ones stored in the database."""
    return stored.all_profile_names(store)


@functools.cache
def _builtin_titles() -> dict[str, str]:
    return {name: load_profile(name).title for name in list_profiles()}  # shipped files: read once


def profile_label(name: str) -> str:
    """How a picker names profile ``name``: a built-in by its title ("Amazon (main image)"), a
    tuned one by its name (which the reviewer chose, e.g. "generic-tuned")."""
    return _builtin_titles().get(name, name)


def get_profile(store: Store, name: str) -> Profile:
    """Load a profile by name; :class:`ProfileError` if there is none."""
    return stored.get_profile(store, name)


def save_and_rescore(
    store: Store,
    profile: Profile,
    *,
    actor: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> tuple[str, int]:
    """Save ``profile`` in the database and score every stored version with it.

    Returns the profile's name and how many versions were scored; ``progress(done, total)``
    follows the scoring (minutes at a million versions). Raises :class:`ProfileError` (nothing is
    scored) if it cannot be saved, e.g. under a built-in's name.
    """
    stored.save_profile(store, profile, actor=actor)
    return profile.name, rescore_all(store, profile, progress=progress)
