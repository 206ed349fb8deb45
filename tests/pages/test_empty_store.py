"""Every page on a store with no images and no decisions says something useful: where images come
from (for the role), never an empty table, an empty filter box or a bare "No images yet."
Found by a browser probe."""

import pytest

from tests.pages.conftest import ADMIN, MERCHANT, REVIEWER, make_app, point_app_at, texts


@pytest.fixture()
def empty_root(tmp_path, monkeypatch, database_url):
    """A store without the sample catalogue (the first start would load it)."""
    import core.services.startup as startup

    root = tmp_path / "empty"
    point_app_at(monkeypatch, root, database_url)
    monkeypatch.setattr(startup, "seed_samples", lambda store, folder=None: None)
    return root


@pytest.mark.parametrize("user", [ADMIN, REVIEWER, MERCHANT], ids=lambda u: u.role)
@pytest.mark.parametrize("page", ["overview", "inspect", "optimize"])
def test_catalogue_pages_say_where_images_come_from(empty_root, user, page):
    from core.services.access import no_images_note

    at = make_app(user, f"pages/{page}.py")
    assert [i.value for i in at.info] == [no_images_note(user.role)]
    assert at.title, "the page still says which page it is"
    assert not at.dataframe and not at.multiselect and not at.selectbox[1:]  # no empty table or filters


def test_feedback_without_decisions_shows_no_empty_table(empty_root):
    at = make_app(REVIEWER, "pages/feedback.py")
    assert not at.dataframe and not any(b.label.startswith("Download") for b in at.get("download_button"))
    assert "No decision matches these filters" in texts(at) and "Review page" in texts(at)


def test_an_empty_queue_does_not_congratulate(empty_root):
    at = make_app(REVIEWER, "pages/review.py")
    assert "Nice work" not in texts(at)
    assert "Nothing is waiting for review" in texts(at)


@pytest.mark.parametrize("user", [ADMIN, REVIEWER, MERCHANT], ids=lambda u: u.role)
@pytest.mark.parametrize("page", ["overview", "inspect", "optimize"])
def test_the_note_links_to_the_upload_page_it_names(empty_root, user, page):
    """On a phone the menu is folded away: "Upload your product photos on the Upload page" named a
    page with no way there. A role that uploads gets the link; a reviewer, who cannot, none."""
    at = make_app(user, f"pages/{page}.py")
    links = [(link.proto.page, link.proto.label) for link in at.get("page_link")]
    assert links == ([] if user is REVIEWER else [("upload", "Upload images")])
