"""The shared store, the signed-in user, and the role check every page runs first.

Sign-in sessions live in the database (:mod:`core.services.sessions`). The browser cookie and
this tab's session state hold only the session's random id, and every script run checks it
against the database, so a sign-out, password change, disabled, deleted or re-roled account
ends the session in every open tab at its next interaction.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Final, ParamSpec

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.services.accounts import User, account_for_email
from core.services.sessions import cookie_max_age, end_session, session_user, signed_out_notice, start_session
from core.services.startup import AdminSetup, Store, open_desk, store_location
from core.vocabulary import role_label

log = logging.getLogger("imagedesk")
P = ParamSpec("P")

__all__ = [
    "admin_setup",
    "current_user",
    "get_store",
    "merchant_scope",
    "oidc_configured",
    "profile_names",
    "profile_picker",
    "require_role",
    "route_through_app",
    "session_token",
    "set_aside_long_lived_objects",
    "sign_in",
    "sign_in_notice",
    "sign_in_oidc",
    "sign_out",
    "signed_in_callback",
    "still_signed_in",
    "sync_cookie",
]

_TOKEN: Final = "session_token"
#: Why this browser's session ended (expired, account changed), for the sign-in form, until sign-in.
_NOTICE: Final = "signed_out_notice"
_APP_ROOT: Final = Path(__file__).resolve().parents[2]


def get_store() -> Store:
    """One store per server process (per data folder and database), shared by every session."""
    store = _open_store(*store_location())
    set_aside_long_lived_objects()  # app.py calls this first in every run
    return store


#: How many modules were loaded when :func:`set_aside_long_lived_objects` last froze the heap.
_frozen_with_modules = 0


def set_aside_long_lived_objects() -> None:
    """Take the objects alive now out of the garbage collector's full passes, again each time new
    modules have been imported since (a page's first run imports its modules); otherwise nothing.

    Streamlit runs a full collection after every script run (``runner.postScriptGC``). It walked
    the ~200,000 objects of the imported libraries (streamlit, pandas, plotly, sqlalchemy...)
    every time: 130-390 ms per run on the 2-core VM (median 200 ms under load), holding the GIL,
    so the run's last elements and its "finished" message reached the browser only after it (the
    Inspect page took 0.12 s to run and twice that and more to finish drawing). Those objects live
    as long as the process; frozen, the pass after a run takes 1-17 ms.

    The first call of a run finds the earlier runs' garbage already collected. A frozen object
    that dies later is still freed by reference counting; only reference cycles among them stay,
    and freezes happen a few times per process (about a dozen in 200 page visits).
    """
    global _frozen_with_modules
    if len(sys.modules) != _frozen_with_modules:
        _frozen_with_modules = len(sys.modules)
        gc.freeze()


@st.cache_resource(show_spinner="Opening the image library...")
def _open_store(root: str, database_url: str) -> Store:
    start = open_desk(root, database_url=database_url)
    setup = start.admin
    _ADMIN_SETUP[root + "|" + database_url] = setup
    if setup.problem:
        print(f"\n  {setup.problem}\n", flush=True)
    elif setup.username and setup.password:
        # Printed once, to the server console only; it is never stored in clear, nor logged.
        print(
            f"\n  No active administrator: created user '{setup.username}' with password: {setup.password}\n"
            "  Change it on the Users page. Set IMAGEDESK_ADMIN_PASSWORD to choose it yourself.\n",
            flush=True,
        )
    elif setup.username:
        print(
            f"\n  No active administrator: created user '{setup.username}' with the password from "
            "IMAGEDESK_ADMIN_PASSWORD.\n",
            flush=True,
        )
    if start.samples_added is not None:
        log.info("loaded %d sample images", start.samples_added)
    # Scores measured by an older engine are redone at start when there are few; larger stores are
    # re-measured by 'python -m core rescore --remeasure' and shown as stale until then.
    if start.remeasured is not None:
        log.info("re-measured %d image(s) measured by an older engine", start.remeasured)
    return start.store


_ADMIN_SETUP: dict[str, AdminSetup] = {}


def admin_setup() -> AdminSetup:
    """What this server did about the administrator account when it opened the store."""
    get_store()
    return _ADMIN_SETUP.get("|".join(store_location()), AdminSetup())


def current_user() -> User | None:
    """The signed-in user, checked against the database on every call (every script run).

    A new browser session (reload, deep link) is restored from the sign-in cookie, which holds
    only the session id.
    """
    token = st.session_state.get(_TOKEN)
    from_cookie = False
    if not token and not st.session_state.get("signed_out"):
        from pages.common.cookie import read_cookie

        token = read_cookie()
        from_cookie = bool(token) and token != st.session_state.get("rejected_cookie")
        if not from_cookie:
            token = None
    user = session_user(get_store(), token) if token else None
    if user is None:
        st.session_state.pop("user", None)
        if st.session_state.pop(_TOKEN, None) or from_cookie:
            st.session_state["rejected_cookie"] = token
            st.session_state["cookie_action"] = ""  # the browser's cookie is dead: clear it
            notice = signed_out_notice(get_store(), token)
            if notice:
                st.session_state[_NOTICE] = notice
        return None
    st.session_state[_TOKEN] = token
    st.session_state["user"] = user
    return user


def sign_in_notice() -> str | None:
    """Why this browser was signed out, if the sign-in form should say so (see
    :func:`core.services.sessions.signed_out_notice`); kept until someone signs in."""
    notice = st.session_state.get(_NOTICE)
    return notice if isinstance(notice, str) else None


def session_token() -> str | None:
    """This browser session's sign-in session id (``None`` when signed out)."""
    token = st.session_state.get(_TOKEN)
    return token if isinstance(token, str) else None


