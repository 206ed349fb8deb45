"""Image Quality Desk: the router. Which pages exist depends on who is signed in."""

import streamlit as st

from pages.common.session import ROLE_LABELS, current_user, get_store, sign_out, sync_cookie

st.set_page_config(page_title="Image Quality Desk", page_icon="📷", layout="wide")
get_store()  # first start: create the database, the default admin and the sample catalogue

PAGES = {
    "sign_in": st.Page("pages/sign_in.py", title="Sign in", icon=":material/login:", url_path="sign-in"),
    "overview": st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", url_path="overview"),
    "inspect": st.Page("pages/inspect.py", title="Inspect", icon=":material/search:", url_path="inspect"),
    "optimize": st.Page("pages/optimize.py", title="Optimize", icon=":material/tune:", url_path="optimize"),
    "review": st.Page("pages/review.py", title="Review", icon=":material/fact_check:", url_path="review"),
    "feedback": st.Page("pages/feedback.py", title="Feedback", icon=":material/insights:", url_path="feedback"),
    "upload": st.Page("pages/upload.py", title="Upload", icon=":material/upload:", url_path="upload"),
    "users": st.Page("pages/users.py", title="Users", icon=":material/group:", url_path="users"),
}
BY_ROLE = {
    "admin": {"Catalog": ["overview", "inspect", "optimize"], "Review": ["review", "feedback"],
              "Manage": ["upload", "users"]},
    "reviewer": {"Catalog": ["overview", "inspect", "optimize"], "Review": ["review", "feedback"]},
    "merchant": {"My images": ["overview", "inspect", "optimize", "upload"]},
}

user = current_user()
sync_cookie()
if user is None:
    page = st.navigation([PAGES["sign_in"]], position="hidden")
else:
    page = st.navigation({section: [PAGES[name] for name in names] for section, names in BY_ROLE[user.role].items()})
    with st.sidebar:
        who = f"**{user.username}** · {ROLE_LABELS[user.role]}"
        st.markdown(who + (f" · `{user.merchant_id}`" if user.merchant_id else ""))
        if st.button("Sign out", icon=":material/logout:"):
            sign_out()
            st.rerun()
page.run()
