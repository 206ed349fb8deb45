"""Sign in with a local account (or single sign-on where configured)."""

import streamlit as st

from pages.common.session import current_user, oidc_configured, sign_in, sign_in_oidc

# Role check: this page is for signed-out visitors only.
if current_user() is not None:
    st.success(f"You are signed in as {current_user().username}.")
    st.stop()

if oidc_configured() and sign_in_oidc() is not None:
    st.rerun()

st.title("Image Quality Desk")
st.caption("Score, fix and review merchant product photos.")
with st.form("sign-in", border=True, width=420):
    username = st.text_input("User name", autocomplete="username")
    password = st.text_input("Password", type="password", autocomplete="current-password")
    submitted = st.form_submit_button("Sign in", type="primary")
if submitted:
    if sign_in(username.strip(), password) is not None:
        st.rerun()
    st.error("Wrong user name or password, or the account is disabled.")
if oidc_configured():
    st.button("Sign in with single sign-on", on_click=st.login, icon=":material/key:")
    try:
        if st.user.is_logged_in:
            st.warning(f"No active account is linked to {st.user.get('email')}; ask an administrator.")
    except AttributeError:
        pass
st.caption("First start: the user `admin` was created; its password was printed once in the server console "
           "(or set with IMAGEDESK_ADMIN_PASSWORD).")
