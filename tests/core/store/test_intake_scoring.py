"""Scoring at ingest is per file: a file whose scoring fails is refused alone, on every backend."""

from sqlalchemy import func, select

import core.store.intake as intake
from core.engine.loading import sha256_of
from core.store.blobs import read_blob
from core.store.database import analyses, audit_log, images, score_issues, scores, versions
from core.store.intake import UNSCORABLE, ingest_files
from core.store.queries import list_images
from tests.conftest import encode


def _scoring_fails_for(monkeypatch, name: str) -> None:
    """Make scoring raise for the file shown as ``name``, after it has written its analysis and
    scores (as a bug in a check met late would), so those rows must be taken back too."""
    real = intake.store_scores

    def store_scores(conn, version_id, analysis, profiles, index, *, label=""):
        result = real(conn, version_id, analysis, profiles, index, label=label)
        if label == name:
            raise ValueError("a check failed on this image")
        return result

    monkeypatch.setattr(intake, "store_scores", store_scores)


def _rows(store, sha: str) -> dict[str, int]:
    """Rows anywhere in the store that belong to the image with these bytes."""
    with store.read() as conn:
        vids = select(versions.c.id).where(versions.c.sha256 == sha).scalar_subquery()
        count = {
            "images": select(func.count()).select_from(images).where(images.c.sha256 == sha),
            "versions": select(func.count()).select_from(versions).where(versions.c.sha256 == sha),
            "analyses": select(func.count()).select_from(analyses).where(analyses.c.version_id.in_(vids)),
            "scores": select(func.count()).select_from(scores).where(scores.c.version_id.in_(vids)),
            "score_issues": select(func.count()).select_from(score_issues).where(score_issues.c.version_id.in_(vids)),
        }
        return {table: int(conn.execute(q).scalar() or 0) for table, q in count.items()}


def test_a_file_whose_scoring_fails_is_refused_alone_and_leaves_nothing_behind(store, photo, monkeypatch, caplog):
    small = photo[::4, ::4].copy()
    files = [
        ("a.png", encode(small)),
        ("bad/b.png", encode(small[::-1].copy())),
        ("c.png", encode(small[:, ::-1].copy())),
    ]
    _scoring_fails_for(monkeypatch, "bad/b.png")
    with caplog.at_level("ERROR", logger="imagedesk"):
        report = ingest_files(store, files, merchant_id="acme", uploaded_by="mia")

    by = {r.shown_name: r for r in report.results}
    assert [(r.shown_name, r.status) for r in report.results] == [
        ("a.png", "added"),
        ("bad/b.png", "refused"),
        ("c.png", "added"),
    ]
    bad = by["bad/b.png"]
    assert bad.reason == UNSCORABLE and bad.reason.startswith("Could not be scored: ")
    assert "ValueError" not in bad.reason and "Traceback" not in bad.reason
    assert (bad.image_id, bad.version_id, bad.score) == (None, None, None)
    for name in ("a.png", "c.png"):
        assert by[name].score is not None and by[name].version_id is not None
    stored = {r.display_name: r for r in list_images(store, profile="amazon")}
    assert sorted(stored) == ["a.png", "c.png"] and all(r.score is not None for r in stored.values())

    sha = sha256_of(files[1][1])
    assert _rows(store, sha) == {"images": 0, "versions": 0, "analyses": 0, "scores": 0, "score_issues": 0}
    with store.read() as conn:  # the audit log names the two files stored, not the refused one
        logged = conn.execute(select(audit_log.c.after_json).where(audit_log.c.action == "ingest")).scalars().all()
    assert len(logged) == 2 and not any("b.png" in text for text in logged)
    blobs = sorted(p.name for p in store.blob_dir.rglob("*") if p.is_file())
    assert blobs == sorted(f"{sha256_of(data)}.png" for _, data in (files[0], files[2]))

    (record,) = [r for r in caplog.records if r.exc_info]  # the server's log: which file, with the traceback
    assert "'bad/b.png'" in record.getMessage() and "a check failed" in str(record.exc_info[1])


def test_a_copy_of_a_file_whose_scoring_failed_is_stored_as_a_new_image(store, photo, monkeypatch):
    """The refused file must not stay in the near-duplicate index (its version was rolled back),
    and its file must stay for the copy that is stored."""
    small = photo[::4, ::4].copy()
    data = encode(small)
    other = encode(small[::-1].copy())
    _scoring_fails_for(monkeypatch, "first.png")
    report = ingest_files(
        store, [("first.png", data), ("other.png", other), ("again.png", data)], merchant_id="acme", uploaded_by="mia"
    )
    assert [(r.shown_name, r.status) for r in report.results] == [
        ("first.png", "refused"),
        ("other.png", "added"),
        ("again.png", "added"),
    ]
    again = report.results[2]
    assert again.repeat_of == "" and "exact_duplicate" not in again.issues
    with store.read() as conn:
        dup = conn.execute(select(scores.c.duplicate_of).where(scores.c.version_id == again.version_id)).scalars().all()
    assert dup and set(dup) == {None}
    (record,) = [r for r in list_images(store) if r.display_name == "again.png"]
    assert read_blob(store, record.blob_path) == data  # the file the refused one wrote is kept for its copy


def test_the_same_file_for_another_merchant_keeps_its_stored_file(store, photo, monkeypatch):
    small = photo[::4, ::4].copy()
    data = encode(small)
    _scoring_fails_for(monkeypatch, "mine.png")
    manifest = {"mine.png": ("acme", ""), "theirs.png": ("lumen", "")}
    report = ingest_files(store, [("mine.png", data), ("theirs.png", data)], merchant_id="acme", manifest=manifest)
    assert [r.status for r in report.results] == ["refused", "added"]
    (record,) = list_images(store)
    assert record.merchant_id == "lumen" and read_blob(store, record.blob_path) == data


def test_files_refused_while_scoring_do_not_read_the_merchants_catalogue_again(store, photo, monkeypatch):
    """The near-duplicate index forgets a refused file in memory: reading it again from the
    database for each one would cost a read of every stored image of the merchant per file."""
    small = photo[::4, ::4].copy()
    real_store_scores, real_index = intake.store_scores, intake.duplicate_index
    reads: list[str] = []

    def store_scores(conn, version_id, analysis, profiles, index, *, label=""):
        result = real_store_scores(conn, version_id, analysis, profiles, index, label=label)
        if label.startswith("bad"):
            raise ValueError("a check failed on this image")
        return result

    def duplicate_index(conn, merchant_id, **kwargs):
        reads.append(merchant_id)
        return real_index(conn, merchant_id, **kwargs)

    monkeypatch.setattr(intake, "store_scores", store_scores)
    monkeypatch.setattr(intake, "duplicate_index", duplicate_index)
    files = [(f"bad{i}.png", encode(small[:, i:].copy())) for i in range(3)] + [("good.png", encode(small))]
    report = ingest_files(store, files, merchant_id="acme")
    assert [r.status for r in report.results] == ["refused", "refused", "refused", "added"]
    assert reads == ["acme"]
