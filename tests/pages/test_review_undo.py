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
    assert toasts == [f"Undid “Approved” on {plain(version_name(db, item.version_id))}"]
    assert "#" not in toasts[0] and item.file_name


def test_undo_brings_back_the_reasons_and_comment(db):
    """Found by a browser probe: undoing a rejection (a wrong key) brought the image back with the
    suggested reasons and an empty comment, so what the reviewer had written was lost."""
    at = make_app(REVIEWER, "pages/review.py")
    item = next_in_queue(db, "rita")
    reasons = next(m for m in at.multiselect if m.label.startswith("Reasons"))
    chosen = ["other"]
    reasons.set_value(chosen)
    next(t for t in at.text_area if t.label == "Comment for the merchant").input("Please reshoot on white")
    at.run()
    next(b for b in at.button if b.label == "Reject").click().run()
    assert next_in_queue(db, "rita").version_id != item.version_id
    next(b for b in at.button if b.label == "Undo my last decision").click().run()
    assert not at.exception and not any("Session State" in str(w.value) for w in at.warning)
    assert next(m for m in at.multiselect if m.label.startswith("Reasons")).value == chosen
    assert next(t for t in at.text_area if t.label == "Comment for the merchant").value == "Please reshoot on white"
    assert f"#{item.version_id}" in " ".join(c.value for c in at.caption)
