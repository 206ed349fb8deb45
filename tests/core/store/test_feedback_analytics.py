import csv
import io

import numpy as np
import pandas as pd
import pytest

from core.engine.csv_safe import formula_safe
from core.store.analytics import catalogue_metrics, cohen_kappa, metric_separation, reviewer_agreement, separations
from core.store.feedback import (
    FeedbackFilter,
    double_reviewed_decisions,
    feedback_columns,
    feedback_count,
    feedback_csv,
    feedback_frame,
)
from core.store.queries import list_images
from core.store.reviews import decide, undo_last
from core.vocabulary import METRIC_INFO


def test_export_columns_values_and_filters(seeded):
    recs = list_images(seeded, profile="amazon")
    decide(
        seeded,
        version_id=recs[0].version_id,
        reviewer="rita",
        decision="rejected",
        reasons=["blurry"],
        comment='=HYPERLINK("x")',
        profile="amazon",
    )
    decide(seeded, version_id=recs[1].version_id, reviewer="sam", decision="approved", profile="amazon")
    frame = feedback_frame(seeded)
    assert list(frame.columns) == feedback_columns()
    for col in (
        "image_id",
        "merchant_id",
        "sku",
        "file_name",
        "sha256",
        "profile",
        "quality_score",
        "issues",
        "recipe_json",
        "decision",
        "reasons",
        "comment",
        "reviewer",
        "created_at",
        "decided_at",
        "lead_time_s",
        *METRIC_INFO,
    ):
        assert col in frame.columns
    row = frame[frame.reviewer == "rita"].iloc[0]
    assert row.quality_score == pytest.approx(recs[0].score) and row.sha256 == recs[0].sha256
    assert row.sharpness == pytest.approx(recs[0].metrics["sharpness"])
    assert len(feedback_frame(seeded, FeedbackFilter(reviewer="sam"))) == 1
    assert len(feedback_frame(seeded, FeedbackFilter(decision="rejected"))) == 1
    assert len(feedback_frame(seeded, FeedbackFilter(merchant_id=recs[1].merchant_id, reviewer="sam"))) == 1
    assert len(feedback_frame(seeded, FeedbackFilter(profile="walmart"))) == 0
    assert len(feedback_frame(seeded, FeedbackFilter(date_from="2999-01-01"))) == 0
    today = row.decided_at[:10]
    assert len(feedback_frame(seeded, FeedbackFilter(date_from=today, date_to=today))) == 2


def test_counts_agree_with_the_rows_under_every_filter(seeded):
    """feedback_count counts exactly the rows feedback_frame returns: with a merchant filter it
    counted every decision once per image of that merchant (a cross join, no join condition)."""
    recs = list_images(seeded)
    merchants = sorted({r.merchant_id for r in recs})
    for i, rec in enumerate(recs[:6]):
        rejected = i % 2 == 1
        decide(
            seeded,
            version_id=rec.version_id,
            reviewer=("rita", "sam")[i % 2],
            decision="rejected" if rejected else "approved",
            reasons=["blurry"] if rejected else [],
        )
    for flt in (
        FeedbackFilter(),
        *(FeedbackFilter(merchant_id=m) for m in merchants),
        FeedbackFilter(merchant_id=merchants[0], reviewer="sam"),
        FeedbackFilter(decision="rejected"),
        FeedbackFilter(date_from="2999-01-01"),
    ):
        frame = feedback_frame(seeded, flt)
        assert feedback_count(seeded, flt) == frame["decision"].value_counts().to_dict(), flt


def test_csv_neutralizes_formulas_and_opens_in_excel(seeded):
    recs = list_images(seeded)
    decide(
        seeded,
        version_id=recs[0].version_id,
        reviewer="rita",
        decision="rejected",
        reasons=["other"],
        comment="=1+1",
        profile="generic",
    )
    decide(
        seeded, version_id=recs[1].version_id, reviewer="rita", decision="approved", comment="+cmd", profile="generic"
    )
    decide(
        seeded,
        version_id=recs[2].version_id,
        reviewer="rita",
        decision="approved",
        comment="café – naïve ✓",
        profile="generic",
    )
    data = feedback_csv(feedback_frame(seeded))
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    comments = [r["comment"] for r in rows]
    assert comments == ["'=1+1", "'+cmd", "café – naïve ✓"]


@pytest.mark.parametrize(
    "value,out",
    [
        ("=A1", "'=A1"),
        ("-2+3", "'-2+3"),
        ("@SUM", "'@SUM"),
        ("\tx", "'\tx"),
        ("\rx", "'\nx"),
        ("plain", "plain"),
        (3.5, 3.5),
    ],
)
def test_formula_safe(value, out):
    assert formula_safe(value) == out


