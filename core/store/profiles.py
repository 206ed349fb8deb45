"""Reviewer-tuned profiles, kept in the database so every app server sees the same ones.

Built-in profiles ship with the engine (``core/engine/profile_data``); tuned ones are rows of the
``profiles`` table. Profiles saved as JSON files under ``<data>/profiles`` by older versions are
imported once when the store opens (the files are left where they are).
"""

from __future__ import annotations

import json

from sqlalchemy import insert, select, update

from core.engine.profiles import BUILTIN_DIR, Profile, ProfileError, list_profiles, load_profile, profile_from_dict
from core.store.database import Store, now, stored_profiles

__all__ = ["all_profile_names", "get_profile", "import_profile_files", "save_profile", "stored_profile_names"]


def _is_builtin(name: str) -> bool:
    return (BUILTIN_DIR / f"{name}.json").exists()


def stored_profile_names(store: Store) -> list[str]:
    """Names of the tuned profiles in the database, sorted."""
    with store.read() as conn:
        return [
            str(n)
            for n in conn.execute(select(stored_profiles.c.name).order_by(stored_profiles.c.name)).scalars().all()
        ]


def all_profile_names(store: Store) -> list[str]:
    """Built-ins first (in their usual order), then the tuned ones."""
    builtin = list_profiles()
    return builtin + [n for n in stored_profile_names(store) if n not in builtin]


def get_profile(store: Store, name: str) -> Profile:
    """A built-in or tuned profile by name; :class:`ProfileError` if there is none."""
    if _is_builtin(name):
        return load_profile(name)
    with store.read() as conn:
        raw = conn.execute(select(stored_profiles.c.profile_json).where(stored_profiles.c.name == name)).scalar()
    if raw is None:
        raise ProfileError(f"no profile named '{name}' (known: {', '.join(all_profile_names(store))})")
    data = json.loads(raw)
    data["name"] = name
    return profile_from_dict(data, source="database")


def save_profile(store: Store, profile: Profile, *, actor: str = "") -> None:
    """Create or replace a tuned profile (audited); refuses a built-in's name."""
    if _is_builtin(profile.name):
        raise ProfileError(f"'{profile.name}' is a built-in profile; choose another name")
    body = json.dumps(profile.to_dict(), indent=2)
    stamp = now()
    with store.write() as conn:
        before = conn.execute(
            select(stored_profiles.c.profile_json).where(stored_profiles.c.name == profile.name)
        ).scalar()
        if before is None:
            conn.execute(
                insert(stored_profiles).values(
                    name=profile.name, profile_json=body, created_by=actor, created_at=stamp, updated_at=stamp
                )
            )
        else:
            conn.execute(
                update(stored_profiles)
                .where(stored_profiles.c.name == profile.name)
                .values(profile_json=body, updated_at=stamp)
            )
        store.audit(
            conn,
            actor=actor or "system",
            action="save_profile",
            entity="profile",
            entity_id=None,
            before=before or "",
            after=json.dumps({"name": profile.name}),
        )


def import_profile_files(store: Store) -> int:
    """Copy profiles saved as files under ``<data>/profiles`` (older versions) into the database,
    unless one of that name is there already; returns how many were imported."""
    folder = store.profiles_dir
    if not folder.is_dir():
        return 0
    have = set(stored_profile_names(store))
    n = 0
    for path in sorted(folder.glob("*.json")):
        if path.stem in have or _is_builtin(path.stem):
            continue
        try:
            profile = load_profile(path.stem, search=(folder,))
        except ProfileError:
            continue  # unreadable or invalid: left for an administrator to look at
        save_profile(store, profile, actor="import")
        n += 1
    return n
