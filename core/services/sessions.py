"""Sign-in sessions as the pages use them: start one when someone signs in, check the browser's
session id on every script run, end it at sign-out.

The sessions live in the database (:mod:`core.store.sessions`); the browser holds only the
random id, so a sign-out, password change, disabled, deleted or re-roled account ends the session
in every open tab at its next interaction.
"""

from __future__ import annotations

from core.services.review import end_review_session
from core.store.accounts import ACCOUNT_CHANGE_REASONS, User
from core.store.database import Store
from core.store.sessions import EXPIRED, admin_created_unused, create_session, revoke_session, session_end_reason
from core.store.sessions import session_user as _session_user
from core.store.settings import session_limits

__all__ = [
    "cookie_max_age",
    "end_session",
    "first_start_note_due",
    "session_user",
    "signed_out_notice",
    "start_session",
]


def start_session(store: Store, user: User) -> str:
    """Start a session for ``user`` (who must exist); returns its id, for the browser cookie."""
    return create_session(store, user)


def session_user(store: Store, token: object) -> User | None:
    """The active account the session ``token`` belongs to, or ``None`` if it is unknown,
    malformed, signed out, idle too long, too old, or its account changed."""
    return _session_user(store, token)


def signed_out_notice(store: Store, token: object) -> str | None:
    """What the sign-in form tells the holder of the ended session ``token`` about why it ended:
    it expired, or an administrator changed the account (which change is not said: the holder of
    an old browser tab may not be the account's owner). ``None`` when there is nothing to say:
    they signed out themselves, or the session is unknown or still live."""
    reason = session_end_reason(store, token)
    if reason == EXPIRED:
        return "You were signed out: your session expired. Please sign in again."
    if reason in ACCOUNT_CHANGE_REASONS:
        return "You were signed out: your account was changed by an administrator. Please sign in again."
    return None


def end_session(store: Store, *, token: object, reviewer: str | None) -> None:
    """Sign-out: end the session ``token`` (if any) and give every image ``reviewer`` held in
    the review queue back to the team at once (``None``: no one was signed in)."""
    if token:
        revoke_session(store, token)
    if reviewer:
        end_review_session(store, reviewer=reviewer)


def cookie_max_age() -> int:
    """Seconds the browser keeps the sign-in cookie: a session's absolute lifetime
    (``$IMAGEDESK_SESSION_MAX_HOURS``, default 12 hours)."""
    return int(session_limits()[1])


def first_start_note_due(store: Store) -> bool:
    """Whether the sign-in form should say where the first administrator's password is: the
    program created that account and nobody has signed in since."""
    return admin_created_unused(store)
