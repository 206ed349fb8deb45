"""Inspect and Review write a score as the Overview's table does: one decimal (core.engine.wording.format_score)."""

from sqlalchemy import update

from core.store.database import scores
from core.store.reviews import next_in_queue
from tests.pages.conftest import ADMIN, REVIEWER, make_app


def _score_of(at) -> str:  # type: ignore[no-untyped-def]
    return next(m.value for m in at.metric if m.label == "Quality score")


def test_inspect_and_review_show_the_score_with_one_decimal(db):
    """Found by a walkthrough: "8.65 / 100" on Inspect and Review, 8.7 on the Overview."""
    first = next_in_queue(db, "rita", order="lowest_score")
    with db.write() as conn:  # the worst image, still the worst, scored with two decimals
        conn.execute(
            update(scores)
            .where(scores.c.version_id == first.version_id, scores.c.profile == "generic")
            .values(score=8.65)
        )
    at = make_app(ADMIN, "pages/inspect.py", {"v": str(first.version_id)})
    assert _score_of(at) == "8.7 / 100"
    at = make_app(REVIEWER, "pages/review.py")
    assert _score_of(at) == "8.7 / 100"
