"""The sign-in form. The router shows it for every page a signed-out visitor opens, so a
shared link (``/inspect?v=12``) keeps its address and opens once the visitor has signed in."""

from __future__ import annotations

import streamlit as st

from pages.common.session import admin_setup, get_store, oidc_configured, sign_in, sign_in_notice, sign_in_oidc


def sign_in_form() -> None:
    if oidc_configured() and sign_in_oidc() is not None:
        st.rerun()

    st.title("Image Quality Desk")
    st.caption("Score, fix and review merchant product photos.")
    setup = admin_setup()
    if setup.problem:
        st.error(setup.problem, icon=":material/error:")
    notice = sign_in_notice()
    if notice:
        st.info(notice, icon=":material/info:", width=420)
    with st.form("sign-in", border=True, width=420):
        username = st.text_input("User name", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    from pages.common.cookie import preload_cookie_writer

    preload_cookie_writer()
    if submitted:
        user, message = sign_in(username.strip(), password)
        if user is not None:
            st.rerun()  # the same address: the page the visitor asked for opens now
        st.error(message)
    if oidc_configured():
        st.button("Sign in with single sign-on", on_click=st.login, icon=":material/key:")
        try:
            if st.user.is_logged_in:
                st.warning("No active account is linked to your single sign-on e-mail; ask an administrator.")
        except AttributeError:
            pass
    from core.services.sessions import first_start_note_due

    if first_start_note_due(get_store()):
        st.caption(
            "First start: an administrator account was created. Its user name and password were printed "
            "once in the console of the server (the password may instead come from "
            "IMAGEDESK_ADMIN_PASSWORD)."
        )
