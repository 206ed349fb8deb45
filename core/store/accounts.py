"""Accounts and roles. Passwords are stored only as bcrypt hashes (cost 12).

Changing what an account may do (password, active, role, deletion) revokes its sign-in
sessions in the same transaction (see :mod:`core.store.sessions`). The last active administrator
can be neither disabled, demoted nor deleted, so someone can always manage accounts in the app.
"""

from __future__ import annotations

import functools
import json
import os
import re
import secrets
from dataclasses import dataclass
from typing import Any, Final

import bcrypt
from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from core.store.database import Store, inserted_id, now, sessions, users
from core.vocabulary import ROLES

__all__ = [
    "ACCOUNT_CHANGE_REASONS",
    "ADMIN_PASSWORD_ENV",
    "FIRST_START_ACTOR",
    "MERCHANT_ID_MAX",
    "AdminSetup",
    "AuthError",
    "BCRYPT_COST",
    "User",
    "authenticate",
    "check_merchant_id",
    "check_new_merchant_id",
    "check_password",
    "check_role",
    "check_username",
    "create_user",
    "delete_user",
    "ensure_default_admin",
    "get_user",
    "list_users",
    "revoke_user_sessions",
    "set_active",
    "set_password",
    "set_role",
    "staff_merchant_id",
    "username_taken",
]

ADMIN_PASSWORD_ENV: Final = "IMAGEDESK_ADMIN_PASSWORD"
#: The audit log's actor for an administrator the program created itself.
FIRST_START_ACTOR: Final = "first-start"
BCRYPT_COST: Final = 12
#: Why an account's sessions were revoked (``sessions.revoked_reason``) when the account changed.
ACCOUNT_CHANGE_REASONS: Final = ("password changed", "disabled", "role changed", "deleted")
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@\-]{1,63}")
#: The same characters as a user name (they show up in the same tables, links, file names and
#: CSV cells): a first letter or digit, so never a formula ('=', '+', '-', '@') or markup ('<', '*').
_MERCHANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@\-]{0,63}")
MERCHANT_ID_MAX: Final = 64  # the database columns are String(64)


class AuthError(ValueError):
    """Bad account data (weak password, unknown role, taken name, no such user), with the reason."""


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    username: str
    role: str
    merchant_id: str | None
    active: bool = True
    user_id: int = 0


def _user(row: Any) -> User:
    return User(
        username=row.username, role=row.role, merchant_id=row.merchant_id, active=bool(row.active), user_id=int(row.id)
    )


@functools.cache
def _dummy_hash() -> bytes:
    """A hash of the same cost as real ones, so an unknown user name takes as long as a known one."""
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(BCRYPT_COST))


def check_username(username: str) -> str:
    """``username`` if it is a usable user name; else :class:`AuthError` saying why. A user name is
    2-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit (an e-mail address
    is one)."""
    if not isinstance(username, str) or not _USERNAME.fullmatch(username):
        raise AuthError("user names are 2-64 letters, digits, '.', '_', '-' or '@'")
    return username


def check_role(role: str) -> str:
    """``role`` if it is one of :data:`ROLES`; else :class:`AuthError` saying which there are."""
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}")
    return role


def check_new_merchant_id(role: str, merchant_id: str | None) -> str | None:
    """The merchant id a new account of ``role`` gets (``None`` for staff), from what was typed
    (blank counts as none); else :class:`AuthError`: a merchant needs one, and staff have none (a
    merchant id typed for staff is refused rather than silently dropped: someone meant it)."""
    typed = (merchant_id or "").strip() or None
    if role == "merchant" and not typed:
        raise AuthError("a merchant account needs a merchant id")
    if role != "merchant" and typed:
        raise staff_merchant_id(role)
    return check_merchant_id(typed) if typed else None


