"""The Users form's rules (core.services.accounts.update_user): all of it, or nothing."""

import pytest

from core.services.accounts import (
    AuthError,
    add_user,
    create_user,
    list_users,
    new_user_problems,
    update_user,
)
from core.store.accounts import staff_merchant_id
from core.vocabulary import ROLES


@pytest.fixture()
def people(store):
    boss = create_user(store, username="boss", password="in charge 42", role="admin")
    rita = create_user(store, username="rita", password="correct horse", role="reviewer")
    return boss, rita


def _active(store):
    return {u.username: u.active for u in list_users(store)}


def test_you_cannot_disable_your_own_account(store, people):
    boss, _ = people
    with pytest.raises(AuthError, match="cannot disable your own account"):
        update_user(store, actor=boss, target="boss", active=False, new_password="a new password")
    assert _active(store) == {"boss": True, "rita": True}


def test_you_cannot_take_away_your_own_role(store, people):
    boss, _ = people
    with pytest.raises(AuthError, match="cannot change your own role"):
        update_user(store, actor=boss, target="boss", active=True, role="reviewer")


def test_an_admin_disables_someone_else(store, people):
    boss, _ = people
    assert update_user(store, actor=boss, target="rita", active=False) == ["disabled"]
    assert _active(store) == {"boss": True, "rita": False}
    assert update_user(store, actor=boss, target="rita", active=True) == ["enabled"]


def test_a_bad_password_changes_nothing(store, people):
    boss, _ = people
    with pytest.raises(AuthError, match="at least 8"):
        update_user(store, actor=boss, target="rita", active=False, new_password="short")
    assert _active(store)["rita"] is True


def test_single_sign_on_finds_the_active_account_named_by_the_e_mail(store, people):
    from core.services.accounts import account_for_email

    boss, _ = people
    create_user(store, username="Ann@Shop.example", password="correct horse", role="merchant", merchant_id="shop")
    create_user(store, username="bob@shop.example", password="correct horse", role="reviewer")
    update_user(store, actor=boss, target="bob@shop.example", active=False)
    assert account_for_email(store, "ann@SHOP.example").username == "Ann@Shop.example"
    assert account_for_email(store, "bob@shop.example") is None  # disabled
    assert account_for_email(store, "nobody@shop.example") is None
    assert account_for_email(store, "") is None


def test_the_users_table_lists_every_account(store, people):
    from core.services.accounts import user_rows

    create_user(store, username="mia", password="correct horse", role="merchant", merchant_id="acme-home")
    assert user_rows(list_users(store)) == [
        {"user": "boss", "role": "Administrator", "merchant": "", "active": True},
        {"user": "mia", "role": "Merchant", "merchant": "acme-home", "active": True},
        {"user": "rita", "role": "Reviewer", "merchant": "", "active": True},
    ]


def test_a_merchant_id_for_staff_is_refused_not_dropped(store, people):
    from core.services.accounts import add_user

    boss, _ = people
    with pytest.raises(AuthError, match="only merchant accounts have a merchant id"):
        add_user(store, actor=boss, username="sam", password="correct horse", role="reviewer", merchant_id="acme")
    assert "sam" not in _active(store)
    sam = add_user(store, actor=boss, username=" sam ", password="correct horse", role="reviewer", merchant_id="  ")
    mia = add_user(store, actor=boss, username="mia", password="correct horse", role="merchant", merchant_id=" acme ")
    assert (sam.username, sam.merchant_id) == ("sam", None)
    assert (mia.role, mia.merchant_id) == ("merchant", "acme")


def _account(store, name):
    u = next(u for u in list_users(store) if u.username == name)
    return u.role, u.merchant_id


