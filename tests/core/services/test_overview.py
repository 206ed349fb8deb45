"""The Overview's numbers (core.services.overview): counted in the database, every status listed."""

from core.services.overview import REVIEW_STATUSES, CatalogFilter, CatalogScope, overview
from core.services.review import record_decision
from core.store.queries import list_images


def test_every_review_status_is_counted_in_order(seeded):
    ov = overview(seeded, CatalogScope(profile="generic"))
    assert list(ov.review_status) == list(REVIEW_STATUSES) == ["unreviewed", "approved", "rejected", "needs_changes"]
    assert ov.review_status == {"unreviewed": 20, "approved": 0, "rejected": 0, "needs_changes": 0}
    first, second = list_images(seeded)[:2]
    record_decision(seeded, version_id=first.version_id, reviewer="rita", decision="approved")
    record_decision(seeded, version_id=second.version_id, reviewer="rita", decision="needs_changes", reasons=["other"])
    ov = overview(seeded, CatalogScope(profile="generic"), CatalogFilter(statuses=["approved"]))
    assert ov.review_status == {"unreviewed": 18, "approved": 1, "rejected": 0, "needs_changes": 1}
    assert ov.total == 20 and ov.shown == 1  # the counts are the scope's, before the filters