def check_merchant_id(text: str) -> str:
    """``text`` without surrounding spaces, if it is a usable merchant id; else :class:`AuthError`
    saying why. A merchant id is 1-64 letters (a-z, A-Z), digits, '.', '_', '-' or '@', starting
    with a letter or digit: no spaces, markup or formula-looking text."""
    merchant = text.strip() if isinstance(text, str) else ""
    if not merchant:
        raise AuthError("a merchant id cannot be empty")
    if len(merchant) > MERCHANT_ID_MAX:
        raise AuthError(f"a merchant id may be at most {MERCHANT_ID_MAX} characters (this one has {len(merchant)})")
    if not _MERCHANT_ID.fullmatch(merchant):
        raise AuthError(
            "a merchant id may use only letters a-z or A-Z, digits, '.', '_', '-' or '@', "
            "and starts with a letter or digit (no spaces)"
        )
    return merchant


def check_password(password: str, *, username: str) -> bytes:
    """The password as bytes, or :class:`AuthError` saying why it is not acceptable for the
    account ``username``.

    At least 8 characters besides any spaces at either end (kept as typed: signing in does not
    strip them), at most 72 bytes (bcrypt's limit), and not the user name: not equal to it and,
    when the name (or an e-mail name's part before '@') has 4 or more characters, not containing
    it, whatever the case. Shorter names are common fragments of words, so only equality counts.
    """
    if not isinstance(password, str) or len(password) < 8:
        raise AuthError("the password needs at least 8 characters")
    core = password.strip()
    if not core:
        raise AuthError("the password cannot be only spaces")
    if len(core) < 8:
        raise AuthError("the password needs at least 8 characters besides spaces at either end")
    raw = password.encode("utf-8")
    if len(raw) > 72:
        raise AuthError("the password may be at most 72 bytes (a bcrypt limit)")
    name = (username or "").strip().casefold()
    folded = core.casefold()
    if name and folded == name:
        raise AuthError("the password cannot be the user name")
    if len(name) >= 4 and name in folded:
        raise AuthError("the password cannot contain the user name")
    local = name.partition("@")[0] if "@" in name else ""
    if len(local) >= 4 and local in folded:
        raise AuthError("the password cannot contain the user name's part before '@'")
    return raw


def _hash(password: str, *, username: str) -> str:
    return bcrypt.hashpw(check_password(password, username=username), bcrypt.gensalt(BCRYPT_COST)).decode("ascii")


def _row_by_name(conn: Connection, username: str) -> Any:
    return conn.execute(select(users).where(func.lower(users.c.username) == (username or "").lower())).first()


def _require(conn: Connection, username: str) -> Any:
    row = _row_by_name(conn, username)
    if row is None:
        raise AuthError(f"no such user: '{username}'")
    return row


