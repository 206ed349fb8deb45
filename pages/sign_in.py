"""Sign in with a local account (or single sign-on where configured)."""

import streamlit as st

from pages.common.session import current_user
from pages.common.sign_in_form import sign_in_form

if current_user() is not None:
    st.switch_page("pages/overview.py")  # already signed in: nothing to do here
sign_in_form()
