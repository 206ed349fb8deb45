"""Users: accounts and roles (administrators only)."""

import pandas as pd
import streamlit as st

from core.store.accounts import AuthError, create_user, list_users, set_active, set_password
from core.vocabulary import ROLES
from pages.common.session import get_store, require_role

admin = require_role("admin")
store = get_store()
st.title("Users")

accounts = list_users(store)
st.dataframe(pd.DataFrame([{"user": u.username, "role": u.role, "merchant": u.merchant_id or "",
                            "active": u.active} for u in accounts]), hide_index=True, key="users_table")

a, b = st.columns(2)
with a, st.form("new_user", clear_on_submit=True):
    st.subheader("Add a user")
    username = st.text_input("User name (an e-mail address links single sign-on)")
    role = st.selectbox("Role", ROLES, index=1)
    merchant = st.text_input("Merchant id (merchants only)")
    password = st.text_input("Initial password (8+ characters)", type="password")
    if st.form_submit_button("Create user", type="primary"):
        try:
            u = create_user(store, username.strip(), password, role, merchant_id=merchant.strip() or None,
                            actor=admin.username)
        except AuthError as exc:
            st.error(str(exc))
        else:
            st.success(f"Created {u.role} '{u.username}'.")
            st.rerun()
with b, st.form("manage_user"):
    st.subheader("Change a user")
    target = st.selectbox("User", [u.username for u in accounts])
    new_password = st.text_input("New password (leave empty to keep)", type="password")
    active = st.toggle("Active", value=next((u.active for u in accounts if u.username == target), True))
    if st.form_submit_button("Save"):
        try:
            if new_password:
                set_password(store, target, new_password, actor=admin.username)
            if target == admin.username and not active:
                raise AuthError("you cannot disable your own account")
            set_active(store, target, active, actor=admin.username)
        except AuthError as exc:
            st.error(str(exc))
        else:
            st.success(f"Updated '{target}'.")
