"""The stored measurements a tuned profile's impact is counted on (``catalogue_metrics``): read from
revision 0014's column per metric, they must be exactly what parsing every analysis's JSON gave,
on rows with NaN, missing keys and infinities (which neither database's JSON reads), as the
triggers follow every write and as the revision fills the table on a populated store."""

import json
import math
import random

import numpy as np
import pytest
from sqlalchemy import delete, func, insert, select, update

from core.engine.profiles import list_profiles, load_profile
from core.engine.tuning import check_flags
from core.store import analytics, database
from core.store.analytics import catalogue_metrics
from core.store.database import MEASURED_METRICS, analyses, analysis_metrics, images, versions
from core.store.scores import dumps_metrics, loads_metrics
from core.vocabulary import METRIC_INFO
from tests.core.store.old_schema import ADDED_BY


def _parsed_in_python(store, metrics):  # type: ignore[no-untyped-def]
    """``catalogue_metrics`` as it was before revision 0014: every analysis's JSON parsed here."""
    wanted = list(dict.fromkeys(metrics))
    with store.read() as conn:
        rows = conn.execute(select(analyses.c.metrics_json).order_by(analyses.c.version_id)).scalars().all()
    out = {m: np.full(len(rows), np.nan) for m in wanted}
    for i, text in enumerate(rows):
        stored = loads_metrics(text or "{}")
        for m in wanted:
            v = stored.get(m)
            if v is not None:
                out[m][i] = float(v)
    return out


#: Limits of the built-in profiles' rules, metric -> values: drawn values land on them, just
#: either side of them, and between them, where a comparison could go either way.
LIMITS: dict[str, list[float]] = {}
for _name in list_profiles():
    for _spec in load_profile(_name).checks.values():
        for _rule in _spec.rules:
            LIMITS.setdefault(_rule.metric, []).extend([_rule.ideal, _rule.warn, _rule.fail])


def _value(rng: random.Random, metric: str, *, infinite: bool) -> object:
    """A measurement as an analysis may hold it (infinite ones in ``infinite`` rows), or ``...``
    for a key left out."""
    roll = rng.random()
    if roll < 0.15:
        return ...
    if roll < 0.25:
        return math.nan  # written as null
    if roll < 0.29 and infinite:
        return rng.choice([math.inf, -math.inf])
    if roll < 0.33:
        return rng.choice([0.0, -0.0, 1.0, 5e-324, 1e-300, -1e300, 3])
    limits = LIMITS.get(metric, [0.0, 1.0, 100.0])
    at = rng.choice(limits)
    return rng.choice([at, math.nextafter(at, math.inf), math.nextafter(at, -math.inf), at + rng.uniform(-50, 50)])


def _metrics_texts(n: int, seed: int = 14) -> list[str]:
    """``n`` analyses' metrics JSON, as dumps_metrics writes it (Infinity for an infinite value), and a
    few written otherwise: a bare NaN token, empty, an empty object, JSON after a space."""
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        infinite = rng.random() < 0.1
        texts.append(dumps_metrics({m: v for m in METRIC_INFO if (v := _value(rng, m, infinite=infinite)) is not ...}))
    texts += [
        '{"sharpness": NaN, "detail": 12.5}',
        '{"sharpness": -Infinity, "exact_duplicate": 1.0}',
        "",
        "{}",
        ' {"sharpness": 40.25, "exact_duplicate": 1}',
        json.dumps({"sharpness": 1e-320, "noise_sigma": 12, "long_side": 1000.0000000000001}),
    ]
    assert any("Infinity" in t for t in texts[:n]) and any("null" in t for t in texts[:n])
    return texts


def _add_analyses(store, texts: list[str]) -> list[int]:  # type: ignore[no-untyped-def]
    """An image, its version and an analysis holding each of ``texts``; their version ids."""
    out = []
    with store.write() as conn:
        for text in texts:
            n = len(out) + int(conn.execute(select(func.count()).select_from(images)).scalar_one())
            sha = f"{n:064x}"
            image_id = database.inserted_id(
                conn.execute(
                    insert(images).values(
                        merchant_id="shop", file_name=f"p{n}.jpg", sha256=sha, created_at=database.now()
                    )
                )
            )
            version_id = database.inserted_id(
                conn.execute(
                    insert(versions).values(
                        image_id=image_id,
                        kind="original",
                        sha256=sha,
                        blob_path="x",
                        format="JPEG",
                        width=1,
                        height=1,
                        file_size=1,
                        created_at=database.now(),
                    )
                )
            )
            conn.execute(
                insert(analyses).values(
                    version_id=version_id,
                    engine_version="t",
                    metrics_json=text,
                    phash="0" * 16,
                    bbox_json="null",
                    created_at=database.now(),
                )
            )
            out.append(version_id)
    return out


