"""Accounts and roles. Passwords are stored only as bcrypt hashes (cost 12)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import time
from dataclasses import dataclass
from typing import Final

import bcrypt
from sqlalchemy import func, insert, select, update

from core.store.database import Store, now, users
from core.vocabulary import ROLES

__all__ = ["ADMIN_PASSWORD_ENV", "AuthError", "User", "authenticate", "create_user", "ensure_default_admin",
           "issue_token", "list_users", "set_active", "set_password", "verify_token"]

ADMIN_PASSWORD_ENV: Final = "IMAGEDESK_ADMIN_PASSWORD"
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{1,63}$")
_DUMMY_HASH = bcrypt.hashpw(b"timing-equaliser", bcrypt.gensalt(4))


class AuthError(ValueError):
    """Bad account data (weak password, unknown role, taken name), with the reason."""


@dataclass(frozen=True, slots=True)
class User:
    username: str
    role: str
    merchant_id: str | None
    active: bool = True


def _check_password(password: str) -> bytes:
    raw = password.encode("utf-8")
    if len(password) < 8:
        raise AuthError("the password needs at least 8 characters")
    if len(raw) > 72:
        raise AuthError("the password may be at most 72 bytes (a bcrypt limit)")
    return raw


def create_user(store: Store, username: str, password: str, role: str, *, merchant_id: str | None = None,
                actor: str = "system") -> User:
    """Create an account. Merchants must name their merchant id."""
    if not _USERNAME.match(username or ""):
        raise AuthError("user names are 2-64 letters, digits, '.', '_', '-' or '@'")
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}")
    if role == "merchant" and not merchant_id:
        raise AuthError("a merchant account needs a merchant id")
    hashed = bcrypt.hashpw(_check_password(password), bcrypt.gensalt(12)).decode("ascii")
    with store.write() as conn:
        if conn.execute(select(users.c.id).where(func.lower(users.c.username) == username.lower())).scalar():
            raise AuthError(f"the user name '{username}' is taken")
        uid = conn.execute(insert(users).values(username=username, password_hash=hashed, role=role,
                                                merchant_id=merchant_id if role == "merchant" else None,
                                                active=True, created_at=now())).inserted_primary_key[0]
        store.audit(conn, actor, "create_user", "user", int(uid), after=f'{{"username": "{username}", "role": "{role}"}}')
    return User(username, role, merchant_id if role == "merchant" else None)


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user if the password is right and the account active; else ``None`` (same cost either way)."""
    with store.read() as conn:
        row = conn.execute(select(users).where(func.lower(users.c.username) == (username or "").lower())).first()
    candidate = (password or "").encode("utf-8")[:72]
    if row is None:
        bcrypt.checkpw(candidate, _DUMMY_HASH)
        return None
    if not bcrypt.checkpw(candidate, row.password_hash.encode("ascii")) or not row.active:
        return None
    return User(row.username, row.role, row.merchant_id, bool(row.active))


def set_password(store: Store, username: str, password: str, *, actor: str = "system") -> None:
    hashed = bcrypt.hashpw(_check_password(password), bcrypt.gensalt(12)).decode("ascii")
    with store.write() as conn:
        n = conn.execute(update(users).where(users.c.username == username).values(password_hash=hashed)).rowcount
        if not n:
            raise AuthError(f"no user named '{username}'")
        store.audit(conn, actor, "set_password", "user", None, after=f'{{"username": "{username}"}}')


def set_active(store: Store, username: str, active: bool, *, actor: str = "system") -> None:
    with store.write() as conn:
        n = conn.execute(update(users).where(users.c.username == username).values(active=active)).rowcount
        if not n:
            raise AuthError(f"no user named '{username}'")
        store.audit(conn, actor, "activate_user" if active else "deactivate_user", "user", None,
                    after=f'{{"username": "{username}"}}')


def list_users(store: Store) -> list[User]:
    with store.read() as conn:
        rows = conn.execute(select(users).order_by(users.c.username)).all()
    return [User(r.username, r.role, r.merchant_id, bool(r.active)) for r in rows]


def ensure_default_admin(store: Store) -> str | None:
    """On first run (no accounts), create ``admin``. Its password comes from
    ``$IMAGEDESK_ADMIN_PASSWORD`` or is generated; a generated password is returned (to be
    printed once) and never stored in clear. Returns ``None`` when accounts already exist."""
    with store.read() as conn:
        if conn.execute(select(func.count()).select_from(users)).scalar():
            return None
    given = os.environ.get(ADMIN_PASSWORD_ENV)
    password = given or secrets.token_urlsafe(12)
    try:
        create_user(store, "admin", password, "admin")
    except AuthError as exc:
        if "taken" in str(exc):  # another process won the race
            return None
        raise
    return None if given else password


def _secret(store: Store) -> bytes:
    """Per-installation signing key, created on first use beside the database (mode 0600)."""
    path = store.root / "session.key"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)  # atomic: the first process to create it wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_bytes()


def issue_token(store: Store, user: User, *, ttl_s: int = 12 * 3600) -> str:
    """A signed, expiring sign-in token (kept in a browser cookie so a reload stays signed in)."""
    payload = f"{user.username}|{int(time.time()) + ttl_s}"
    sig = hmac.new(_secret(store), payload.encode(), hashlib.sha256).hexdigest()
    return base64.urlsafe_b64encode(f"{payload}|{sig}".encode()).decode().rstrip("=")


def verify_token(store: Store, token: str) -> User | None:
    """The (still active) user a token was issued to, or ``None`` if forged, expired or disabled."""
    if not isinstance(token, str) or not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        username, expiry, sig = raw.rsplit("|", 2)
    except (ValueError, UnicodeDecodeError):
        return None
    good = hmac.new(_secret(store), f"{username}|{expiry}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(sig, good) or int(expiry) < time.time():
        return None
    match = next((u for u in list_users(store) if u.username == username), None)
    return match if match is not None and match.active else None
