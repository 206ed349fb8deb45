"""Stored scores follow the engine: stale measurements are found, redone from the stored original,
and a run can stop and resume."""

import json

import cv2
import pytest
from sqlalchemy import select, update

from core.engine import ENGINE_VERSION
from core.store.database import analyses, scores
from core.store.intake import ingest_files
from core.store.remeasure import count_stale, remeasure_stale, stale_version_ids
from tests.conftest import encode


def _age(store, **values):
    """Make every stored analysis look as if an older engine had measured it."""
    with store.write() as conn:
        conn.execute(update(analyses).values(engine_version="1.0.0", **values))


def test_fresh_ingest_is_not_stale(store, photo):
    ingest_files(store, [("a.jpg", encode(photo, "JPEG", quality=90))], merchant_id="m1")
    assert count_stale(store) == 0


def test_remeasure_redoes_metrics_and_scores_from_the_stored_original(store, photo):
    ingest_files(
        store,
        [("a.jpg", encode(photo, "JPEG", quality=90)), ("b.png", encode(cv2.resize(photo, (300, 300))))],
        merchant_id="m1",
    )
    with store.read() as conn:
        before = {r.version_id: r.metrics_json for r in conn.execute(select(analyses)).all()}
    # An old engine measured something else and stored no colour layout.
    _age(store, metrics_json=json.dumps({"sharpness": 1.0}), colors="")
    with store.write() as conn:
        conn.execute(update(scores).values(score=1.0, engine_version="1.0.0"))
    assert count_stale(store) == 2 and len(stale_version_ids(store)) == 2

    seen = []
    report = remeasure_stale(store, progress=lambda done, total: seen.append((done, total)))
    assert report.remeasured == 2 and report.failed == () and seen[-1] == (2, 2)
    assert count_stale(store) == 0
    with store.read() as conn:
        rows = conn.execute(select(analyses)).all()
        assert {r.version_id: r.metrics_json for r in rows} == before  # the same engine measures the same
        assert all(r.engine_version == ENGINE_VERSION and r.colors for r in rows)
        assert all(r.score > 1.0 and r.engine_version == ENGINE_VERSION for r in conn.execute(select(scores)).all())


def test_remeasure_is_resumable(store, photo):
    files = [(f"{i}.png", encode(cv2.resize(photo, (200 + 10 * i, 200)))) for i in range(3)]
    ingest_files(store, files, merchant_id="m1")
    _age(store)
    assert remeasure_stale(store, limit=1).remeasured == 1
    assert count_stale(store) == 2
    assert remeasure_stale(store).remeasured == 2 and count_stale(store) == 0


def test_an_unreadable_original_is_reported_and_stays_stale(store, photo):
    ingest_files(store, [("a.png", encode(photo))], merchant_id="m1")
    _age(store)
    for blob in store.blob_dir.rglob("*.png"):
        blob.write_bytes(b"not an image any more")
    report = remeasure_stale(store)
    assert report.remeasured == 0 and len(report.failed) == 1 and count_stale(store) == 1


def test_an_enlarged_fix_is_judged_at_its_sources_resolution_when_saved_and_remeasured(store, photo):
    """A 300-px photo enlarged to 2400 px on Optimize scored as a 2400-px photo and passed the
    resolution checks: enlarging adds pixels, not detail. Saved and re-measured alike, it is
    judged at 300 px (its file still 2400 px wide); a fix that shrinks is judged at its own size."""
    from core.engine.recipe import Recipe, Step
    from core.store.intake import save_optimized
    from core.store.scores import loads_metrics

    ingest_files(store, [("small.png", encode(cv2.resize(photo, (300, 300))))], merchant_id="m1")
    with store.read() as conn:
        (original,) = conn.execute(select(analyses.c.version_id)).scalars()
    big = cv2.resize(cv2.resize(photo, (300, 300)), (2400, 2400), interpolation=cv2.INTER_LANCZOS4)
    recipe = Recipe((Step("resize", {"long_side": 2400}).validated(),))
    enlarged = save_optimized(store, original, big, recipe, created_by="mia", fmt="PNG").version_id
    smaller = save_optimized(store, enlarged, big[::2, ::2].copy(), recipe, created_by="mia", fmt="PNG").version_id

    def judged(vid: int) -> tuple[dict, str]:
        with store.read() as conn:
            metrics = loads_metrics(
                conn.execute(select(analyses.c.metrics_json).where(analyses.c.version_id == vid)).scalar_one()
            )
            issues = conn.execute(
                select(scores.c.issues).where(scores.c.version_id == vid, scores.c.profile == "generic")
            ).scalar_one()
        return metrics, str(issues)

    for _ in range(2):  # as saved, then re-measured by the engine
        metrics, issues = judged(enlarged)
        assert (metrics["long_side"], metrics["width"]) == (300.0, 2400.0) and "low_resolution" in issues
        assert metrics["megapixels"] == pytest.approx(0.09)
        metrics, _ = judged(smaller)  # made from the enlarged fix: 1200 px, still only 300 px of detail
        assert (metrics["long_side"], metrics["width"]) == (300.0, 1200.0)
        _age(store)
        assert remeasure_stale(store).remeasured == 3
    metrics, _ = judged(original)
    assert metrics["long_side"] == metrics["width"] == 300.0