def revoke_user_sessions(conn: Connection, user_id: int, reason: str, *, keep: str | None = None) -> int:
    """Revoke every live session of one account (inside the caller's transaction), except the
    one whose token hash is ``keep``."""
    live = and_(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
    if keep is not None:
        live = and_(live, sessions.c.token_hash != keep)
    return int(
        conn.execute(update(sessions).where(live).values(revoked_at=now(), revoked_reason=reason[:32])).rowcount or 0
    )


def username_taken(username: str) -> AuthError:
    """The refusal of a user name another account has."""
    return AuthError(f"the user name '{username}' is taken")


def staff_merchant_id(role: str) -> AuthError:
    """The error for a merchant id given to a staff account of ``role`` (to raise)."""
    return AuthError(
        f"only merchant accounts have a merchant id; choose the merchant role or clear the merchant id for a {role}"
    )


def _keep_an_administrator(conn: Connection, row: Any, doing: str) -> None:
    """Refuse (:class:`AuthError`) when the account ``row`` is the last active administrator:
    ``doing`` (disabling, deleting, demoting it) would leave nobody able to manage accounts in
    the running app. The active administrators' rows are locked first (PostgreSQL; SQLite's write
    transaction holds the whole database), so two administrators disabling each other at the same
    moment cannot both succeed."""
    admins = (
        conn.execute(
            select(users.c.id)
            .where(and_(users.c.role == "admin", users.c.active.is_(True)))
            .order_by(users.c.id)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    if list(admins) == [row.id]:
        raise AuthError(
            f"'{row.username}' is the only active administrator; {doing} would leave nobody able to manage "
            "accounts. Make another account an active administrator first"
        )


def create_user(
    store: Store, *, username: str, password: str, role: str, merchant_id: str | None = None, actor: str = "system"
) -> User:
    """Create an account. Merchants must name their merchant id, and only merchants have one (a
    merchant id given for staff is refused rather than silently dropped: someone meant it)."""
    check_username(username)
    check_role(role)
    merchant_id = check_new_merchant_id(role, merchant_id)
    hashed = _hash(password, username=username)
    with store.write() as conn:
        if _row_by_name(conn, username) is not None:
            raise username_taken(username)
        inserted = conn.execute(
            insert(users).values(
                username=username,
                password_hash=hashed,
                role=role,
                merchant_id=merchant_id if role == "merchant" else None,
                active=True,
                created_at=now(),
            )
        )
        uid = inserted_id(inserted)
        store.audit(
            conn,
            actor=actor,
            action="create_user",
            entity="user",
            entity_id=int(uid),
            after=json.dumps({"username": username, "role": role}),
        )
    return User(
        username=username,
        role=role,
        merchant_id=merchant_id if role == "merchant" else None,
        active=True,
        user_id=int(uid),
    )


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user if the password is right and the account active; else ``None``.

    Costs one bcrypt check at the same cost whether or not the user exists (no timing oracle).
    Throttling and the audit trail of failures live in :func:`core.services.accounts.sign_in`.
    """
    with store.read() as conn:
        row = _row_by_name(conn, username)
    candidate = (password or "").encode("utf-8")[:72]
    if row is None:
        bcrypt.checkpw(candidate, _dummy_hash())
        return None
    try:
        good = bcrypt.checkpw(candidate, row.password_hash.encode("ascii"))
    except ValueError:  # a damaged hash in the database never signs anyone in
        good = False
    if not good or not row.active:
        return None
    return _user(row)


def get_user(store: Store, username: str) -> User | None:
    with store.read() as conn:
        row = _row_by_name(conn, username)
    return None if row is None else _user(row)


def set_password(
    store: Store, *, username: str, password: str, actor: str = "system", keep_session: str | None = None
) -> None:
    """Change a password; every session of that account ends (it signs in again), except the
    session whose token hash is ``keep_session``: the one its owner changed it from."""
    with store.read() as conn:
        stored = _require(conn, username)  # "no such user" before any complaint about the password
    hashed = _hash(password, username=stored.username)
    with store.write() as conn:
        row = _require(conn, username)
        conn.execute(update(users).where(users.c.id == row.id).values(password_hash=hashed))
        revoke_user_sessions(conn, int(row.id), "password changed", keep=keep_session)
        store.audit(
            conn,
            actor=actor,
            action="set_password",
            entity="user",
            entity_id=int(row.id),
            after=json.dumps({"username": row.username}),
        )


def set_active(store: Store, username: str, active: bool, *, actor: str = "system") -> None:
    """Enable or disable an account; disabling ends its sessions at once. The last active
    administrator cannot be disabled (nor demoted by :func:`set_role`, nor deleted)."""
    with store.write() as conn:
        row = _require(conn, username)
        if not active:
            _keep_an_administrator(conn, row, "disabling it")
        conn.execute(update(users).where(users.c.id == row.id).values(active=active))
        if not active:
            revoke_user_sessions(conn, int(row.id), "disabled")
        store.audit(
            conn,
            actor=actor,
            action="activate_user" if active else "deactivate_user",
            entity="user",
            entity_id=int(row.id),
            before=json.dumps({"active": bool(row.active)}),
            after=json.dumps({"username": row.username, "active": active}),
        )


def set_role(store: Store, *, username: str, role: str, merchant_id: str | None = None, actor: str = "system") -> None:
    """Change an account's role (and merchant id); its sessions end, so new rights apply at once.

    A merchant keeps its stored merchant id unless ``merchant_id`` names another; a merchant id
    given for staff is refused (as :func:`create_user` does), not dropped.
    """
    check_role(role)
    typed = (merchant_id or "").strip()
    if role != "merchant" and typed:
        raise staff_merchant_id(role)
    given = check_merchant_id(typed) if typed else None
    with store.write() as conn:
        row = _require(conn, username)
        new_merchant = (given or row.merchant_id) if role == "merchant" else None
        if role == "merchant" and not new_merchant:
            raise AuthError("a merchant account needs a merchant id")
        if row.role == role and row.merchant_id == new_merchant:
            return
        if role != "admin":
            _keep_an_administrator(conn, row, f"making it a {role}")
        conn.execute(update(users).where(users.c.id == row.id).values(role=role, merchant_id=new_merchant))
        revoke_user_sessions(conn, int(row.id), "role changed")
        store.audit(
            conn,
            actor=actor,
            action="set_role",
            entity="user",
            entity_id=int(row.id),
            before=json.dumps({"role": row.role, "merchant_id": row.merchant_id}),
            after=json.dumps({"username": row.username, "role": role, "merchant_id": new_merchant}),
        )


def delete_user(store: Store, username: str, *, actor: str = "system") -> None:
    """Delete an account. Its sessions are revoked and stay tied to the deleted account's id, so a
    later account with the same name never inherits them. Decisions keep the reviewer's name."""
    with store.write() as conn:
        row = _require(conn, username)
        _keep_an_administrator(conn, row, "deleting it")
        revoke_user_sessions(conn, int(row.id), "deleted")
        conn.execute(delete(users).where(users.c.id == row.id))
        store.audit(
            conn,
            actor=actor,
            action="delete_user",
            entity="user",
            entity_id=int(row.id),
            before=json.dumps({"username": row.username, "role": row.role}),
        )


def list_users(store: Store) -> list[User]:
    with store.read() as conn:
        rows = conn.execute(select(users).order_by(users.c.username)).all()
    return [_user(r) for r in rows]


@dataclass(frozen=True, slots=True, kw_only=True)
class AdminSetup:
    """What :func:`ensure_default_admin` did: the account it created (if any), a generated
    password to print once (``None`` when it came from the environment), or why it could not."""

    username: str | None = None
    password: str | None = None
    problem: str | None = None


def _free_admin_name(conn: Connection) -> str:
    for name in ("admin", *(f"admin{i}" for i in range(2, 100))):
        if _row_by_name(conn, name) is None:
            return name
    return f"admin-{secrets.token_hex(3)}"


def ensure_default_admin(store: Store) -> AdminSetup:
    """Create an administrator whenever no active one exists (first start, or the first account
    was made from the command line). Its password comes from ``$IMAGEDESK_ADMIN_PASSWORD`` or is
    generated; a generated one is returned (to be printed once) and never stored in clear."""
    with store.read() as conn:
        if conn.execute(
            select(func.count()).select_from(users).where(and_(users.c.role == "admin", users.c.active.is_(True)))
        ).scalar():
            return AdminSetup()
        name = _free_admin_name(conn)
    given = os.environ.get(ADMIN_PASSWORD_ENV)
    if given is not None and given != "":
        try:
            check_password(given, username=name)
        except AuthError as exc:
            return AdminSetup(
                problem=f"{ADMIN_PASSWORD_ENV} is not usable ({exc}); no administrator was created. "
                "Set another password and restart."
            )
    password = given or secrets.token_urlsafe(12)
    while not given and name.casefold() in password.casefold():  # a random one that spells the name
        password = secrets.token_urlsafe(12)
    try:
        create_user(store, username=name, password=password, role="admin", actor=FIRST_START_ACTOR)
    except AuthError as exc:
        if "taken" in str(exc):  # another process won the race
            return AdminSetup()
        return AdminSetup(problem=str(exc))
    return AdminSetup(username=name, password=None if given else password)
