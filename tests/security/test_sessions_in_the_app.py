"""Issue 8, item 1, in the app: the session is checked on every script run, so a reviewer
disabled while their tab is open cannot approve another image."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.store.accounts import set_active
from tests.conftest import ROOT
from tests.pages.conftest import REVIEWER, sign_in_as, texts


def test_a_disabled_reviewer_is_signed_out_at_the_next_click(db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    sign_in_as(at, REVIEWER)
    at.run()
    at.switch_page("pages/review.py")
    at.run()
    assert not at.exception and "Review queue" in [t.value for t in at.title]
    set_active(db, REVIEWER.username, False)
    approve = next(b for b in at.button if b.label == "Approve")
    approve.click().run()
    assert not at.exception
    assert "Review queue" not in [t.value for t in at.title]
    # The sign-in form (through the router) or the page's own "please sign in" (run directly).
    assert [t.value for t in at.title] == ["Image Quality Desk"] or "Please sign in" in texts(at)
    with db.read() as conn:
        n = conn.exec_driver_sql("SELECT count(*) FROM reviews WHERE reviewer = 'rita'").scalar()
    assert n == 0  # nothing was decided by the disabled account
    assert not at.dataframe and not any(b.label == "Approve" for b in at.button)  # nothing of the page is shown
