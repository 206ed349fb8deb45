"""Who may open which page: the one role policy.

``app.py`` builds its navigation from :func:`navigation` and every page's guard asks
:func:`roles_for` for the roles it admits, so the menu and the guards cannot disagree.
"""

from __future__ import annotations

from typing import Final, Protocol

from core.vocabulary import ROLES

__all__ = [
    "NAVIGATION",
    "PAGES",
    "can_open",
    "may_save_profiles",
    "may_set_double_review",
    "merchant_scope",
    "no_images_note",
    "navigation",
    "roles_for",
    "sees_reviewer_names",
]

#: Every page behind the sign-in, by the name ``app.py`` registers it under.
PAGES: Final = ("overview", "inspect", "optimize", "review", "feedback", "upload", "users")

#: role -> menu section -> pages, in menu order. A role sees exactly the pages listed for it.
NAVIGATION: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "admin": {
        "Catalogue": ("overview", "inspect", "optimize"),
        "Review": ("review", "feedback"),
        "Manage": ("upload", "users"),
    },
    "reviewer": {"Catalogue": ("overview", "inspect", "optimize"), "Review": ("review", "feedback")},
    "merchant": {"My images": ("overview", "inspect", "optimize", "upload")},
}


class _Account(Protocol):
    @property
    def role(self) -> str: ...

    @property
    def merchant_id(self) -> str | None: ...


def navigation(role: str) -> dict[str, tuple[str, ...]]:
    """The menu sections and pages ``role`` sees (empty for an unknown role)."""
    return dict(NAVIGATION.get(role, {}))


def roles_for(page: str) -> tuple[str, ...]:
    """The roles that may open ``page``, in the order of :data:`core.vocabulary.ROLES`."""
    if page not in PAGES:
        raise ValueError(f"unknown page '{page}' (known: {', '.join(PAGES)})")
    return tuple(r for r in ROLES if any(page in names for names in NAVIGATION.get(r, {}).values()))


def can_open(role: str, page: str) -> bool:
    return role in roles_for(page)


def merchant_scope(user: _Account) -> str | None:
    """The merchant a user is limited to (merchants), or ``None`` (staff see every merchant)."""
    return user.merchant_id if user.role == "merchant" else None


def sees_reviewer_names(role: str) -> bool:
    """Merchants learn a decision and its reasons, never who decided."""
    return role != "merchant"


def may_save_profiles(role: str) -> bool:
    """Only administrators save a profile tuned to the reviewers (it re-scores the whole catalogue)."""
    return role == "admin"


def may_set_double_review(role: str) -> bool:
    """Only administrators choose the share of images two reviewers decide independently."""
    return role == "admin"


def no_images_note(role: str) -> str:
    """What an empty catalogue page says to ``role``: where images come from, pointing only at a
    page the role can open (a reviewer has no Upload page)."""
    if role == "merchant":
        return "You have no images yet. Upload your product photos on the Upload page; each gets a score at once."
    if can_open(role, "upload"):
        return (
            "No images yet. Upload some on the Upload page (or run 'python -m core ingest'); each gets a score at once."
        )
    return "No images yet. Merchants' photos appear here as soon as they are uploaded and scored."
