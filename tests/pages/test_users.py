"""The Users page's "Add a user" form: what it says after a submit, and what it keeps."""

from core.store.accounts import get_user
from pages.common.text import plain
from tests.pages.conftest import ADMIN, make_app, texts


def _fill(at, *, name, role, merchant, password):
    form = {t.key: t for t in at.text_input}
    form["new_username"].input(name)
    next(s for s in at.selectbox if s.key == "new_role").set_value(role)
    form["new_merchant"].input(merchant)
    form["new_password"].input(password)
    next(b for b in at.button if b.label == "Create user").click().run()
    assert not at.exception, [e.message for e in at.exception]


def _form(at):
    values = {t.key: t.value for t in at.text_input if t.key and t.key.startswith("new_")}
    values["new_role"] = next(s for s in at.selectbox if s.key == "new_role").value
    return values


def test_a_created_account_is_announced_after_the_rerun_and_the_form_is_cleared(db):
    at = make_app(ADMIN, "pages/users.py")
    _fill(at, name="new_bie", role="merchant", merchant="shop-9", password="long enough pw")
    assert [s.value for s in at.success] == ["Created merchant 'new\\_bie'."]  # the name as plain text
    assert _form(at) == {"new_username": "", "new_merchant": "", "new_password": "", "new_role": "reviewer"}
    at.run()  # one-shot: the next run no longer says it
    assert not at.success


def test_a_refused_account_keeps_what_was_typed(db):
    at = make_app(ADMIN, "pages/users.py")
    _fill(at, name="newbie", role="merchant", merchant="shop-9", password="short")
    assert "at least 8 characters" in texts(at)
    assert _form(at) == {
        "new_username": "newbie",
        "new_role": "merchant",
        "new_merchant": "shop-9",
        "new_password": "short",
    }
    _fill(at, name="newbie", role="merchant", merchant="", password="long enough pw")
    assert "A merchant account needs a merchant id" in texts(at)
    assert _form(at)["new_username"] == "newbie" and _form(at)["new_role"] == "merchant"
    assert get_user(db, "newbie") is None


def test_a_merchant_id_for_a_reviewer_is_refused_not_dropped(db):
    at = make_app(ADMIN, "pages/users.py")
    _fill(at, name="rev", role="reviewer", merchant="shop-9", password="long enough pw")
    assert "Only merchant accounts have a merchant id" in texts(at)
    assert get_user(db, "rev") is None
    assert _form(at)["new_merchant"] == "shop-9"


def test_an_account_error_reads_as_a_sentence_and_shows_what_was_typed_as_typed(db):
    from core.services.accounts import add_user

    add_user(db, actor=ADMIN, username="a_nn_b", password="long-enough-1", role="reviewer", merchant_id="")
    at = make_app(ADMIN, "pages/users.py")
    _fill(at, name="a_nn_b", role="reviewer", merchant="", password="long-enough-2")
    # Capitalised and closed, and the name's underscores stay underscores (not italics).
    assert [e.value for e in at.error] == [plain("The user name 'a_nn_b' is taken.")]