def client_address() -> str:
    """The connecting address (what throttling counts per client); "local" for this machine."""
    try:
        return str(st.context.ip_address or "local")
    except (AttributeError, RuntimeError):
        return "local"


def _start_session(user: User) -> None:
    token = start_session(get_store(), user)
    st.session_state.pop("signed_out", None)
    st.session_state.pop("rejected_cookie", None)
    st.session_state.pop(_NOTICE, None)
    st.session_state[_TOKEN] = token
    st.session_state["user"] = user
    st.session_state["cookie_action"] = token


def sign_in(username: str, password: str) -> tuple[User | None, str]:
    """Check the password (throttled, audited); on success start a session. Returns the user or
    ``None`` with the message to show."""
    from core.services.accounts import sign_in as check

    result = check(get_store(), username, password, client=client_address())
    if result.user is not None:
        _start_session(result.user)
    return result.user, result.message


def sign_in_oidc() -> User | None:
    """Map a user signed in through ``st.login`` (OIDC) to a local account with that e-mail."""
    try:
        if not st.user.is_logged_in:
            return None
        email = str(st.user.get("email") or "")
    except (AttributeError, KeyError):
        return None
    match = account_for_email(get_store(), email)
    if match is not None:
        _start_session(match)
    return match


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all is the common case
        return False


def sign_out() -> None:
    """End this session in the database and in this browser."""
    user = st.session_state.get("user")
    # The images they held in the review queue go back to the team's queue now.
    end_session(
        get_store(),
        token=st.session_state.get(_TOKEN),
        reviewer=user.username if isinstance(user, User) else None,
    )
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state["signed_out"] = True  # the old cookie must not sign this session back in
    st.session_state["cookie_action"] = ""  # clear it in the browser on the next run


def sync_cookie() -> None:
    """Write or clear the browser's sign-in cookie if sign-in or sign-out asked for it."""
    action = st.session_state.pop("cookie_action", None)
    if action is not None:
        from pages.common.cookie import write_cookie

        write_cookie(action or None, max_age=cookie_max_age())


#: Set by ``app.py`` on every run: this session's pages are served by the router.
ROUTED: Final = "_routed_by_app"
_DEEP_LINK: Final = "_deep_link"


