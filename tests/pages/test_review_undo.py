"""The Review page's undo toast names the image as the merchant gave it."""

from core.services.review import version_name
from core.store.reviews import next_in_queue
from pages.common.text import plain
from tests.pages.conftest import REVIEWER, make_app


def test_the_undo_toast_names_the_image(db):
    at = make_app(REVIEWER, "pages/review.py")
    item = next_in_queue(db, "rita")
    next(b for b in at.button if b.label == "Approve").click().run()
    next(b for b in at.button if b.label == "Undo my last decision").click().run()
    toasts = [t.value for t in at.toast]
    assert toasts == [f"Undid 'approved' on {plain(version_name(db, item.version_id))}"]
    assert "#" not in toasts[0] and item.file_name
