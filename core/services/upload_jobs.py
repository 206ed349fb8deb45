"""Uploads scored in the background, one at a time per account, with a count of the files done.

Scored inside the page's own script run, an upload of 10,000 files held that browser tab on one
spinner line for some ten minutes, with no count, and the page could not be left without ending
the run. Here the page hands the files to :func:`start_upload` and its run ends; the page then
asks :func:`upload_for` once a second. The account's latest upload, running or done, is the
same in every tab and session of the account: each shows its progress, then its report, until
the next upload starts or :data:`KEEP_REPORT_S` has passed. (A report taken by the first tab
to look left the tab the upload was started and watched in empty, or showing the report before.)

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

__all__ = ["KEEP_REPORT_S", "UPLOAD_FAILED", "UploadJob", "start_upload", "upload_for"]

_log = logging.getLogger(__name__)

#: How long a finished upload's report is kept for its account (seconds).
KEEP_REPORT_S = 24 * 3600.0
#: Files counted before a time left is guessed: the first files include the first imports.
_FILES_BEFORE_ESTIMATE = 5
#: Storing the measured files (scores under every profile, duplicates, one transaction), as a
#: share of the time measuring them took: 1.6 s after 15.2 s for 300 Madison files, and 3-4 s
#: after some 33 s for 679 in a browser probe. The bar and the time left count it.
_STORING_SHARE = 0.1

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
    #: The merchant the files go to (a manifest may name others).
    merchant_id: str = ""
    #: Files the report will name (each image, each file inside a zip).
    total: int
    started_at: float = field(default_factory=time.monotonic)
    #: Files measured or refused so far; storing the measured ones comes after.
    done: int = 0
    #: When the last file was measured (storing them starts).
    measured_at: float | None = None
    #: When the first :data:`_FILES_BEFORE_ESTIMATE` files were done: the time left is read from
    #: the pace since (the first files carry the first imports and allocations: counted from the
    #: start, 39 s were left when "about 1 min" was shown).
    paced_from: float | None = None
    outcome: UploadOutcome | None = None
    error: str | None = None
    finished_at: float | None = None
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def _storing_s(self) -> float:
        """How long storing should take, from how long measuring took."""
        measured = (self.measured_at or self.started_at) - self.started_at
        return _STORING_SHARE * measured

    def fraction(self, *, now: float | None = None) -> float:
        """How far the upload is, 0-1: measuring is the first 90%, storing the rest (by the time
        it should take; never 1 before the end)."""
        if not self.total:
            return 0.0
        if self.measured_at is None:
            return (1.0 - _STORING_SHARE) * min(1.0, self.done / self.total)
        storing = (now if now is not None else time.monotonic()) - self.measured_at
        return min(0.99, 1.0 - _STORING_SHARE + _STORING_SHARE * storing / max(self._storing_s(), 1e-6))

    def progress_text(self, *, now: float | None = None) -> str:
        """E.g. "120 of 300 files scored · 0:42 so far · about 1 min left" (the time left counts
        storing them too)."""
        t = now if now is not None else time.monotonic()
        elapsed = t - self.started_at
        so_far = f"{int(elapsed) // 60}:{int(elapsed) % 60:02d} so far"
        if self.measured_at is not None:
            left = self._storing_s() - (t - self.measured_at)
            text = f"All {counted(self.total, 'file')} scored; storing them in the catalogue · {so_far}"
            return text + (f" · about {_duration(left)} left" if left > 0 else "")
        text = f"{self.done:,} of {counted(self.total, 'file')} scored · {so_far}"
        if self.paced_from is not None and self.done > _FILES_BEFORE_ESTIMATE and t > self.paced_from:
            per_file = (t - self.paced_from) / (self.done - _FILES_BEFORE_ESTIMATE)
            left = (self.total - self.done) * per_file + _STORING_SHARE * self.total * per_file
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
#: Each account's latest upload, running or done (until the next or :data:`KEEP_REPORT_S`).
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
    running (one at a time: two would share the two cores and both take twice as long). The
    account's last report gives way to the new upload.
    """
    if not files:
        raise IngestError("Choose at least one file.")
    merchant_id, sku = check_upload_fields(store, merchant_id=merchant_id, sku=sku, only_own_merchant=only_own_merchant)
    with _lock:
        _forget_old_reports()
        earlier = _jobs.get(uploaded_by)
        if earlier is not None and not earlier.finished:
            raise IngestError(
                f"Your upload of {earlier.what} is still being scored, so this one was not started: upload these "
                "files once its report is here."
            )
        job = UploadJob(
            id=uuid.uuid4().hex,
            username=uploaded_by,
            what=_what(files),
            merchant_id=merchant_id,
            total=upload_file_count(files),
        )
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
        if job.done == _FILES_BEFORE_ESTIMATE:
            job.paced_from = time.monotonic()
        if job.done >= job.total:
            job.measured_at = time.monotonic()

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
    """The account's latest upload: running, or done (with its outcome or error) within
    :data:`KEEP_REPORT_S`; ``None`` if there is none."""
    with _lock:
        _forget_old_reports()
        return _jobs.get(username)


def _forget_old_reports() -> None:
    """Drop the reports of uploads done more than :data:`KEEP_REPORT_S` ago."""
    cutoff = time.monotonic() - KEEP_REPORT_S
    for name in [n for n, j in _jobs.items() if j.finished_at is not None and j.finished_at < cutoff]:
        del _jobs[name]
