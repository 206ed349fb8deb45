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


def test_every_problem_with_a_new_account_is_named_at_once(db):
    at = make_app(ADMIN, "pages/users.py")
    _fill(at, name="x", role="merchant", merchant="", password="short")
    (shown,) = [e.value for e in at.error]
    assert shown.splitlines() == [
        "- " + plain("User names are 2-64 letters, digits, '.', '_', '-' or '@'."),
        "- " + plain("A merchant account needs a merchant id."),
        "- " + plain("The password needs at least 8 characters."),
    ]
    assert _form(at)["new_username"] == "x" and get_user(db, "x") is None


class Browser:
    """Drives an AppTest as a browser does, and tells what the browser shows.

    AppTest reads every widget's value from the server's session state, but a browser keeps what
    a widget it already shows holds until the server sends it a value (``set_value``): deleting a
    widget's key on the server, or changing its ``value=`` default, leaves the old value on screen
    (and that value is what the next submit sends). A newly drawn widget starts at what the server
    sends. A ``clear_on_submit`` form resets its widgets to their defaults right after a submit.
    """

    def __init__(self, at):
        self.at = at
        self.shown: dict[str, object] = {}
        self._typed: dict[str, object] = {}
        self._look(mounted={})

    def _widgets(self):
        return [*self.at.text_input, *self.at.selectbox, *self.at.toggle, *self.at.checkbox]

    def widget(self, key):
        return next(w for w in self._widgets() if w.key == key)

    def key(self, prefix):
        """The key of the one widget on the page whose key starts with ``prefix``."""
        (key,) = [w.key for w in self._widgets() if w.key and w.key.startswith(prefix)]
        return key

    def shows(self, key):
        return self.shown[self.widget(key).id]

    def set(self, key, value):
        """Type, pick or switch; outside a form that reruns the app at once, as in a browser."""
        w = self.widget(key)
        self._typed[w.id] = value
        if not w.proto.form_id:
            self._run(None)
        return self

    def press(self, label):
        button = next(b for b in self.at.button if b.label == label)
        return self._run(button)

    @staticmethod
    def _default(w):
        return w.options[w.proto.default] if w.type == "selectbox" else w.proto.default

    def _run(self, button):
        form = button.proto.form_id if button is not None else ""
        before = {w.id: w for w in self._widgets()}
        shown = {**self.shown, **self._typed}
        self._typed = {}
        for wid, w in before.items():
            w.set_value(shown[wid])  # what the browser holds is what it sends
        clears = any(
            b.type == "form" and b.proto.form.form_id == form and b.proto.form.clear_on_submit for b in self.at.main
        )
        if clears:
            shown |= {wid: self._default(w) for wid, w in before.items() if w.proto.form_id == form}
        if button is not None:
            button.click()
        self.at.run()
        assert not self.at.exception, [e.message for e in self.at.exception]
        self._look(mounted=shown)
        return self

    def _look(self, *, mounted):
        self.shown = {
            w.id: w.value if w.proto.set_value or w.id not in mounted else mounted[w.id] for w in self._widgets()
        }


def _people(db):
    from core.services.accounts import add_user

    add_user(db, actor=ADMIN, username="mia", password="long-enough-1", role="merchant", merchant_id="acme-home")
    add_user(db, actor=ADMIN, username="rita", password="long-enough-1", role="reviewer")


def _change_form(b):
    return {
        "role": b.shows(b.key("role_")),
        "merchant": b.shows(b.key("merchant_")),
        "password": b.shows(b.key("password_")),
        "active": b.shows(b.key("active_")),
    }


def test_a_password_change_after_disabling_keeps_the_account_disabled(db):
    _people(db)
    b = Browser(make_app(ADMIN, "pages/users.py"))
    b.set("manage_target", "mia")
    assert _change_form(b) == {"role": "merchant", "merchant": "acme-home", "password": "", "active": True}
    b.set(b.key("active_"), False).press("Save")
    assert [s.value for s in b.at.success] == ["Updated 'mia': disabled."]
    assert get_user(db, "mia").active is False
    assert b.shows(b.key("active_")) is False, "the toggle must show the stored state after a save"
    b.set(b.key("password_"), "a new password 2").press("Save")
    assert [s.value for s in b.at.success] == ["Updated 'mia': password."]
    assert get_user(db, "mia").active is False
    assert _change_form(b) == {"role": "merchant", "merchant": "acme-home", "password": "", "active": False}


def test_switching_the_user_shows_that_users_stored_state(db):
    _people(db)
    b = Browser(make_app(ADMIN, "pages/users.py"))
    b.set("manage_target", "mia")
    b.set(b.key("active_"), False).press("Save")
    b.set("manage_target", "rita")
    assert _change_form(b) == {"role": "reviewer", "merchant": "", "password": "", "active": True}
    b.set(b.key("password_"), "typed, not saved")  # left unsaved when switching away
    b.set("manage_target", "mia")
    assert _change_form(b) == {"role": "merchant", "merchant": "acme-home", "password": "", "active": False}
    b.press("Save")
    assert [s.value for s in b.at.success] == ["Nothing to change for 'mia'."]
    assert get_user(db, "mia").active is False


