"""What reviewers' decisions say about the metrics: which separate approved from rejected
images, where the best threshold lies, how much reviewers agree, and the stored metrics a tuned
profile's impact is counted on (the tuning itself: ``core.engine.tuning``).

"Rejected" here means any decision other than ``approved`` (rejected or needs changes).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from sqlalchemy import Float, LargeBinary, Select, case, func, literal_column, select
from sqlalchemy.engine import Connection

from core.store.database import MEASURED_METRICS, Store, analyses, analysis_metrics
from core.store.scores import loads_metrics
from core.vocabulary import METRIC_INFO

__all__ = [
    "SOLID_DECISIONS",
    "MetricSeparation",
    "cohen_kappa",
    "metric_separation",
    "reviewer_agreement",
    "latest_analysis",
    "catalogue_metrics",
    "separations",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricSeparation:
    """How well one metric predicts rejection.

    ``direction="min"`` means images *below* ``threshold`` tend to be rejected. ``balanced_accuracy``
    is the mean of the hit rate on rejected and on approved images at that threshold (0.5 = chance).
    ``bands`` are (low, high, count, rejection rate) over quantile bands of the metric.
    """

    metric: str
    n: int
    n_rejected: int
    direction: Literal["min", "max"]
    threshold: float
    balanced_accuracy: float
    bands: tuple[tuple[float, float, int, float], ...]


def _labels(frame: pd.DataFrame) -> np.ndarray:
    """True for every decision that is not an approval (rejected or needs changes)."""
    return np.asarray(frame["decision"] != "approved", dtype=bool)


def metric_separation(frame: pd.DataFrame, metric: str, *, bands: int = 5) -> MetricSeparation | None:
    """Best single threshold on ``metric`` for reproducing the decisions in ``frame``.

    Returns ``None`` when there are not both approved and rejected images with that metric.
    """
    sub = frame[[metric, "decision"]].dropna()
    if sub.empty:
        return None
    x = sub[metric].to_numpy(dtype=np.float64)
    y = _labels(sub)
    n_rej, n_app = int(y.sum()), int((~y).sum())
    if n_rej == 0 or n_app == 0 or np.ptp(x) == 0:
        return None
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    # Candidate cuts between distinct neighbouring values; cut i puts xs[:i] below the threshold.
    cuts = np.flatnonzero(np.diff(xs) > 0) + 1
    rej_below = np.cumsum(ys)[cuts - 1]
    app_below = np.cumsum(~ys)[cuts - 1]
    # "min": reject below; "max": reject above.
    ba_min = 0.5 * (rej_below / n_rej + (n_app - app_below) / n_app)
    ba_max = 0.5 * ((n_rej - rej_below) / n_rej + app_below / n_app)
    i_min, i_max = int(np.argmax(ba_min)), int(np.argmax(ba_max))
    if ba_min[i_min] >= ba_max[i_max]:
        direction: Literal["min", "max"] = "min"
        i, ba = i_min, float(ba_min[i_min])
    else:
        direction, i, ba = "max", i_max, float(ba_max[i_max])
    c = cuts[i]
    threshold = float((xs[c - 1] + xs[c]) / 2.0)
    edges = np.unique(np.quantile(x, np.linspace(0, 1, bands + 1)))
    band_rows = []
    for lo, hi in itertools.pairwise(edges):
        inside = (x >= lo) & ((x <= hi) if hi == edges[-1] else (x < hi))
        if inside.any():
            band_rows.append((float(lo), float(hi), int(inside.sum()), float(y[inside].mean())))
    return MetricSeparation(
        metric=metric,
        n=len(x),
        n_rejected=n_rej,
        direction=direction,
        threshold=threshold,
        balanced_accuracy=ba,
        bands=tuple(band_rows),
    )


#: Decisions a metric must be measured on to rank with the well-measured ones (see separations).
SOLID_DECISIONS: Final = 10


def separations(frame: pd.DataFrame) -> list[MetricSeparation]:
    """:func:`metric_separation` for every metric, most predictive first among those measured on
    at least half of the decisions (and :data:`SOLID_DECISIONS`); then the rest, likewise.

    A perfect cut through five decisions is luck as often as a signal, so a metric most images
    lack (say, a colour distance measured only where there is a backdrop) no longer tops a list
    of metrics measured on every decision.
    """
    out = [s for m in METRIC_INFO if m in frame.columns if (s := metric_separation(frame, m)) is not None]
    most = max((s.n for s in out), default=0)
    enough = max(SOLID_DECISIONS, most // 2)
    return sorted(out, key=lambda s: (s.n < enough, -s.balanced_accuracy))


def cohen_kappa(a: list[str] | tuple[str, ...], b: list[str] | tuple[str, ...]) -> float:
    """Cohen's kappa for two raters' labels on the same items: (p_o - p_e) / (1 - p_e).

    1 is perfect agreement, 0 what chance would give. NaN for no items; 1.0 when both raters
    used one and the same label throughout (p_e = 1).
    """
    if len(a) != len(b):
        raise ValueError("both raters must label the same items")
    n = len(a)
    if n == 0:
        return math.nan
    labels = sorted(set(a) | set(b))
    p_o = sum(x == y for x, y in zip(a, b, strict=True)) / n
    p_e = sum((a.count(lab) / n) * (b.count(lab) / n) for lab in labels)
    if p_e == 1.0:
        return 1.0
    return (p_o - p_e) / (1.0 - p_e)


def reviewer_agreement(frame: pd.DataFrame) -> pd.DataFrame:
    """Per pair of reviewers: images both judged, raw agreement, and Cohen's kappa."""
    rows: list[dict[str, Any]] = []
    by = {
        r: g.drop_duplicates("version_id", keep="last").set_index("version_id")["decision"]
        for r, g in frame.groupby("reviewer")
    }
    for ra, rb in itertools.combinations(sorted(by), 2):
        common = by[ra].index.intersection(by[rb].index)
        if len(common) == 0:
            continue
        a, b = list(by[ra].loc[common]), list(by[rb].loc[common])
        rows.append(
            {
                "reviewer_a": ra,
                "reviewer_b": rb,
                "images": len(common),
                "agreement": sum(x == y for x, y in zip(a, b, strict=True)) / len(common),
                "kappa": cohen_kappa(a, b),
            }
        )
    return pd.DataFrame(rows, columns=["reviewer_a", "reviewer_b", "images", "agreement", "kappa"])