def test_cohen_kappa_against_hand_computation():
    # Two raters, 10 items. Table: both approve 4, both reject 3, A approve/B reject 2, A reject/B approve 1.
    a = ["a"] * 4 + ["r"] * 3 + ["a"] * 2 + ["r"] * 1
    b = ["a"] * 4 + ["r"] * 3 + ["r"] * 2 + ["a"] * 1
    # p_o = 7/10; p_e = (6/10)(5/10) + (4/10)(5/10) = 0.5; kappa = 0.2 / 0.5 = 0.4
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa(["x", "y"], ["x", "y"]) == pytest.approx(1.0)
    assert np.isnan(cohen_kappa([], []))


def test_separation_finds_the_cut():
    frame = pd.DataFrame(
        {"sharpness": [10, 20, 25, 30, 45, 50, 60, 70], "decision": ["rejected"] * 4 + ["approved"] * 4}
    )
    s = metric_separation(frame, "sharpness")
    assert s.direction == "min" and s.threshold == pytest.approx(37.5) and s.balanced_accuracy == 1.0
    assert sum(b[2] for b in s.bands) == 8 and s.bands[0][3] == 1.0 and s.bands[-1][3] == 0.0


def test_a_metric_measured_on_a_handful_of_decisions_does_not_top_the_list():
    rng = np.random.default_rng(5)
    decision = ["rejected"] * 20 + ["approved"] * 20
    sharp = np.r_[rng.normal(40, 8, 20), rng.normal(60, 8, 20)]  # a good, imperfect cut on all 40
    cast = np.full(40, np.nan)
    cast[[0, 1, 20, 21, 22]] = [20, 18, 2, 3, 1]  # a perfect cut, but on 5 decisions only
    ranked = separations(pd.DataFrame({"sharpness": sharp, "color_cast": cast, "decision": decision}))
    assert [s.metric for s in ranked] == ["sharpness", "color_cast"]
    assert ranked[1].balanced_accuracy == 1.0 > ranked[0].balanced_accuracy and ranked[1].n == 5


def test_agreement_table(seeded):
    recs = list_images(seeded)[:4]
    for r, (x, y) in zip(
        recs, [("approved", "approved"), ("rejected", "rejected"), ("approved", "rejected"), ("rejected", "rejected")]
    ):
        decide(
            seeded, version_id=r.version_id, reviewer="rita", decision=x, reasons=[] if x == "approved" else ["other"]
        )
        decide(
            seeded, version_id=r.version_id, reviewer="sam", decision=y, reasons=[] if y == "approved" else ["other"]
        )
    table = reviewer_agreement(feedback_frame(seeded))
    assert table.iloc[0].images == 4 and table.iloc[0].agreement == 0.75
    # p_o = .75, p_e = (.5)(.25) + (.5)(.75) = .5 -> kappa .5
    assert table.iloc[0].kappa == pytest.approx(0.5)


def _say(store, version_id, reviewer, decision):
    decide(
        store,
        version_id=version_id,
        reviewer=reviewer,
        decision=decision,
        reasons=[] if decision == "approved" else ["other"],
    )