def test_the_add_form_empties_after_a_create_and_keeps_a_refused_one(db):
    b = Browser(make_app(ADMIN, "pages/users.py"))
    b.set("new_username", "carl").set("new_password", "short").press("Create user")
    assert "at least 8 characters" in texts(b.at)
    assert [b.shows(k) for k in ("new_username", "new_role", "new_merchant", "new_password")] == [
        "carl",
        "reviewer",
        "",
        "short",
    ]
    b.set("new_password", "long enough pw").press("Create user")
    assert [s.value for s in b.at.success] == ["Created reviewer 'carl'."]
    assert [b.shows(k) for k in ("new_username", "new_role", "new_merchant", "new_password")] == [
        "",
        "reviewer",
        "",
        "",
    ], "the browser must show an empty form after a create"
    b.press("Create user")  # what an empty form sends
    assert "is taken" not in texts(b.at)


def test_a_refused_change_keeps_what_was_typed_and_stores_nothing(db):
    _people(db)
    b = Browser(make_app(ADMIN, "pages/users.py"))
    b.set("manage_target", "mia")
    b.set(b.key("merchant_"), "other-shop").set(b.key("password_"), "short").set(b.key("active_"), False)
    b.press("Save")
    assert "at least 8 characters" in texts(b.at)
    assert _change_form(b) == {"role": "merchant", "merchant": "other-shop", "password": "short", "active": False}
    mia = get_user(db, "mia")
    assert (mia.merchant_id, mia.active) == ("acme-home", True)


def test_the_change_form_says_what_it_changed_and_treats_merchant_ids_as_the_add_form_does(db):
    _people(db)
    b = Browser(make_app(ADMIN, "pages/users.py"))
    b.set("manage_target", "mia")
    b.set(b.key("merchant_"), "north-shop").press("Save")
    assert [s.value for s in b.at.success] == ["Updated 'mia': merchant id."]
    assert get_user(db, "mia").merchant_id == "north-shop"
    b.set(b.key("merchant_"), "").press("Save")
    assert [e.value for e in b.at.error] == [plain("A merchant account needs a merchant id; it cannot be left empty.")]
    assert get_user(db, "mia").merchant_id == "north-shop"
    b.set("manage_target", "rita")
    b.set(b.key("merchant_"), "acme-home").press("Save")
    assert "Only merchant accounts have a merchant id" in texts(b.at)
    assert not b.at.success and get_user(db, "rita").merchant_id is None


def test_a_password_like_the_user_name_is_refused_on_the_page(db):
    at = make_app(ADMIN, "pages/users.py")
    _fill(at, name="margaret", role="reviewer", merchant="", password="Margaret!2024")
    assert [e.value for e in at.error] == [plain("The password cannot contain the user name.")]
    _fill(at, name="margaret", role="reviewer", merchant="", password=" " * 8)
    assert [e.value for e in at.error] == [plain("The password cannot be only spaces.")]
    assert get_user(db, "margaret") is None


def test_an_admin_who_changes_their_own_password_stays_signed_in(db):
    b = Browser(make_app(ADMIN, "pages/users.py"))
    b.set("manage_target", "admin")
    b.set(b.key("password_"), "a new password 3").press("Save")
    assert [s.value for s in b.at.success] == [
        "Updated 'admin': password. You stay signed in here; your other sign-ins were ended."
    ]
    assert "Sign in" not in [s.label for s in b.at.button]  # still on the Users page
    assert b.at.title[0].value == "Users"
    b.at.run()
    assert b.at.title and b.at.title[0].value == "Users"


def test_a_merchant_id_without_images_is_pointed_out_with_the_closest_known_ones(db):
    """Seen in a browser probe: "madisson" for "madison" was accepted in silence, and the merchant
    saw an empty catalogue. A new merchant is still allowed; the page says so and suggests."""
    from core.services.overview import merchant_ids

    known = merchant_ids(db)
    assert known, "the seeded store has merchants"
    typo = known[0] + "x"
    at = make_app(ADMIN, "pages/users.py")
    _fill(at, name="tom", role="merchant", merchant=typo, password="long enough pw")
    assert [s.value for s in at.success] == ["Created merchant 'tom'."]
    (note,) = [w.value for w in at.warning]
    assert (
        plain(f"No images are stored under merchant '{typo}' yet") in note
        and plain(f"Did you mean '{known[0]}'?") in note
    )
    assert get_user(db, "tom").merchant_id == typo  # allowed: a new merchant has no images yet
    _fill(at, name="ann", role="merchant", merchant=known[0], password="long enough pw")
    assert not at.warning  # a merchant with images: nothing to say
