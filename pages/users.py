"""Users: accounts and roles (administrators only)."""

import pandas as pd
import streamlit as st

from core.services.access import roles_for
from core.services.accounts import (
    AuthError,
    add_user,
    change_form,
    list_users,
    new_user_form,
    new_user_problems,
    unknown_merchant_note,
    update_user,
    user_rows,
)
from core.vocabulary import ROLES, role_label
from pages.common.session import get_store, require_role, session_token
from pages.common.tables import headed, sentence_case
from pages.common.text import plain

admin = require_role(*roles_for("users"))
store = get_store()
st.title("Users")
# What the last submit did, kept across its rerun (one-shot).
flash = st.session_state.pop("users_flash", None)
if flash:
    st.success(flash)
if note := st.session_state.pop("users_note", None):
    st.warning(plain(note))  # quotes the merchant id as typed


def _sentence(exc: Exception | str) -> str:
    """An account error as a sentence on the page; it may quote what was typed, shown as typed."""
    text = str(exc)
    return plain(sentence_case(text) + ("" if text.endswith(".") else "."))


def _sentences(problems: list[str]) -> str:
    """Several account errors at once: one sentence, or a list of them."""
    return _sentence(problems[0]) if len(problems) == 1 else "\n".join(f"- {_sentence(p)}" for p in problems)


accounts = list_users(store)
users_shown = pd.DataFrame(user_rows(accounts))
st.dataframe(users_shown, hide_index=True, key="users_table", column_config=headed(users_shown.columns))


def _show(values: dict[str, object]) -> None:
    """Set widgets (by key) to ``values`` before they are drawn. Only a value set this way reaches
    a browser that already shows the widget: removing the key, or passing another ``value=``,
    changes the server's state while the browser keeps showing (and then sending) the old value."""
    for key, value in values.items():
        st.session_state[key] = value


# The "Add a user" form keeps what was typed when it is refused, and is emptied after a create
# (on the rerun, before its widgets are drawn). Its widgets take their values only from here.
new_keys = {"username": "new_username", "role": "new_role", "merchant_id": "new_merchant", "password": "new_password"}
if st.session_state.pop("new_user_clear", False) or any(k not in st.session_state for k in new_keys.values()):
    _show({new_keys[field]: value for field, value in new_user_form().items()})
a, b = st.columns(2)
a.subheader("Add a user")  # above its form, level with "Change a user"
with a, st.form("new_user"):
    username = st.text_input("User name (an e-mail address links single sign-on)", key="new_username")
    role = st.selectbox("Role", ROLES, key="new_role", format_func=role_label)
    merchant = st.text_input("Merchant id (merchants only)", key="new_merchant")
    password = st.text_input("Initial password (8+ characters)", type="password", key="new_password")
    if st.form_submit_button("Create user", type="primary"):
        fields = {"username": username, "password": password, "role": role, "merchant_id": merchant}
        # Every field's problem at once; add_user still refuses whatever slips past (a race).
        problems, u = new_user_problems(store, **fields), None
        if not problems:
            try:
                u = add_user(store, actor=admin, **fields)
            except AuthError as exc:
                problems = [str(exc)]
        if u is None:
            st.error(_sentences(problems))
        else:
            st.session_state["users_flash"] = f"Created {role_label(u.role).lower()} '{plain(u.username)}'."
            st.session_state["users_note"] = unknown_merchant_note(store, u.merchant_id)
            st.session_state["new_user_clear"] = True
            st.rerun()
with b:
    st.subheader("Change a user")
    # The picker sits outside the form; the form shows the picked user as stored: set when the
    # user is picked, after every save and whenever the stored account changed, and otherwise left
    # as typed (so a refused save can be corrected).
    target = st.selectbox("User", [u.username for u in accounts], key="manage_target")
    current = next((u for u in accounts if u.username == target), None)
    saved = st.session_state.pop("manage_saved", False)
    if current is not None:
        uid = current.user_id
        keys = {
            "role": f"role_{uid}",
            "merchant_id": f"merchant_{uid}",
            "new_password": f"password_{uid}",
            "active": f"active_{uid}",
        }
        stored = change_form(current)
        if (
            saved
            or st.session_state.get("manage_shown") != (uid, stored)
            or any(k not in st.session_state for k in keys.values())
        ):
            _show({keys[field]: value for field, value in stored.items()})
            st.session_state["manage_shown"] = (uid, stored)
        with st.form(f"manage_user_{uid}"):
            new_role = st.selectbox("Role", ROLES, key=keys["role"], format_func=role_label)
            new_merchant = st.text_input("Merchant id (merchants only)", key=keys["merchant_id"])
            new_password = st.text_input(
                "New password (leave empty to keep)", type="password", key=keys["new_password"]
            )
            active = st.toggle("Active", key=keys["active"])
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
                        session=session_token(),
                    )
                except AuthError as exc:
                    st.error(_sentence(exc))
                else:
                    st.session_state["users_flash"] = (
                        f"Updated '{plain(current.username)}': {', '.join(changed)}."
                        if changed
                        else f"Nothing to change for '{plain(current.username)}'."
                    ) + (
                        " You stay signed in here; your other sign-ins were ended."
                        if "password" in changed and current.username == admin.username
                        else ""
                    )
                    if {"role", "merchant id"} & set(changed) and new_role == "merchant":
                        st.session_state["users_note"] = unknown_merchant_note(store, new_merchant.strip())
                    st.session_state["manage_saved"] = True  # the rerun shows the stored state
                    st.rerun()
