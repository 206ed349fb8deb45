"""Uploads scored in the background, one at a time per account, with a count of the files done.

Scored inside the page's own script run, an upload of 10,000 files held that browser tab on one
spinner line for some ten minutes, with no count, and the page could not be left without ending
the run. Here the page hands the files to :func:`start_upload` and its run ends; the page then
asks :func:`upload_for` once a second. The report waits for the account (in any tab or session)
until a page takes it with :func:`take_report`, or for :data:`KEEP_REPORT_S`.

The jobs live in this server process. A server stopped mid-upload finishes it first (the thread
is not a daemon): each part of an upload (its loose images, each zip) is stored in one transaction
after it has been measured.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.engine.wording import counted
from core.services.upload import (
    IngestError,
    UploadOutcome,
    check_upload_fields,
    ingest_uploads,
    is_zip,
    upload_file_count,
)
from core.store.database import Store

__all__ = ["KEEP_REPORT_S", "UploadJob", "start_upload", "take_report", "upload_for"]

_log = logging.getLogger(__name__)

#: How long a finished upload's report waits for its account to open the Upload page (seconds).
KEEP_REPORT_S = 24 * 3600.0
#: Files counted before a time left is guessed: the first files include the first imports.
_FILES_BEFORE_ESTIMATE = 5

#: What an unexpected failure tells the uploader (the server's log has the details).
UPLOAD_FAILED = (
    "The upload stopped on an unexpected error, and its report was lost. Images stored before it stay in "
    "the catalogue: upload the same files again, and those are reported as already uploaded."
)


@dataclass(kw_only=True, eq=False)
class UploadJob:
    """One account's upload: how far it is, then its outcome (or why it stopped)."""

    id: str
    username: str
    #: What is being scored, e.g. "12 images and the images in 1 zip file".
    what: str
    #: Files the report will name (each image, each file inside a zip).
    total: int
    started_at: float = field(default_factory=time.monotonic)
    #: Files measured or refused so far; storing the measured ones comes after.
    done: int = 0
    outcome: UploadOutcome | None = None
    error: str | None = None
    finished_at: float | None = None
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def fraction(self) -> float:
        """Share of the files measured, 0-1 (storing them is the last few percent of the time)."""
        return min(1.0, self.done / self.total) if self.total else 0.0

    def progress_text(self, *, now: float | None = None) -> str:
        """E.g. "120 of 300 files scored · 0:42 so far · about 1 min left"."""
        elapsed = (now if now is not None else time.monotonic()) - self.started_at
        so_far = f"{int(elapsed) // 60}:{int(elapsed) % 60:02d} so far"
        if self.total and self.done >= self.total:
            return f"All {counted(self.total, 'file')} scored; storing them in the catalogue · {so_far}"
        text = f"{self.done:,} of {counted(self.total, 'file')} scored · {so_far}"
        if self.done >= _FILES_BEFORE_ESTIMATE and elapsed > 0:
            left = (self.total - self.done) * elapsed / self.done
            text += f" · about {_duration(left)} left"
        return text

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the upload has finished (tests, scripts); whether it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.finished


def _duration(seconds: float) -> str:
    if seconds < 60:
        return "1 min" if seconds > 45 else f"{max(5, round(seconds / 5) * 5)} s"
    return f"{round(seconds / 60)} min"


_lock = threading.Lock()
#: Each account's latest upload, running or waiting to be reported.
_jobs: dict[str, UploadJob] = {}


def _what(files: Sequence[tuple[str, bytes]]) -> str:
    zips = sum(is_zip(name) for name, _ in files)
    images = len(files) - zips
    return " and ".join(
        part
        for part in (
            counted(images, "image") if images else "",
            f"the images in {counted(zips, 'zip file')}" if zips else "",
        )
        if part
    )


def start_upload(
    store: Store,
    files: Sequence[tuple[str, bytes]],
    *,
    merchant_id: str,
    uploaded_by: str,
    manifest: dict[str, tuple[str, str]] | None = None,
    sku: str = "",
    only_own_merchant: bool = False,
) -> UploadJob:
    """Start scoring ``files`` (as :func:`~core.services.upload.ingest_uploads` takes them) in the
    background for the account ``uploaded_by``, and return its job at once.

    Raises :class:`IngestError` before anything starts: for the merchant id or SKU
    (:func:`check_upload_fields`), for an empty upload, and while the account has an upload still
    running (one at a time: two would share the two cores and both take twice as long) or a
    report no page has taken yet (it would be lost).
    """
    if not files:
        raise IngestError("Choose at least one file.")
    merchant_id, sku = check_upload_fields(store, merchant_id=merchant_id, sku=sku, only_own_merchant=only_own_merchant)
    with _lock:
        _forget_old_reports()
        earlier = _jobs.get(uploaded_by)
        if earlier is not None and not earlier.finished:
            raise IngestError(
                f"Your upload of {earlier.what} is still being scored ({earlier.done:,} of {earlier.total:,} files): "
                "wait for its report before the next one."
            )
        if earlier is not None:
            raise IngestError("Your last upload has finished: read its report on the Upload page first.")
        job = UploadJob(id=uuid.uuid4().hex, username=uploaded_by, what=_what(files), total=upload_file_count(files))
        _jobs[uploaded_by] = job
    job._thread = threading.Thread(
        target=_run,
        args=(job, store, list(files)),
        kwargs={
            "merchant_id": merchant_id,
            "uploaded_by": uploaded_by,
            "manifest": manifest,
            "sku": sku,
            "only_own_merchant": only_own_merchant,
        },
        name=f"upload-{job.id[:8]}",
        daemon=False,  # a server told to stop finishes the upload first
    )
    job._thread.start()
    return job


def _run(job: UploadJob, store: Store, files: list[tuple[str, bytes]], **options: object) -> None:
    def tick() -> None:
        job.done += 1  # one writer (this thread); readers only look

    try:
        job.outcome = ingest_uploads(store, files, on_file=tick, **options)  # type: ignore[arg-type]
    except IngestError as exc:  # a manifest or field refused: nothing was stored
        job.error = str(exc)
    except Exception:  # noqa: BLE001 - the account must hear that it stopped, whatever stopped it
        _log.exception("The upload of %s by %r failed", job.what, job.username)
        job.error = UPLOAD_FAILED
    finally:
        files.clear()  # the bytes go now, not when the report is taken
        job.finished_at = time.monotonic()


def upload_for(username: str) -> UploadJob | None:
    """The account's upload still running, or finished with its report not yet taken."""
    with _lock:
        return _jobs.get(username)


def take_report(username: str) -> UploadJob | None:
    """The account's finished upload, taken (a page shows its report from then on); ``None``
    while it runs or when there is none."""
    with _lock:
        job = _jobs.get(username)
        if job is None or not job.finished:
            return None
        del _jobs[username]
        return job


def _forget_old_reports() -> None:
    """Drop reports no page took within :data:`KEEP_REPORT_S` (the account never came back)."""
    cutoff = time.monotonic() - KEEP_REPORT_S
    for name in [n for n, j in _jobs.items() if j.finished_at is not None and j.finished_at < cutoff]:
        del _jobs[name]
