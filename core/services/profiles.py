"""Marketplace profiles as the pages see them: the built-ins plus those saved in the data folder."""

from __future__ import annotations

from pathlib import Path

from core.engine.profiles import Profile, ProfileError, list_profiles, load_profile, save_profile
from core.store.database import Store
from core.store.scores import rescore_all

__all__ = ["Profile", "ProfileError", "get_profile", "profile_names", "save_and_rescore"]


def profile_names(store: Store) -> list[str]:
    """Every profile: built-ins first, then the reviewer-tuned ones saved in ``store``'s data folder."""
    return list_profiles(search=(store.profiles_dir,))


def get_profile(store: Store, name: str) -> Profile:
    """Load a profile by name; :class:`ProfileError` if there is none."""
    return load_profile(name, search=(store.profiles_dir,))


def save_and_rescore(store: Store, profile: Profile) -> tuple[Path, int]:
    """Save ``profile`` into the data folder and score every stored version with it.

    Returns the file written and how many versions were scored. Raises :class:`ProfileError`
    (nothing is scored) if it cannot be saved, e.g. under a built-in's name.
    """
    path = save_profile(profile, store.profiles_dir)
    return path, rescore_all(store, profile)
