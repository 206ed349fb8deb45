"""Users: accounts and roles (administrators only)."""

import pandas as pd
import streamlit as st

from core.services.access import roles_for
from core.services.accounts import AuthError, add_user, list_users, update_user, user_rows
from core.vocabulary import ROLES
from pages.common.session import get_store, require_role
from pages.common.text import plain

admin = require_role(*roles_for("users"))
store = get_store()
st.title("Users")
# What the last submit did, kept across its rerun (one-shot).
flash = st.session_state.pop("users_flash", None)
if flash:
    st.success(flash)


def _sentence(exc: Exception) -> str:
    """An account error as a sentence on the page; it may quote what was typed, shown as typed."""
    text = str(exc)
    return plain(text[:1].upper() + text[1:] + ("" if text.endswith(".") else "."))


accounts = list_users(store)
st.dataframe(pd.DataFrame(user_rows(accounts)), hide_index=True, key="users_table")

# The "Add a user" form keeps what was typed when it is refused; a success clears it (before its
# widgets are drawn, the only time Streamlit lets a page set them).
if st.session_state.pop("new_user_clear", False):
    for key in ("new_username", "new_role", "new_merchant", "new_password"):
        st.session_state.pop(key, None)
a, b = st.columns(2)
a.subheader("Add a user")  # above its form, level with "Change a user"
with a, st.form("new_user"):
    username = st.text_input("User name (an e-mail address links single sign-on)", key="new_username")
    role = st.selectbox("Role", ROLES, index=1, key="new_role")
    merchant = st.text_input("Merchant id (merchants only)", key="new_merchant")
    password = st.text_input("Initial password (8+ characters)", type="password", key="new_password")
    if st.form_submit_button("Create user", type="primary"):
        try:
            u = add_user(store, actor=admin, username=username, password=password, role=role, merchant_id=merchant)
        except AuthError as exc:
            st.error(_sentence(exc))
        else:
            st.session_state["users_flash"] = f"Created {u.role} '{plain(u.username)}'."
            st.session_state["new_user_clear"] = True
            st.rerun()
with b:
    st.subheader("Change a user")
    # The picker sits outside the form, so the form below always shows the picked user's state.
    target = st.selectbox("User", [u.username for u in accounts], key="manage_target")
    current = next((u for u in accounts if u.username == target), None)
    if current is not None:
        with st.form(f"manage_user_{current.user_id}", clear_on_submit=True):
            new_role = st.selectbox("Role", ROLES, index=ROLES.index(current.role), key=f"role_{current.user_id}")
            new_merchant = st.text_input(
                "Merchant id (merchants only)", value=current.merchant_id or "", key=f"merchant_{current.user_id}"
            )
            new_password = st.text_input(
                "New password (leave empty to keep)", type="password", key=f"password_{current.user_id}"
            )
            active = st.toggle("Active", value=current.active, key=f"active_{current.user_id}")
            if st.form_submit_button("Save"):
                try:
                    # All checks first, then every change; on any error nothing is stored.
                    changed = update_user(
                        store,
                        actor=admin,
                        target=current.username,
                        active=active,
                        new_password=new_password,
                        role=new_role,
                        merchant_id=new_merchant,
                    )
                except AuthError as exc:
                    st.error(_sentence(exc))
                else:
                    st.session_state["users_flash"] = (
                        f"Updated '{plain(current.username)}': {', '.join(changed)}."
                        if changed
                        else f"Nothing to change for '{plain(current.username)}'."
                    )
                    st.rerun()
