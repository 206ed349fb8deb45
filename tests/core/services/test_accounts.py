"""The Users form's rules (core.services.accounts.update_user): all of it, or nothing."""

import pytest

from core.services.accounts import AuthError, create_user, list_users, update_user


@pytest.fixture()
def people(store):
    boss = create_user(store, username="boss", password="boss password", role="admin")
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
        {"user": "boss", "role": "admin", "merchant": "", "active": True},
        {"user": "mia", "role": "merchant", "merchant": "acme-home", "active": True},
        {"user": "rita", "role": "reviewer", "merchant": "", "active": True},
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