def route_through_app(script: str) -> None:
    """Run ``app.py`` first when a page file is running on its own.

    Until the server's first ``st.navigation`` (the first run of ``app.py`` by any session: about
    two seconds after a start), Streamlit serves a page's address straight from the ``pages/``
    folder, by file name, so neither the router nor its sign-in exist yet. The address is
    remembered, the router runs, and it switches back to it (query string too).
    """
    if st.session_state.get(ROUTED):
        return
    ctx = get_script_run_ctx()
    if ctx is None or Path(ctx.main_script_path).resolve() != _APP_ROOT / "app.py":
        return  # the page file is the app itself here (a test harness): it checks the role alone
    st.session_state[_DEEP_LINK] = (script, st.query_params.to_dict())
    st.switch_page("app.py")


def follow_deep_link() -> None:
    """In ``app.py``, right after ``st.navigation``: mark the session routed, and go back to the
    address a page remembered in :func:`route_through_app`, if any."""
    st.session_state[ROUTED] = True
    target = st.session_state.pop(_DEEP_LINK, None)
    if target is not None:
        script, query = target
        st.switch_page(script, query_params=query)


def require_role(*roles: str) -> User:
    """Stop the page unless someone with one of ``roles`` is signed in. Call first on every page."""
    caller = Path(sys._getframe(1).f_globals.get("__file__", "")).resolve()
    with contextlib.suppress(ValueError):
        route_through_app(caller.relative_to(_APP_ROOT).as_posix())
    user = current_user()
    if user is None:
        st.warning("Please sign in to use the image-quality desk.")
        # A plain link: this page may be running outside the router, where page links are unknown.
        st.markdown("[Go to sign-in](/)")
        st.stop()
    if roles and user.role not in roles:
        st.error(f"This page is not available to the {role_label(user.role).lower()} role.")
        # A way on (on a phone the menu is folded away): every role has the Overview. Page links
        # need the router; a page file run on its own (a test harness) gets none.
        if st.session_state.get(ROUTED):
            st.page_link("pages/overview.py", label="Go to the overview", icon=":material/dashboard:")
        st.stop()
    return user


def still_signed_in() -> User:
    """Call first in every ``st.fragment``: a fragment rerun does not run the router, so this is
    where its session is checked. A session that ended reruns the whole app (the sign-in form)."""
    user = current_user()
    if user is None:
        st.rerun(scope="app")
    assert user is not None
    return user


def signed_in_callback(fn: Callable[P, None]) -> Callable[P, None]:
    """Wrap a widget callback that writes (``on_click=``): callbacks run before the script, so
    before the router's session check; this one checks first and does nothing for an ended
    session (the script run that follows then shows the sign-in form)."""

    @functools.wraps(fn)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        before = st.session_state.get("user")
        now_user = current_user()
        if now_user is None or not isinstance(before, User) or now_user.user_id != before.user_id:
            return
        fn(*args, **kwargs)

    return guarded


def merchant_scope(user: User) -> str | None:
    """The merchant a user is limited to (merchants), or ``None`` (staff see everything): the
    role policy's rule (:func:`core.services.access.merchant_scope`)."""
    from core.services.access import merchant_scope as scope

    return scope(user)


def profile_names() -> list[str]:
    from core.services.profiles import profile_names as names  # built-ins + tuned ones from the database

    return names(get_store())


def profile_picker(label: str = "Marketplace profile", *, key: str = "profile", container=st) -> str:  # type: ignore[no-untyped-def]
    """A profile selector whose choice is shared across pages (session state).

    A link may name the profile (``?profile=amazon``: a shared or bookmarked address opens a new
    session, which would otherwise fall back to ``generic`` and show another score than the
    sender saw). The link's choice is taken once, then the selector rules again. Built-in
    profiles are listed by their titles ("Amazon (main image)").
    """
    names = profile_names()
    asked = st.query_params.get("profile")
    if asked is not None:
        del st.query_params["profile"]
        if asked in names:
            st.session_state["shared_profile"] = asked
            st.session_state.pop(key, None)  # the selector shows the linked profile, not its last choice
    current = st.session_state.get("shared_profile", "generic")
    index = names.index(current) if current in names else 0
    from core.services.profiles import profile_label

    choice = container.selectbox(label, names, index=index, key=key, format_func=profile_label)
    st.session_state["shared_profile"] = choice
    return str(choice)