def test_the_change_form_refuses_a_merchant_id_for_staff_as_the_add_form_does(store, people):
    boss, _ = people
    for role in ("reviewer", "admin"):
        with pytest.raises(AuthError, match=f"only merchant accounts have a merchant id.*for a {role}"):
            update_user(store, actor=boss, target="rita", active=True, role=role, merchant_id="acme")
    assert _account(store, "rita") == ("reviewer", None)
    create_user(store, username="bob", password="correct horse", role="merchant", merchant_id="acme-home")
    with pytest.raises(AuthError, match="only merchant accounts have a merchant id"):  # the field still holds it
        update_user(store, actor=boss, target="bob", active=True, role="reviewer", merchant_id="acme-home")
    assert _account(store, "bob") == ("merchant", "acme-home")
    assert update_user(store, actor=boss, target="bob", active=True, role="reviewer", merchant_id=" ") == [
        "role",
        "merchant id",
    ]
    assert _account(store, "bob") == ("reviewer", None)


def test_a_merchants_id_cannot_be_cleared(store, people):
    boss, _ = people
    create_user(store, username="bob", password="correct horse", role="merchant", merchant_id="acme-home")
    with pytest.raises(AuthError, match="a merchant account needs a merchant id; it cannot be left empty"):
        update_user(store, actor=boss, target="bob", active=True, role="merchant", merchant_id="  ")
    with pytest.raises(AuthError, match="a merchant account needs a merchant id$"):
        update_user(store, actor=boss, target="rita", active=True, role="merchant", merchant_id="")
    assert _account(store, "bob") == ("merchant", "acme-home") and _account(store, "rita") == ("reviewer", None)


def test_the_change_form_says_what_changed(store, people):
    boss, _ = people
    create_user(store, username="bob", password="correct horse", role="merchant", merchant_id="acme-home")
    assert update_user(store, actor=boss, target="bob", active=True, role="merchant", merchant_id=" acme-home ") == []
    assert update_user(store, actor=boss, target="bob", active=True, role="merchant", merchant_id="north") == [
        "merchant id"
    ]
    assert _account(store, "bob") == ("merchant", "north")
    assert update_user(store, actor=boss, target="rita", active=True, role="merchant", merchant_id="zeta") == [
        "role",
        "merchant id",
    ]
    assert update_user(store, actor=boss, target="rita", active=False, role="admin", merchant_id="") == [
        "role",
        "merchant id",
        "disabled",
    ]
    assert _account(store, "rita") == ("admin", None)
    with pytest.raises(AuthError, match="at most 64 characters"):
        update_user(store, actor=boss, target="bob", active=True, role="merchant", merchant_id="m" * 65)
    assert _account(store, "bob") == ("merchant", "north")


def test_set_role_refuses_a_merchant_id_for_staff(store, people):
    from core.store.accounts import set_role

    with pytest.raises(AuthError, match="only merchant accounts have a merchant id"):
        set_role(store, username="rita", role="admin", merchant_id="acme")
    assert _account(store, "rita") == ("reviewer", None)


def test_a_new_password_like_the_user_name_changes_nothing(store, people):
    boss, rita = people
    for password in ("RITA rita RITA", " " * 9):
        with pytest.raises(AuthError, match="user name|only spaces"):
            update_user(store, actor=boss, target="rita", active=False, new_password=password)
    assert _active(store)["rita"] is True
    from core.services.accounts import add_user

    with pytest.raises(AuthError, match="cannot be the user name"):
        add_user(store, actor=boss, username=" sam-the-man ", password="Sam-The-Man", role="reviewer")


def test_the_users_form_cannot_remove_the_last_active_administrator(store, people):
    boss, _ = people
    ada = create_user(store, username="ada", password="correct horse", role="admin")
    update_user(store, actor=ada, target="boss", active=True, role="reviewer")
    # ada, the last active administrator, is protected even if someone acts in her stead
    for change in ({"active": False}, {"active": True, "role": "merchant", "merchant_id": "acme"}):
        with pytest.raises(AuthError, match="'ada' is the only active administrator"):
            update_user(store, actor=boss, target="ada", new_password="a new passphrase", **change)
    from core.store.accounts import authenticate

    assert authenticate(store, "ada", "correct horse") is not None  # the password was not changed either


