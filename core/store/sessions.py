"""Server-side sign-in sessions.

The browser keeps only an opaque random id (256 bits, in a cookie). The database keeps its
sha256 with the account's id, when it was created and last seen, and whether it was revoked.
Every script run looks the session up (:func:`session_user`), so sign-out, a password change,
disabling, deleting or a role change ends it everywhere at once, on every app server that
shares the database. There is no signing key to keep or share.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import and_, delete, func, insert, select, update

from core.store.accounts import FIRST_START_ACTOR, User
from core.store.database import Store, audit_log, now, sessions, sign_in_attempts, users
from core.store.settings import session_limits

__all__ = [
    "EXPIRED",
    "admin_created_unused",
    "create_session",
    "failures_since",
    "record_sign_in",
    "revoke_session",
    "session_end_reason",
    "session_user",
    "token_hash",
]

#: ``sessions.revoked_reason`` of a session that was idle too long or too old.
EXPIRED: Final = "expired"
#: ``last_seen_at`` is written at most this often per session (reads on every run, few writes).
_TOUCH_EVERY_S: Final = 60.0
_TOKEN_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _well_formed(token: object) -> bool:
    return isinstance(token, str) and 20 <= len(token) <= 100 and set(token) <= _TOKEN_CHARS


def create_session(store: Store, user: User) -> str:
    """Start a session for ``user`` (who must exist); returns the id for the browser cookie."""
    token = secrets.token_urlsafe(32)
    stamp = now()
    with store.write() as conn:
        row = conn.execute(select(users.c.id, users.c.username).where(users.c.username == user.username)).first()
        if row is None:
            raise ValueError(f"no such user: '{user.username}'")
        conn.execute(
            insert(sessions).values(
                token_hash=token_hash(token),
                user_id=int(row.id),
                username=row.username,
                created_at=stamp,
                last_seen_at=stamp,
                revoked_at=None,
                revoked_reason="",
            )
        )
        # Sessions unseen for 30 days are long dead: forget them (the audit log keeps sign-ins' failures).
        old = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="microseconds")
        conn.execute(delete(sessions).where(sessions.c.last_seen_at < old))
    return token


def session_user(store: Store, token: object, *, at: datetime | None = None) -> User | None:
    """The active account a session belongs to, or ``None`` if the id is unknown, malformed,
    revoked, idle too long, too old, or its account was disabled, deleted or replaced."""
    if not _well_formed(token):
        return None
    assert isinstance(token, str)
    moment = at or datetime.now(UTC)
    idle_s, max_s = session_limits()
    with store.read() as conn:
        row = conn.execute(
            select(
                sessions.c.id,
                sessions.c.created_at,
                sessions.c.last_seen_at,
                sessions.c.revoked_at,
                sessions.c.username.label("session_username"),
                users.c.id.label("uid"),
                users.c.username,
                users.c.role,
                users.c.merchant_id,
                users.c.active,
                users.c.created_at.label("user_created"),
            )
            .select_from(sessions.join(users, users.c.id == sessions.c.user_id, isouter=True))
            .where(sessions.c.token_hash == token_hash(token))
        ).first()
    if row is None or row.revoked_at is not None or row.uid is None or not row.active:
        return None
    # The same id with another name, or an account created after the session: never the same person.
    if row.username != row.session_username or row.user_created > row.created_at:
        return None
    created, seen = datetime.fromisoformat(row.created_at), datetime.fromisoformat(row.last_seen_at)
    if moment - seen > timedelta(seconds=idle_s) or moment - created > timedelta(seconds=max_s):
        with store.write() as conn:
            conn.execute(
                update(sessions)
                .where(and_(sessions.c.id == row.id, sessions.c.revoked_at.is_(None)))
                .values(revoked_at=now(), revoked_reason=EXPIRED)
            )
        return None
    if (moment - seen).total_seconds() > _TOUCH_EVERY_S:
        with store.write() as conn:
            conn.execute(
                update(sessions)
                .where(sessions.c.id == row.id)
                .values(last_seen_at=moment.isoformat(timespec="microseconds"))
            )
    return User(
        username=row.username, role=row.role, merchant_id=row.merchant_id, active=bool(row.active), user_id=int(row.uid)
    )


def revoke_session(store: Store, token: object, *, reason: str = "signed out") -> bool:
    """End one session (sign-out). True if a live session was ended."""
    if not _well_formed(token):
        return False
    assert isinstance(token, str)
    with store.write() as conn:
        n = conn.execute(
            update(sessions)
            .where(and_(sessions.c.token_hash == token_hash(token), sessions.c.revoked_at.is_(None)))
            .values(revoked_at=now(), revoked_reason=reason[:32])
        ).rowcount
    return bool(n)


def session_end_reason(store: Store, token: object) -> str | None:
    """Why the session ``token`` was ended (``revoked_reason``: "signed out", "expired", or one of
    :data:`~core.store.accounts.ACCOUNT_CHANGE_REASONS`); ``None`` if it is unknown or live."""
    if not _well_formed(token):
        return None
    assert isinstance(token, str)
    with store.read() as conn:
        row = conn.execute(
            select(sessions.c.revoked_at, sessions.c.revoked_reason).where(sessions.c.token_hash == token_hash(token))
        ).first()
    return None if row is None or row.revoked_at is None else str(row.revoked_reason)


def record_sign_in(store: Store, *, username: str, client: str, ok: bool, reason: str = "") -> None:
    """Remember one sign-in attempt (for throttling); every failure also goes to the audit log."""
    name = (username or "")[:64]
    with store.write() as conn:
        if ok or reason != "throttled":  # refusals while throttled do not extend the lock
            conn.execute(insert(sign_in_attempts).values(at=now(), username=name.lower(), client=client[:64], ok=ok))
        if ok:  # throttling looks back one hour; keep a day of attempts, and the successes (first-start note)
            old = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="microseconds")
            conn.execute(
                delete(sign_in_attempts).where(and_(sign_in_attempts.c.at < old, sign_in_attempts.c.ok.is_(False)))
            )
        if not ok:
            store.audit(
                conn,
                actor=name or "(empty)",
                action="sign_in_failed",
                entity="user",
                entity_id=None,
                after=json.dumps({"client": client[:64], "reason": reason}),
            )


def failures_since(
    store: Store,
    *,
    since: datetime,
    username: str | None = None,
    client: str | None = None,
    reset_on_success: bool = True,
) -> list[datetime]:
    """Failed attempts after ``since`` for one user name (or one client), newest first; with
    ``reset_on_success``, only those after the last successful sign-in."""
    col = sign_in_attempts.c.username if username is not None else sign_in_attempts.c.client
    key = (username or "").lower()[:64] if username is not None else (client or "")[:64]
    cutoff = since.isoformat(timespec="microseconds")
    with store.read() as conn:
        if reset_on_success:
            last_ok = conn.execute(
                select(func.max(sign_in_attempts.c.at)).where(and_(col == key, sign_in_attempts.c.ok.is_(True)))
            ).scalar()
            cutoff = max(cutoff, last_ok or "")
        rows = (
            conn.execute(
                select(sign_in_attempts.c.at)
                .where(and_(col == key, sign_in_attempts.c.ok.is_(False), sign_in_attempts.c.at > cutoff))
                .order_by(sign_in_attempts.c.at.desc())
                .limit(100)
            )
            .scalars()
            .all()
        )
    return [datetime.fromisoformat(r) for r in rows]


def admin_created_unused(store: Store) -> bool:
    """Whether the program created an administrator (first start, or none was active) and nobody
    has signed in since: the sign-in page's first-start note shows only then."""
    with store.read() as conn:
        created = conn.execute(
            select(func.max(audit_log.c.at)).where(
                and_(audit_log.c.action == "create_user", audit_log.c.actor == FIRST_START_ACTOR)
            )
        ).scalar()
        if created is None:
            return False
        return (
            conn.execute(
                select(sign_in_attempts.c.id)
                .where(and_(sign_in_attempts.c.ok.is_(True), sign_in_attempts.c.at > created))
                .limit(1)
            ).first()
            is None
        )
