"""Keep a signed sign-in token in a browser cookie so reloads and deep links stay signed in.

A tiny custom component v2 writes (or clears) the cookie; Streamlit reads it back through
``st.context.cookies`` when a new session starts. The cookie holds only the random id of a
server-side session (``core.store.sessions``); it means nothing once that session is revoked.
JavaScript sets it, so it cannot be HttpOnly (see SECURITY.md); it is SameSite=Strict, and Secure
over HTTPS.
"""

from __future__ import annotations

import streamlit as st

COOKIE = "imagedesk_session"

_JS = """
export default function (component) {
  const { data } = component;
  if (!data) { return; }
  const secure = window.location.protocol === 'https:' ? '; Secure' : '';
  if (data.token) {
    document.cookie = data.name + '=' + data.token + '; Max-Age=' + data.max_age + '; Path=/; SameSite=Strict' + secure;
  } else {
    document.cookie = data.name + '=; Max-Age=0; Path=/; SameSite=Strict' + secure;
  }
}
"""

_component = st.components.v2.component("imagedesk_session_cookie", js=_JS)


def write_cookie(token: str | None, *, max_age: int = 12 * 3600) -> None:
    """Set (``token``) or clear (``None``) the sign-in cookie in this browser."""
    _component(key="session_cookie", data={"name": COOKIE, "token": token or "", "max_age": max_age}, height=0)


def preload_cookie_writer() -> None:
    """Render the cookie writer with nothing to write, on the sign-in form: the browser loads its
    script while the visitor types, so the write after signing in runs as soon as it arrives.
    Loaded only then, it ran 0.2-1.6 s after the next page showed, and a reload in that time
    came back signed out."""
    _component(key="session_cookie_preload", data=None, height=0)


def read_cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - a malformed Cookie header is the visitor's problem, never a traceback
        return None
    return value if isinstance(value, str) and value else None  # (a test harness may hand back a mock)