def test_changing_your_own_password_keeps_you_signed_in_where_you_changed_it(store, people):
    from core.services.sessions import session_user, start_session

    boss, rita = people
    here, elsewhere = start_session(store, boss), start_session(store, boss)
    theirs = start_session(store, rita)
    assert update_user(store, actor=boss, target="boss", active=True, new_password="a new phrase 7", session=here) == [
        "password"
    ]
    assert session_user(store, here).username == "boss"
    assert session_user(store, elsewhere) is None  # another browser with the old password
    assert session_user(store, theirs).username == "rita"
    # Someone else's password: every session of theirs ends, whoever's session sent the form.
    other = start_session(store, rita)
    update_user(store, actor=boss, target="rita", active=True, new_password="a new phrase 8", session=other)
    assert session_user(store, other) is None and session_user(store, theirs) is None


def test_the_add_form_names_every_problem_at_once_in_the_forms_order(store, people):
    assert new_user_problems(store, username="rita", password="short", role="merchant", merchant_id="") == [
        "the user name 'rita' is taken",
        "a merchant account needs a merchant id",
        "the password needs at least 8 characters",
    ]
    assert new_user_problems(store, username="x", password="x-password", role="reviewer", merchant_id="shop-1") == [
        "user names are 2-64 letters, digits, '.', '_', '-' or '@'",
        str(staff_merchant_id("reviewer")),
    ]
    assert new_user_problems(store, username="newcomer", password="long enough", role="owner") == [
        "role must be one of " + ", ".join(ROLES)
    ]


def test_what_the_add_form_finds_nothing_wrong_with_is_created(store, people):
    fields = {"username": " shop.owner@example.com ", "password": "long enough", "role": "merchant"}
    assert new_user_problems(store, merchant_id="shop-1", **fields) == []
    boss, _ = people
    made = add_user(store, actor=boss, merchant_id="shop-1", **fields)
    assert (made.username, made.merchant_id) == ("shop.owner@example.com", "shop-1")
    # Each rule is the one add_user applies: what it refuses, the form named first.
    assert new_user_problems(store, merchant_id="shop-1", **fields) == [
        "the user name 'shop.owner@example.com' is taken"
    ]
    with pytest.raises(AuthError, match="is taken"):
        add_user(store, actor=boss, merchant_id="shop-1", **fields)


def test_a_merchant_id_differing_from_one_in_use_only_in_case_is_refused(store, people):
    """Found by a browser probe: "ACME-HOME" was accepted beside "acme-home" (Upload refuses it):
    ids are case-sensitive, so the account would never see acme-home's images."""
    boss, _ = people
    create_user(store, username="bob", password="correct horse", role="merchant", merchant_id="acme-home")
    fields = {"username": "ann", "password": "correct horse", "role": "merchant"}
    problems = new_user_problems(store, merchant_id="ACME-HOME", **fields)
    assert len(problems) == 1 and "only in upper and lower case" in problems[0] and "'acme-home'" in problems[0]
    with pytest.raises(AuthError, match="only in upper and lower case"):
        add_user(store, actor=boss, merchant_id="ACME-HOME", **fields)
    assert "ann" not in _active(store)
    create_user(store, username="cy", password="correct horse", role="merchant", merchant_id="other")
    with pytest.raises(AuthError, match="only in upper and lower case"):
        update_user(store, actor=boss, target="cy", active=True, role="merchant", merchant_id="Acme-Home")
    assert _account(store, "cy") == ("merchant", "other")
    # The exact id, and an account's own id in another case when nothing else uses it, are fine.
    assert new_user_problems(store, merchant_id="acme-home", **fields) == []
    assert update_user(store, actor=boss, target="bob", active=True, role="merchant", merchant_id="ACME-home") == [
        "merchant id"
    ]
