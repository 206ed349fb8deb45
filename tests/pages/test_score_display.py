"""Inspect, Review and Optimize write a score as the Overview's table does: one decimal (core.engine.wording.format_score)."""

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

    at = make_app(ADMIN, "pages/optimize.py", {"v": str(first.version_id)})
    assert any(c.value.startswith("Score 8.7 under ") for c in at.caption), [c.value for c in at.caption]
    estimate = next(m.value for m in at.metric if m.label == "Score (estimated)")
    assert estimate.count(".") == 1 and len(estimate.split(".")[1]) == 1, estimate


def test_optimize_shows_a_score_of_zero_as_zero(db):
    """``record.score or nan`` read a score of 0 as no score ("n/a")."""
    first = next_in_queue(db, "rita", order="lowest_score")
    with db.write() as conn:
        conn.execute(
            update(scores)
            .where(scores.c.version_id == first.version_id, scores.c.profile == "generic")
            .values(score=0.0)
        )
    at = make_app(ADMIN, "pages/optimize.py", {"v": str(first.version_id)})
    assert any(c.value.startswith("Score 0.0 under ") for c in at.caption), [c.value for c in at.caption]