def test_double_reviewed_decisions_are_those_on_versions_two_reviewers_decided(seeded):
    """What agreement is counted on, read in SQL: every decision on a version that two or more
    reviewers decided within the filter, and nothing else (a million single reviews stay unread)."""
    recs = list_images(seeded)[:7]
    v = [r.version_id for r in recs]
    for vid, (x, y) in zip(v[:3], [("approved", "approved"), ("rejected", "approved"), ("rejected", "rejected")]):
        _say(seeded, vid, "rita", x)
        _say(seeded, vid, "sam", y)
    _say(seeded, v[3], "rita", "approved")
    _say(seeded, v[3], "rita", "rejected")  # one reviewer twice (a replaced decision) is no double review
    _say(seeded, v[4], "sam", "rejected")
    _say(seeded, v[5], "tom", "approved")
    _say(seeded, v[5], "rita", "approved")
    _say(seeded, v[6], "rita", "approved")
    _say(seeded, v[6], "tom", "rejected")
    assert undo_last(seeded, "tom") is not None  # tom's decision on v[6] is undone: rita alone decided it
    got = double_reviewed_decisions(seeded)
    assert list(got.columns) == ["version_id", "reviewer", "decision"]
    assert sorted(set(got["version_id"])) == sorted([*v[:3], v[5]]) and len(got) == 8
    # Oldest first, as feedback_frame: the pairs are the same as counted on every decision.
    pd.testing.assert_frame_equal(reviewer_agreement(got), reviewer_agreement(feedback_frame(seeded)))
    everything = feedback_frame(seeded)
    want = everything[everything["version_id"].isin([*v[:3], v[5]])][["version_id", "reviewer", "decision"]]
    assert got.values.tolist() == want.values.tolist()
    # With the history, tom's undone decision pairs with rita's on v[6]; rita, replacing her own
    # decision on v[3], still decided it alone.
    history = double_reviewed_decisions(seeded, FeedbackFilter(include_history=True))
    assert set(history["version_id"]) == {*got["version_id"], v[6]} and len(history) == len(got) + 2
    # Within the filter: one reviewer's decisions hold no pair; one decision value only its pairs.
    assert double_reviewed_decisions(seeded, FeedbackFilter(reviewer="rita")).empty
    approved = double_reviewed_decisions(seeded, FeedbackFilter(decision="approved"))
    assert sorted(set(approved["version_id"])) == sorted([v[0], v[5]]) and len(approved) == 4
    merchant = recs[0].merchant_id
    mine = double_reviewed_decisions(seeded, FeedbackFilter(merchant_id=merchant))
    assert set(mine["version_id"]) == {r.version_id for r in recs if r.merchant_id == merchant} & set(got["version_id"])
    assert double_reviewed_decisions(seeded, FeedbackFilter(date_from="2999-01-01")).empty


def test_sqlite_finds_the_double_reviewed_decisions_in_one_covering_index(seeded):
    """Reviewer agreement reads the decisions in its range from revision 0013's index alone on
    SQLite, grouped in its order, never looking one up in the table (3.0 s, not 0.9 s, with a
    million decisions in the range). PostgreSQL hashes the decisions with themselves, reading the
    table once, and is given no such index to keep up."""
    from sqlalchemy import event

    from core.store.database import AGREEMENT_INDEX

    if not seeded.is_sqlite:
        with seeded.read() as conn:
            sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'reviews'"
            assert AGREEMENT_INDEX.name not in set(conn.exec_driver_sql(sql).scalars())
        return
    v = [r.version_id for r in list_images(seeded)[:3]]
    for vid in v:
        _say(seeded, vid, "rita", "approved")
    _say(seeded, v[0], "sam", "rejected")
    seen: list[tuple[str, object]] = []
    event.listen(seeded.engine, "before_cursor_execute", lambda *a: seen.append((a[2], a[3])))
    for flt in (FeedbackFilter(), FeedbackFilter(date_from="2000-01-01", date_to="2999-12-31")):
        seen.clear()
        assert set(double_reviewed_decisions(seeded, flt)["version_id"]) == {v[0]}
        sql, params = seen[-1]  # the query (after the connection's own set-up)
        with seeded.read() as conn:
            raw = conn.connection.dbapi_connection
            steps = [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()]
        reads = [s for s in steps if s.startswith(("SEARCH reviews", "SCAN reviews"))]
        assert len(reads) == 2, steps  # the decisions, and the versions two reviewers decided
        assert all(f"USING COVERING INDEX {AGREEMENT_INDEX.name} (active=?" in s for s in reads), steps
        assert "USE TEMP B-TREE FOR GROUP BY" not in steps, steps


def test_catalogue_metrics_are_every_stored_versions_measurements(seeded):
    """What a tuned profile's impact is counted on: one value per stored version, NaN where a
    metric was not measured (a metric no analysis has is all NaN)."""
    records = sorted(list_images(seeded), key=lambda r: r.version_id)
    got = catalogue_metrics(seeded, ["sharpness", "detail", "sharpness", "no_such_metric"])
    assert list(got) == ["sharpness", "detail", "no_such_metric"]
    for metric in ("sharpness", "detail"):
        want = [r.metrics.get(metric, np.nan) for r in records]
        np.testing.assert_array_equal(got[metric], np.asarray(want, dtype=float))
    assert len(got["no_such_metric"]) == len(records) and np.isnan(got["no_such_metric"]).all()


def test_latest_analysis_is_the_newest_measured_version(seeded, tmp_path):
    """The key the Feedback page counts a tuned profile's impact again under: it moves when a
    version is measured."""
    from core.store.analytics import latest_analysis
    from core.store.database import open_store

    assert latest_analysis(seeded) == max(r.version_id for r in list_images(seeded))
    assert latest_analysis(open_store(tmp_path / "empty")) == 0
