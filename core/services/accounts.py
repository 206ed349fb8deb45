"""Account rules the pages and the command line share: signing in (with throttling) and
changing an account from the Users form (all of it, or nothing)."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from core.store.accounts import (
    AuthError,
    User,
    authenticate,
    check_merchant_id,
    check_new_merchant_id,
    check_password,
    check_role,
    check_username,
    create_user,
    get_user,
    list_users,
    set_active,
    set_password,
    set_role,
    staff_merchant_id,
    username_taken,
)
from core.store.database import Store
from core.store.intake import known_merchants, merchant_case_clash
from core.store.queries import merchant_ids
from core.store.sessions import failures_since, record_sign_in, token_hash
from core.vocabulary import ROLES, role_label

__all__ = [
    "check_account_merchant",
    "DELAY_AFTER",
    "LOCK_AFTER",
    "LOCK_MINUTES",
    "AuthError",
    "SignInResult",
    "User",
    "account_for_email",
    "add_user",
    "change_form",
    "create_user",
    "list_users",
    "new_user_form",
    "new_user_problems",
    "sign_in",
    "throttle_wait",
    "unknown_merchant_note",
    "update_user",
    "user_rows",
]

#: Failures (since the last success) after which each further try must wait, doubling each time.
DELAY_AFTER: Final = 5
#: Failures after which the account refuses every sign-in for LOCK_MINUTES.
LOCK_AFTER: Final = 10
LOCK_MINUTES: Final = 15
#: Failures older than this are forgotten.
_WINDOW: Final = timedelta(hours=1)
_MAX_DELAY_S: Final = 60.0


def unknown_merchant_note(store: Store, merchant_id: str | None) -> str:
    """A word of warning when a merchant account is tied to a merchant id that has no images ("" if
    it has some, or for staff): a typo ("madisson") leaves the merchant an empty catalogue. A new
    merchant, who has not uploaded yet, is allowed: this only says so, with the closest known ids."""
    if not merchant_id:
        return ""
    known = merchant_ids(store)
    if merchant_id in known:
        return ""
    close = difflib.get_close_matches(merchant_id, known, n=3, cutoff=0.75)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return (
        f"No images are stored under merchant '{merchant_id}' yet: the account sees an empty catalogue "
        f"until that merchant uploads.{hint}"
    )


def check_account_merchant(store: Store, merchant_id: str | None, *, account: str | None = None) -> None:
    """:class:`AuthError` when ``merchant_id`` differs from one in use (by images or by another
    account than ``account``) only in upper and lower case: the account would see none of that
    merchant's images. Upload refuses the same ids for the same reason."""
    if not merchant_id:
        return
    if clash := merchant_case_clash(merchant_id, known_merchants(store, except_account=account)):
        raise AuthError(clash)


@dataclass(frozen=True, slots=True)
class SignInResult:
    user: User | None
    message: str = ""


def _delay_s(failures: int) -> float:
    return min(_MAX_DELAY_S, 2.0 ** (failures - DELAY_AFTER + 1)) if failures >= DELAY_AFTER else 0.0


def throttle_wait(store: Store, *, username: str, client: str, at: datetime | None = None) -> tuple[float, bool]:
    """Seconds to wait before ``username`` may try again from ``client``, and whether that is a
    lock (10 failures: 15 minutes) rather than a growing delay (5 failures: 2, 4, 8, ... s).

    Per account the count restarts after a successful sign-in; per client (one address, which a
    whole office may share) there is only the growing delay, never a lock.
    """
    moment = at or datetime.now(UTC)
    mine = failures_since(store, since=moment - _WINDOW, username=username)
    if len(mine) >= LOCK_AFTER:
        until = mine[0] + timedelta(minutes=LOCK_MINUTES)
        if until > moment:
            return (until - moment).total_seconds(), True
    wait = 0.0
    if len(mine) >= DELAY_AFTER:
        wait = max(wait, (mine[0] + timedelta(seconds=_delay_s(len(mine))) - moment).total_seconds())
    if client:
        theirs = failures_since(store, since=moment - _WINDOW, client=client, reset_on_success=False)
        if len(theirs) >= DELAY_AFTER:
            wait = max(wait, (theirs[0] + timedelta(seconds=_delay_s(len(theirs))) - moment).total_seconds())
    return max(0.0, wait), False


def sign_in(store: Store, username: str, password: str, *, client: str = "") -> SignInResult:
    """Check a password, throttled per account and per client; every failure is audited.

    The message never says whether the user name exists. A blank field is no attempt: it is
    named, and neither counted nor audited.
    """
    name = (username or "").strip()
    if not name or not password:
        missing = (
            "your user name and password"
            if not name and not password
            else "your user name"
            if not name
            else "your password"
        )
        return SignInResult(None, f"Enter {missing}.")
    wait, locked = throttle_wait(store, username=name, client=client)
    if wait > 0:
        record_sign_in(store, username=name, client=client, ok=False, reason="throttled")
        if locked:
            return SignInResult(None, f"Too many attempts; try again in {max(1, math.ceil(wait / 60))} minutes.")
        return SignInResult(None, f"Too many attempts; try again in {max(1, math.ceil(wait))} seconds.")
    user = authenticate(store, name, password)
    if user is None:
        record_sign_in(store, username=name, client=client, ok=False, reason="wrong name or password, or disabled")
        return SignInResult(None, "Wrong user name or password, or the account is disabled.")
    record_sign_in(store, username=user.username, client=client, ok=True)
    return SignInResult(user)


