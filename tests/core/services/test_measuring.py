"""Stale scores (core.services.measuring): who is told, and what."""

from core.services.measuring import ENGINE_VERSION, stale_catalogue_note, stale_count


def _make_stale(store, n):
    with store.write() as conn:
        conn.exec_driver_sql(
            "UPDATE analyses SET engine_version = 'old' WHERE version_id IN "
            f"(SELECT version_id FROM analyses ORDER BY version_id LIMIT {int(n)})"
        )


def test_staff_are_told_how_many_scores_are_stale_merchants_are_not(seeded):
    assert stale_catalogue_note(seeded, merchant_id=None) is None  # nothing stale
    _make_stale(seeded, 3)
    assert stale_count(seeded) == 3
    note = stale_catalogue_note(seeded, merchant_id=None)
    assert note.startswith(f"3 image(s) were measured by an older engine version than {ENGINE_VERSION}")
    assert "python -m core rescore --remeasure" in note
    assert stale_catalogue_note(seeded, merchant_id="acme-home") is None  # a merchant cannot re-measure
