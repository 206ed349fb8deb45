"""Background uploads: every file is counted once, one upload at a time per account, and the
account's latest upload (its progress, then its report or why it stopped) is the same wherever the
account looks."""

from __future__ import annotations

import threading

import pytest

from core.services import upload_jobs
from core.services.upload import IngestError, upload_file_count
from core.services.upload_jobs import UPLOAD_FAILED, UploadJob, start_upload, upload_for
from core.store import intake
from core.store.queries import list_images
from tests.conftest import encode, zip_of


@pytest.fixture(autouse=True)
def _no_jobs_left():
    yield
    for job in list(upload_jobs._jobs.values()):
        assert job.wait(60)
    upload_jobs._jobs.clear()


@pytest.fixture()
def held(monkeypatch):
    """Measuring waits until the test sets the returned event (an upload that is still running)."""
    go = threading.Event()
    real = intake.measure_upload

    def measure(*args, **kwargs):
        assert go.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(intake, "measure_upload", measure)
    return go


def _files(photo) -> list[tuple[str, bytes]]:
    small = photo[::8, ::8].copy()
    return [
        ("a.png", encode(small)),
        ("broken.jpg", b"not an image"),
        ("day.zip", zip_of({"b.png": encode(small[::-1].copy()), "notes.txt": b"hi", "__MACOSX/._b.png": b"x"})),
        ("bad.zip", b"not a zip"),
    ]


def test_every_file_is_counted_once_and_the_report_is_kept_for_the_account(store, photo):
    files = _files(photo)
    # Two loose files, two in the zip (its macOS resource fork is no file of the merchant's).
    assert upload_file_count(files) == 4
    job = start_upload(store, files, merchant_id="acme", uploaded_by="mia")
    assert job.what == "2 images and the images in 2 zip files" and job.total == 4 and job.merchant_id == "acme"
    assert job.wait(60)
    assert job.done == job.total == len(job.outcome.report.results)
    assert job.outcome.counts() == {"added": 2, "duplicate": 0, "repeat": 0, "refused": 2}
    assert job.outcome.refused_zips == [("bad.zip", "The upload is not a valid zip file.")]
    assert job.error is None
    assert len(list_images(store, merchant_id="acme")) == 2
    assert upload_for("mia") is job and upload_for("rita") is None  # another account's is not shown
    assert upload_for("mia") is job  # asked again (another tab): the same report
    assert job.measured_at is not None  # the last file measured: storing began


def test_one_upload_at_a_time_per_account_and_the_count_moves(store, photo, held):
    job = start_upload(store, _files(photo), merchant_id="acme", uploaded_by="mia")
    assert not job.finished and job.outcome is None  # running: no report yet
    with pytest.raises(
        IngestError, match=r"Your upload of 2 images and the images in 2 zip files is still being scored, so"
    ):
        start_upload(store, _files(photo), merchant_id="acme", uploaded_by="mia")
    other = start_upload(store, _files(photo)[:1], merchant_id="lumen", uploaded_by="rita")  # another account may
    assert "of 4 files scored" in job.progress_text()
    held.set()
    assert job.wait(60) and other.wait(60)
    # Done: the next upload may start, and its report is the one shown from then on.
    again = start_upload(store, _files(photo)[:1], merchant_id="acme", uploaded_by="mia")
    assert upload_for("mia") is again
    assert again.wait(60) and again.outcome.counts()["duplicate"] == 1


def test_fields_and_empty_uploads_are_refused_before_anything_starts(store, photo):
    with pytest.raises(IngestError, match="Choose at least one file"):
        start_upload(store, [], merchant_id="acme", uploaded_by="mia")
    with pytest.raises(IngestError):
        start_upload(store, _files(photo), merchant_id="<b>acme</b>", uploaded_by="mia")
    with pytest.raises(IngestError):
        start_upload(store, _files(photo), merchant_id="acme", uploaded_by="mia", sku="x" * 500)
    assert upload_for("mia") is None and not list_images(store, merchant_id="acme")


def test_an_unexpected_failure_is_reported_and_the_bytes_are_let_go(store, photo, monkeypatch):
    from core.services import upload as upload_service

    kept: list[list] = []

    def fail(store, files, **kwargs):
        kept.append(files)
        raise RuntimeError("disk gone")

    monkeypatch.setattr(upload_jobs, "ingest_uploads", fail)
    assert upload_service.ingest_uploads is not fail  # the service itself is untouched
    job = start_upload(store, _files(photo), merchant_id="acme", uploaded_by="mia")
    assert job.wait(60)
    assert (job.outcome, job.error) == (None, UPLOAD_FAILED)
    assert kept == [[]]  # the files' bytes are not held until the report is read


def test_a_zip_refused_halfway_counts_its_remaining_files_once(store, photo, monkeypatch):
    small = photo[::8, ::8].copy()
    big = zip_of({f"{i}.png": encode(small[:, i:].copy()) for i in range(4)})
    real, reads = intake._read_member, []

    def read(*args, **kwargs):  # as when a zip's entries are larger than its list of contents says
        reads.append(1)
        if len(reads) == 3:
            raise IngestError("The zip expands to more than 2 GB; nothing was imported.")
        return real(*args, **kwargs)

    monkeypatch.setattr(intake, "_read_member", read)
    assert upload_file_count([("big.zip", big)]) == 4
    job = start_upload(store, [("big.zip", big)], merchant_id="acme", uploaded_by="mia")
    assert job.wait(60)
    assert [name for name, _ in job.outcome.refused_zips] == ["big.zip"]
    assert job.done == 4  # two measured, two counted when the zip was refused


@pytest.mark.parametrize(
    ("done", "elapsed", "first_five", "said"),
    [
        (0, 3, None, "0 of 300 files scored · 0:03 so far"),
        (5, 10, 1.0, "5 of 300 files scored · 0:10 so far"),  # no pace yet to guess the time left from
        # 195 files left at 0.15 s each (29 s), and storing: a tenth of measuring all 300 (4.5 s).
        (105, 16, 1.0, "105 of 300 files scored · 0:16 so far · about 35 s left"),
        (125, 43, 1.0, "125 of 300 files scored · 0:43 so far · about 1 min left"),
        (1005, 66, 1.0, "1,005 of 10,000 files scored · 1:06 so far · about 11 min left"),
        # The first five files took 8 s (imports, first allocations): the pace is read after them.
        (10, 10, 8.0, "10 of 300 files scored · 0:10 so far · about 2 min left"),
    ],
)
def test_the_progress_line_guesses_the_time_left_from_the_pace_after_the_first_files(done, elapsed, first_five, said):
    total = 10_000 if done == 1005 else 300
    paced_from = None if first_five is None else 100.0 + first_five
    job = UploadJob(
        id="x", username="mia", what="300 images", total=total, started_at=100.0, done=done, paced_from=paced_from
    )
    assert job.progress_text(now=100.0 + elapsed) == said
    assert job.fraction() == pytest.approx(0.9 * done / total)  # measuring is the first 90% of the bar


def test_storing_has_its_own_line_and_the_bar_never_fills_before_the_end():
    job = UploadJob(id="x", username="mia", what="300 images", total=300, started_at=100.0, done=300, measured_at=160.0)
    # Measuring took 60 s: storing should take about 6.
    assert (
        job.progress_text(now=162.0)
        == "All 300 files scored; storing them in the catalogue · 1:02 so far · about 5 s left"
    )
    assert job.fraction(now=163.0) == pytest.approx(0.95)
    assert job.progress_text(now=170.0) == "All 300 files scored; storing them in the catalogue · 1:10 so far"
    assert job.fraction(now=170.0) == 0.99