def _assert_as_parsed(store) -> None:  # type: ignore[no-untyped-def]
    """Every metric, and every built-in profile's every check on them, as parsing the JSON gives.

    (*) SQLite stores -0.0 as 0.0, which no limit tells apart (both compare equal to every number)."""
    got = catalogue_metrics(store, METRIC_INFO)
    want = _parsed_in_python(store, METRIC_INFO)
    assert list(got) == list(want)
    for m in want:
        np.testing.assert_array_equal(got[m], want[m], err_msg=m)  # NaN where NaN; -0.0 == 0.0 (*)
    n = len(want["sharpness"])
    for name in list_profiles():
        for spec in load_profile(name).checks.values():
            assert np.array_equal(check_flags(spec, got, n), check_flags(spec, want, n)), (name, spec.issue)


def test_catalogue_metrics_are_the_parsed_json_read_from_the_columns(store, monkeypatch):
    """On 400 analyses with NaN, missing keys, infinities and values on the rules' limits, the
    columns give exactly what parsing every JSON gave; only the rows the database cannot read
    (Infinity, NaN tokens; on PostgreSQL anything not starting with '{') are parsed in Python."""
    texts = _metrics_texts(400)
    _add_analyses(store, texts)
    _assert_as_parsed(store)
    parsed: list[str] = []
    real = analytics.loads_metrics
    monkeypatch.setattr(analytics, "loads_metrics", lambda text: parsed.append(text) or real(text))
    got = catalogue_metrics(store, ["sharpness", "exact_duplicate"])
    assert len(got["sharpness"]) == len(texts)
    unread = [t for t in texts if "Infinity" in t or "NaN" in t or (not store.is_sqlite and not t.startswith("{"))]
    unread += [""] if store.is_sqlite else []  # SQLite's JSON reads ' {...}', not ''
    assert 0 < len(parsed) == len(unread) < len(texts) / 2
    assert sorted(parsed) == sorted(t or "{}" for t in unread)


def test_the_columns_follow_every_write_to_the_analyses(store):
    """The triggers: analyses measured again (finite to infinite, infinite to finite), one changed
    otherwise, one deleted; the table holds one row per analysis throughout."""
    vids = _add_analyses(store, _metrics_texts(30, seed=2))
    with store.write() as conn:
        conn.execute(
            update(analyses).where(analyses.c.version_id == vids[0]).values(metrics_json='{"sharpness": Infinity}')
        )
        conn.execute(update(analyses).where(analyses.c.version_id == vids[1]).values(metrics_json='{"sharpness": 3.5}'))
        conn.execute(update(analyses).where(analyses.c.version_id == vids[2]).values(engine_version="u"))
        conn.execute(delete(analyses).where(analyses.c.version_id == vids[3]))
    _assert_as_parsed(store)
    with store.read() as conn:
        rows = conn.execute(select(analysis_metrics.c.version_id, analysis_metrics.c.unparsed)).all()
        held = list(conn.execute(select(analyses.c.version_id).order_by(analyses.c.version_id)).scalars())
    assert sorted(v for v, _ in rows) == held and vids[3] not in held
    assert dict(rows)[vids[0]] and not dict(rows)[vids[1]]
    assert catalogue_metrics(store, ["sharpness"])["sharpness"][1] == 3.5


def test_revision_0014_fills_the_columns_from_the_analyses_already_there(store):
    """A store at revision 0013 with analyses: the revision fills the table, then it reads as the
    JSON does. And every metric a rule may name has its column (a metric added later needs a
    revision of its own, or the preview parses every analysis again)."""
    assert set(METRIC_INFO) == set(MEASURED_METRICS)
    with store.write() as conn:  # back to 0013
        for sql in ADDED_BY[14][conn.dialect.name]:
            conn.exec_driver_sql(sql)
        conn.exec_driver_sql(f"DROP TABLE {analysis_metrics.name}")
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0013'")
        conn.execute(database.schema_info.delete().where(database.schema_info.c.version > 13))
    _add_analyses(store, _metrics_texts(200, seed=3))
    assert store.schema_version() == 13
    assert store.migrate() == database.SCHEMA_VERSION
    _assert_as_parsed(store)
    with store.read() as conn:
        unparsed = conn.execute(select(func.count()).where(analysis_metrics.c.unparsed)).scalar_one()
    assert unparsed > 0


def test_a_metric_without_a_column_is_read_from_the_json(store):
    _add_analyses(store, ['{"sharpness": 2.0, "later_metric": 7.5}', '{"later_metric": Infinity}', "{}"])
    got = catalogue_metrics(store, ["sharpness", "later_metric"])
    np.testing.assert_array_equal(got["later_metric"], [7.5, math.inf, math.nan])
    np.testing.assert_array_equal(got["sharpness"], [2.0, math.nan, math.nan])


@pytest.mark.parametrize("metrics", [[], ["sharpness", "sharpness"]])
def test_an_empty_catalogue_has_empty_columns(store, metrics):
    got = catalogue_metrics(store, metrics)
    assert list(got) == list(_parsed_in_python(store, metrics)) == list(dict.fromkeys(metrics))
    assert all(v.shape == (0,) and v.dtype == np.float64 for v in got.values())