def latest_analysis(store: Store) -> int:
    """The newest measured image version's id (0 for none): it changes when the rows
    :func:`catalogue_metrics` reads grow, and reads one index entry where counting them scans
    them all (0.3 s at 300,000 images)."""
    with store.read() as conn:
        return int(conn.execute(select(func.max(analyses.c.version_id))).scalar() or 0)


def catalogue_metrics(store: Store, metrics: Iterable[str]) -> dict[str, np.ndarray]:
    """``metrics`` of every stored image version (the versions a saved profile is scored on), read
    from their stored analyses: metric -> values in one order (NaN where not measured).

    Read from :data:`~core.store.database.analysis_metrics`, a column per metric, but for the rows
    whose JSON the database could not read (``Infinity``), parsed here as before; a metric without
    a column (added since revision 0014, or unknown) is read from every analysis's JSON. At 1M
    images, seven metrics: 1.6-1.9 s on PostgreSQL, 3.4-4.2 s on SQLite (31-74 s parsing every
    analysis's JSON here)."""
    wanted = list(dict.fromkeys(metrics))
    if not set(wanted) <= set(MEASURED_METRICS):
        return _parsed_metrics(store, wanted)
    with store.read() as conn:
        columns, texts = (_pg_columns if conn.dialect.name == "postgresql" else _sqlite_columns)(conn, wanted)
    out = dict(zip(wanted, columns, strict=False))
    for i, text in zip(np.flatnonzero(columns[-1]), texts, strict=True):  # the unparsed rows, in order
        stored = loads_metrics(text or "{}")
        for m in wanted:
            v = stored.get(m)
            out[m][i] = math.nan if v is None else float(v)
    return out


def _driver_rows(conn: Connection, query: Select[Any], **cursor_options: Any) -> list[Any]:
    """``query``'s rows from the database driver's own cursor, in ``conn``'s transaction: for a
    million rows, SQLAlchemy's own rows cost a second more (and numpy reads them ten times slower
    than plain tuples); on PostgreSQL ``binary=True`` saves the bytes' hex text."""
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.dbapi_connection.cursor(**cursor_options)  # type: ignore[union-attr]
    try:
        return list(cursor.execute(sql).fetchall())
    finally:
        cursor.close()


def _sqlite_columns(conn: Connection, wanted: list[str]) -> tuple[list[np.ndarray], list[str]]:
    """The ``wanted`` columns of every row of ``analysis_metrics`` and whether it is unparsed (1.0),
    in version order; the JSON of its unparsed rows in the same order."""
    m = analysis_metrics
    texts = conn.execute(  # first, through SQLAlchemy: it begins the transaction both queries read
        select(analyses.c.metrics_json)
        .join_from(m, analyses, analyses.c.version_id == m.c.version_id)
        .where(m.c.unparsed)
        .order_by(m.c.version_id)
    ).scalars()
    texts_in_order = list(texts)
    rows = _driver_rows(conn, select(*(m.c[c] for c in wanted), m.c.unparsed).order_by(m.c.version_id))
    values = np.array(rows, dtype=np.float64).reshape(len(rows), len(wanted) + 1)  # NULL: NaN
    return list(values.T.copy()), texts_in_order


def _pg_columns(conn: Connection, wanted: list[str]) -> tuple[list[np.ndarray], list[str]]:
    """:func:`_sqlite_columns` on PostgreSQL, in one statement (one snapshot): each column as one
    ``bytea`` of its doubles (``float8send``, NULL as NaN), read with no Python object per value
    (1M rows, 7 columns: 1.4 s; fetched as rows, 3 columns took 4-6 s). The aggregates read the
    ordered rows in one pass, so the columns, the flags and the JSON line up."""
    m = analysis_metrics
    own = select(analyses.c.metrics_json).where(analyses.c.version_id == m.c.version_id).scalar_subquery()
    rows = (
        select(*(m.c[c] for c in wanted), m.c.unparsed, case((m.c.unparsed, own)).label("json"))
        .order_by(m.c.version_id)
        .subquery()
    )
    nan = literal_column("'NaN'::float8", Float)
    empty = literal_column("''::bytea", LargeBinary)
    flag = case((rows.c.unparsed, literal_column("1.0::float8", Float)), else_=literal_column("0.0::float8", Float))
    packed = [func.string_agg(func.float8send(func.coalesce(rows.c[c], nan)), empty) for c in wanted]
    packed.append(func.string_agg(func.float8send(flag), empty))
    query = select(*packed, func.array_agg(rows.c.json).filter(rows.c.unparsed))
    (row,) = _driver_rows(conn, query, binary=True)
    columns = [np.frombuffer(b or b"", dtype=">f8").astype(np.float64) for b in row[:-1]]
    return columns, list(row[-1] or [])


def _parsed_metrics(store: Store, wanted: list[str]) -> dict[str, np.ndarray]:
    """:func:`catalogue_metrics` from every analysis's JSON, parsed here."""
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
