"""Image Quality Desk: the router. Which pages the menu shows depends on who is signed in."""

import streamlit as st

from core.services.access import navigation
from core.vocabulary import role_label
from pages.common.layout import page_styles
from pages.common.session import current_user, follow_deep_link, get_store, sign_out, sync_cookie
from pages.common.sign_in_form import sign_in_form

st.set_page_config(page_title="Image Quality Desk", page_icon="📷", layout="wide")
get_store()  # first start: create the database, the default admin and the sample catalogue
page_styles()  # touch screens: tables clear of the element above (pages.common.layout)

PAGE_SPECS = {  # name: (script, title, icon, url path)
    # sign-in.py, named as its address: in a server's first seconds, before any session has run
    # this router, Streamlit serves pages/ by file name, and "/sign-in" must be found there too.
    "sign_in": ("pages/sign-in.py", "Sign in", ":material/login:", "sign-in"),
    "overview": ("pages/overview.py", "Overview", ":material/dashboard:", "overview"),
    "inspect": ("pages/inspect.py", "Inspect", ":material/search:", "inspect"),
    "optimize": ("pages/optimize.py", "Optimize", ":material/tune:", "optimize"),
    "review": ("pages/review.py", "Review", ":material/fact_check:", "review"),
    "feedback": ("pages/feedback.py", "Feedback", ":material/insights:", "feedback"),
    "upload": ("pages/upload.py", "Upload", ":material/upload:", "upload"),
    "users": ("pages/users.py", "Users", ":material/group:", "users"),
}


def _page(name: str, *, visible: bool) -> st.Page:
    script, title, icon, url = PAGE_SPECS[name]
    return st.Page(script, title=title, icon=icon, url_path=url, visibility="visible" if visible else "hidden")


def _home() -> None:
    st.switch_page("pages/overview.py")


# Every address exists for everyone (no "Page not found"); the menu shows only the role's pages.
# A signed-out visitor gets the sign-in form at whatever address they opened; signing in reruns
# that same address (query string included), and the page itself checks the role.
user = current_user()
sections = navigation(user.role) if user is not None else {}  # the role policy: core.services.access
shown = {name for names in sections.values() for name in names}
menu: dict[str, list[st.Page]] = {
    section: [_page(name, visible=True) for name in names] for section, names in sections.items()
}
menu[""] = [
    # The default page's address is the root whatever its url_path (which names it inside Streamlit);
    # "/home", which people type, is a second hidden page doing the same.
    st.Page(
        _home, title="Image Quality Desk", icon=":material/home:", url_path="root", default=True, visibility="hidden"
    ),
    st.Page(_home, title="Image Quality Desk", icon=":material/home:", url_path="home", visibility="hidden"),
    *[_page(name, visible=False) for name in PAGE_SPECS if name not in shown],
]
page = st.navigation(menu, position="sidebar" if user is not None else "hidden")
follow_deep_link()  # a shared link opened in a new browser session comes back here first
if user is None or page.url_path not in ("", "home", "sign-in"):
    # Not on the addresses that only forward to another page: a forwarded run is cut short,
    # so the browser might never get the cookie written there; the page forwarded to writes it.
    sync_cookie()
if user is None:
    sign_in_form()
else:
    with st.sidebar:
        st.text(f"{user.username} · {role_label(user.role)}" + (f" · {user.merchant_id}" if user.merchant_id else ""))
        if st.button("Sign out", icon=":material/logout:"):
            sign_out()
            st.rerun()
    page.run()
