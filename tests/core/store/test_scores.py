"""Rescoring a whole store in chunks gives exactly what scoring each version alone gives."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.engine.profiles import load_profile, profile_from_dict
from core.store import scores as scores_module
from core.store.database import analyses, score_issues, scores
from core.store.scores import rescore_all, score_version


def _rows(store, profile: str) -> tuple[list[tuple], list[tuple]]:
    cols = (
        scores.c.version_id,
        scores.c.score,
        scores.c.issues,
        scores.c.issues_json,
        scores.c.contributions_json,
        scores.c.duplicate_of,
        scores.c.engine_version,
    )
    with store.read() as conn:
        got = conn.execute(select(*cols).where(scores.c.profile == profile).order_by(scores.c.version_id)).all()
        issues = conn.execute(
            select(score_issues.c.version_id, score_issues.c.issue)
            .where(score_issues.c.profile == profile)
            .order_by(score_issues.c.version_id, score_issues.c.issue)
        ).all()
    return [tuple(r) for r in got], [tuple(r) for r in issues]


def _stricter(name: str):
    data = load_profile("amazon").to_dict()
    data["name"] = name
    data["checks"]["low_resolution"]["rules"][0].update(ideal=5000, warn=4000, fail=3000)
    return profile_from_dict(data)


@pytest.mark.parametrize("name", ["amazon", "amazon-strict"])  # rows to update, rows to add
def test_rescoring_in_chunks_equals_scoring_each_version_alone(seeded, monkeypatch, name):
    monkeypatch.setattr(scores_module, "RESCORE_CHUNK", 3)  # 20+ versions: several chunks, a short last one
    profile = _stricter(name)
    before = _rows(seeded, name)
    seen: list[tuple[int, int]] = []
    n = rescore_all(seeded, profile, progress=lambda done, total: seen.append((done, total)))
    chunked = _rows(seeded, name)
    with seeded.read() as conn:
        ids = list(conn.execute(select(analyses.c.version_id).order_by(analyses.c.version_id)).scalars())
    for vid in ids:
        score_version(seeded, vid, profile)
    assert n == len(ids) >= 20 and len(chunked[0]) == n
    assert chunked == _rows(seeded, name)
    assert chunked != before  # the stricter rule changed scores, so the comparison means something
    assert any(r[5] is not None for r in chunked[0])  # a duplicate, whose message names the earlier file
    assert [d for d, _ in seen] == [min(k, n) for k in range(3, n + 3, 3)] and {t for _, t in seen} == {n}
