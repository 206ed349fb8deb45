"""Sign in with a local account (or single sign-on where configured)."""

import streamlit as st

from pages.common.session import current_user, route_through_app
from pages.common.sign_in_form import sign_in_form

route_through_app("pages/sign-in.py")  # opened in a server's first seconds: the router runs first
if current_user() is not None:
    st.switch_page("pages/overview.py")  # already signed in: nothing to do here
sign_in_form()