def account_for_email(store: Store, email: str) -> User | None:
    """The local account a single sign-on (OIDC) identity maps to: the active user whose user name
    is ``email``, compared without regard to case; ``None`` if there is none (or it is disabled)."""
    wanted = (email or "").lower()
    if not wanted:
        return None
    return next((u for u in list_users(store) if u.username.lower() == wanted and u.active), None)


def add_user(
    store: Store, *, actor: User, username: str, password: str, role: str, merchant_id: str | None = None
) -> User:
    """Apply the Users page's "Add a user" form (blank fields count as not given; a merchant id
    typed for a reviewer or an administrator is refused, see :func:`create_user`)."""
    merchant = (merchant_id or "").strip() or None
    if role == "merchant":
        check_account_merchant(store, merchant)
    return create_user(
        store,
        username=(username or "").strip(),
        password=password,
        role=role,
        merchant_id=merchant,
        actor=actor.username,
    )


def new_user_problems(
    store: Store, *, username: str, password: str, role: str, merchant_id: str | None = None
) -> list[str]:
    """Every reason the "Add a user" form would be refused, one per field (user name, role, merchant
    id, password, in the form's order), so that one submit names them all rather than one at a
    time. Empty when :func:`add_user` accepts the same values (unless someone takes the name in
    between: that refusal still comes from :func:`add_user`)."""
    name = (username or "").strip()

    def name_ok() -> None:
        check_username(name)
        if get_user(store, name) is not None:
            raise username_taken(name)

    def merchant_ok() -> None:
        if role in ROLES:  # which merchant id is right depends on a known role
            check_new_merchant_id(role, merchant_id)
        if role == "merchant":
            check_account_merchant(store, (merchant_id or "").strip())

    problems = []
    checks = (name_ok, lambda: check_role(role), merchant_ok, lambda: check_password(password, username=name))
    for check in checks:
        try:
            check()
        except AuthError as exc:
            problems.append(str(exc))
    return problems


def new_user_form() -> dict[str, str]:
    """What the Users page's "Add a user" form shows when it is empty: no name, merchant id or
    password, and the reviewer role (the most common new account)."""
    return {"username": "", "role": "reviewer", "merchant_id": "", "password": ""}


def change_form(user: User) -> dict[str, Any]:
    """What the Users page's "Change a user" form shows for ``user``: its stored role, merchant id
    ("" for staff) and active flag, and no new password. :func:`update_user` given these values
    unchanged changes nothing."""
    return {"role": user.role, "merchant_id": user.merchant_id or "", "new_password": "", "active": user.active}


def update_user(
    store: Store,
    *,
    actor: User,
    target: str,
    active: bool,
    new_password: str = "",
    role: str | None = None,
    merchant_id: str | None = None,
    session: str | None = None,
) -> list[str]:
    """Apply the Users page's "Change a user" form: everything it shows, or nothing.

    ``role`` ``None`` keeps the stored role; ``merchant_id`` ``None`` keeps the stored merchant id,
    and a text is what the form's field holds (blank: none). The field follows the same rules as
    the "Add a user" form: a merchant needs a merchant id (it cannot be cleared), and a merchant
    id typed for a reviewer or an administrator is refused, not dropped.

    Every check runs before anything is stored (you cannot disable your own account or take away
    your own administrator role; the password must be acceptable). Returns what changed, in words:
    "role", "merchant id", "disabled" or "enabled", "password".

    ``session`` is the sign-in session the form was sent from: an administrator who changes
    their own password stays signed in there, and every other session of theirs ends.
    """
    current = get_user(store, target)
    if current is None:
        raise AuthError(f"no such user: '{target}'")
    own = current.username == actor.username
    if own and not active:
        raise AuthError("you cannot disable your own account")
    new_role = current.role if role is None else role
    if new_role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}")
    if own and new_role != current.role:
        raise AuthError("you cannot change your own role")
    if merchant_id is None:
        new_merchant = current.merchant_id if new_role == "merchant" else None
    else:
        typed = merchant_id.strip()
        if new_role != "merchant" and typed:
            raise staff_merchant_id(new_role)
        new_merchant = check_merchant_id(typed) if typed else None
    if new_role == "merchant" and not new_merchant:
        raise AuthError(
            "a merchant account needs a merchant id; it cannot be left empty"
            if current.role == "merchant"
            else "a merchant account needs a merchant id"
        )
    if new_merchant != current.merchant_id:
        check_account_merchant(store, new_merchant, account=current.username)
    if new_password:
        check_password(new_password, username=current.username)
    changed: list[str] = []
    if new_role != current.role:
        changed.append("role")
    if new_merchant != current.merchant_id:
        changed.append("merchant id")
    if changed:
        set_role(store, username=current.username, role=new_role, merchant_id=new_merchant, actor=actor.username)
    if active != current.active:
        set_active(store, current.username, active, actor=actor.username)
        changed.append("enabled" if active else "disabled")
    if new_password:
        keep = token_hash(session) if own and session else None
        set_password(store, username=current.username, password=new_password, actor=actor.username, keep_session=keep)
        changed.append("password")
    return changed


def user_rows(accounts: Iterable[User]) -> list[dict[str, Any]]:
    """Accounts as the Users page lists them: name, role in words ("Administrator"), merchant (""
    for staff), active."""
    return [
        {"user": u.username, "role": role_label(u.role), "merchant": u.merchant_id or "", "active": u.active}
        for u in accounts
    ]
