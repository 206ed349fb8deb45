import pytest

from core.services.access import (
    NAVIGATION,
    PAGES,
    can_open,
    may_save_profiles,
    may_set_double_review,
    merchant_scope,
    navigation,
    roles_for,
    sees_reviewer_names,
)
from core.store.accounts import User
from core.vocabulary import ROLES


def test_policy_covers_every_role_and_page():
    assert set(NAVIGATION) == set(ROLES)
    listed = {p for sections in NAVIGATION.values() for names in sections.values() for p in names}
    assert listed == set(PAGES)


def test_who_opens_what():
    assert roles_for("overview") == ("admin", "reviewer", "merchant")
    assert roles_for("review") == roles_for("feedback") == ("admin", "reviewer")
    assert roles_for("upload") == ("admin", "merchant")
    assert roles_for("users") == ("admin",)
    assert can_open("merchant", "upload") and not can_open("merchant", "review")
    assert not can_open("reviewer", "users") and not can_open("nobody", "overview")
    assert navigation("merchant") == {"My images": ("overview", "inspect", "optimize", "upload")}
    assert navigation("nobody") == {}


def test_unknown_page_is_an_error():
    with pytest.raises(ValueError, match="unknown page 'secret'"):
        roles_for("secret")


def test_merchants_are_scoped_and_do_not_see_reviewers():
    assert merchant_scope(User(username="mia", role="merchant", merchant_id="acme-home")) == "acme-home"
    assert merchant_scope(User(username="rita", role="reviewer", merchant_id=None)) is None
    assert merchant_scope(User(username="root", role="admin", merchant_id=None)) is None
    assert not sees_reviewer_names("merchant")
    assert sees_reviewer_names("reviewer") and sees_reviewer_names("admin")


def test_only_administrators_save_tuned_profiles_and_set_double_review():
    assert [r for r in ROLES if may_save_profiles(r)] == ["admin"]
    assert [r for r in ROLES if may_set_double_review(r)] == ["admin"]


def test_an_empty_catalogue_points_each_role_at_a_page_it_can_open():
    """Found by a browser probe: a reviewer on an empty store was told to use the Upload page,
    which they cannot open."""
    from core.services.access import no_images_note

    assert "Upload page" in no_images_note("admin") and "Upload page" in no_images_note("merchant")
    assert no_images_note("merchant").startswith("You have no images")
    reviewer = no_images_note("reviewer")
    assert "Upload" not in reviewer and "appear here" in reviewer
