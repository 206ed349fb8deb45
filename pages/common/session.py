"""The shared store, the signed-in user, and the role check every page runs first."""

from __future__ import annotations

import logging

import streamlit as st

from core.engine.profiles import list_profiles
from core.store.accounts import User, authenticate, ensure_default_admin, issue_token, verify_token
from core.store.database import Store, open_store
from core.store.samples import seed_samples

log = logging.getLogger("imagedesk")

ROLE_LABELS = {"admin": "Administrator", "reviewer": "Reviewer", "merchant": "Merchant"}


def get_store() -> Store:
    """One store per server process (per data folder and database), shared by every session."""
    import os

    from core.store.settings import DATABASE_URL_ENV, data_dir

    return _open_store(str(data_dir()), os.environ.get(DATABASE_URL_ENV, ""))


@st.cache_resource(show_spinner="Opening the image library...")
def _open_store(root: str, database_url: str) -> Store:
    store = open_store(root, database_url=database_url or None)
    password = ensure_default_admin(store)
    if password:
        # Printed once, to the server console only; it is never stored in clear.
        print(f"\n  First start: created user 'admin' with password: {password}\n"
              "  Change it on the Users page. Set IMAGEDESK_ADMIN_PASSWORD to choose it yourself.\n", flush=True)
    report = seed_samples(store)
    if report is not None:
        log.info("loaded %d sample images", len(report.added))
    return store


def current_user() -> User | None:
    """The signed-in user; a new session (reload, deep link) is restored from the sign-in cookie."""
    user = st.session_state.get("user")
    if isinstance(user, User):
        return user
    if st.session_state.get("signed_out"):
        return None
    from pages.common.cookie import read_cookie

    token = read_cookie()
    restored = verify_token(get_store(), token) if token else None
    if restored is not None:
        st.session_state["user"] = restored
    return restored


def sign_in(username: str, password: str) -> User | None:
    user = authenticate(get_store(), username, password)
    if user is not None:
        st.session_state["user"] = user
        st.session_state["cookie_action"] = issue_token(get_store(), user)
    return user


def sign_in_oidc() -> User | None:
    """Map a user signed in through ``st.login`` (OIDC) to a local account with that e-mail."""
    try:
        if not st.user.is_logged_in:
            return None
        email = str(st.user.get("email") or "")
    except (AttributeError, KeyError):
        return None
    from core.store.accounts import list_users

    match = next((u for u in list_users(get_store()) if u.username.lower() == email.lower() and u.active), None)
    if match is not None:
        st.session_state["user"] = match
        st.session_state["cookie_action"] = issue_token(get_store(), match)
    return match


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all is the common case
        return False


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state["signed_out"] = True  # the old cookie must not sign this session back in
    st.session_state["cookie_action"] = ""  # clear it in the browser on the next run


def sync_cookie() -> None:
    """Write or clear the browser's sign-in cookie if sign-in or sign-out asked for it."""
    action = st.session_state.pop("cookie_action", None)
    if action is not None:
        from pages.common.cookie import write_cookie

        write_cookie(action or None)


def require_role(*roles: str) -> User:
    """Stop the page unless someone with one of ``roles`` is signed in. Call first on every page."""
    user = current_user()
    if user is None:
        st.warning("Please sign in to use the image-quality desk.")
        # A plain link: this page may be running outside the router, where page links are unknown.
        st.markdown("[Go to sign-in](/)")
        st.stop()
    if roles and user.role not in roles:
        st.error(f"This page is not available to the {ROLE_LABELS.get(user.role, user.role).lower()} role.")
        st.stop()
    return user


def merchant_scope(user: User) -> str | None:
    """The merchant a user is limited to (merchants), or ``None`` (staff see everything)."""
    return user.merchant_id if user.role == "merchant" else None


def profile_names() -> list[str]:
    return list_profiles(search=(get_store().profiles_dir,))


def profile_picker(label: str = "Marketplace profile", *, key: str = "profile", container=st) -> str:  # type: ignore[no-untyped-def]
    """A profile selector whose choice is shared across pages (session state)."""
    names = profile_names()
    current = st.session_state.get("shared_profile", "generic")
    index = names.index(current) if current in names else 0
    choice = container.selectbox(label, names, index=index, key=key)
    st.session_state["shared_profile"] = choice
    return str(choice)

