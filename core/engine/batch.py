"""Batch scoring: many files, several processes, one CSV row per image streamed as it is done."""

from __future__ import annotations

import csv
import ctypes
import logging
import math
import os
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import IO, Any, Final

import cv2

from core.engine.assess import Analysis, Assessment, analyze, assess
from core.engine.csv_safe import formula_safe
from core.engine.duplicates import DuplicateIndex
from core.engine.loading import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, ImageLoadError, load_image
from core.engine.profiles import Profile
from core.vocabulary import ANALYSIS_LONG_SIDE, IMAGE_EXTENSIONS, METRIC_INFO, UNSUPPORTED_IMAGE_EXTENSIONS

__all__ = [
    "CSV_COLUMNS",
    "UNMEASURABLE",
    "BatchRow",
    "assess_paths",
    "discover",
    "measure_upload",
    "tune_allocator",
    "write_csv",
]

_log = logging.getLogger("imagedesk")

#: The verdict of an uploaded file that the engine failed on unexpectedly (the details go to the
#: server's log, not to the merchant): the rest of the upload goes on.
UNMEASURABLE: Final = (
    "Could not be measured: the quality checks failed on this file unexpectedly. "
    "The other files were not affected; the error is in the server's log."
)


CSV_COLUMNS: Final = (
    "path",
    "quality_score",
    "issues",
    "error",
    "profile",
    "sha256",
    "phash",
    "format",
    "duplicate_of",
    *METRIC_INFO.keys(),
)


def discover(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files named directly, plus image files found recursively (sorted) in named folders, each
    file once however often it is named. Image types the engine cannot read (SVG, JPEG XL, ...) are
    yielded too, so they get a row with the reason."""
    wanted = IMAGE_EXTENSIONS | UNSUPPORTED_IMAGE_EXTENSIONS
    seen: set[Path] = set()  # 'score x.jpg .' names x.jpg twice: it is one file, scored once
    for raw in paths:
        p = Path(raw)
        found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in wanted) if p.is_dir() else [p]
        for f in found:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                yield f


@dataclass(frozen=True, slots=True)
class BatchRow:
    """One result: an assessment, or the reason the file could not be read."""

    path: str
    assessment: Assessment | None
    error: str = ""

    def to_csv_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {c: "" for c in CSV_COLUMNS}
        row["path"] = self.path
        row["error"] = self.error
        a = self.assessment
        if a is None:
            return row
        row.update(
            quality_score=f"{a.score:.1f}",
            issues=";".join(a.issue_names),
            profile=a.profile,
            sha256=a.analysis.info.sha256,
            phash=a.analysis.phash,
            format=a.analysis.info.format,
            duplicate_of=a.duplicate_of or "",
        )
        for k in METRIC_INFO:
            v = a.metrics.get(k, math.nan)
            row[k] = "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.6g}"
        return row


_M_TRIM_THRESHOLD: Final = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD: Final = -3


_allocator_tuned = False


def tune_allocator(*, keep_free_mb: int = 128) -> None:
    """Keep measuring temporaries on the heap in a process that measures images (glibc;
    elsewhere a no-op). The first call in a process decides.

    Measuring one photo allocates a few dozen arrays of 1-15 MB. glibc maps each one fresh
    above its mmap threshold and unmaps it when freed, so every image pays a page fault per
    4 KB page again: about a third of the measuring time on a 2400x1800 JPEG. (glibc adapts
    that threshold to what was freed before, so without a fixed one the cost even depends on
    which modules were imported first.) A fixed 32 MB threshold lets the next image reuse the
    same pages; up to ``keep_free_mb`` MB of freed heap is kept rather than returned. Batch
    workers keep 128 MB; the app server, which measures uploads in its own process and serves
    everything else too, keeps 32 MB.
    """
    global _allocator_tuned
    if _allocator_tuned:
        return
    _allocator_tuned = True
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
        libc.mallopt(_M_TRIM_THRESHOLD, keep_free_mb << 20)
    except (OSError, AttributeError):  # musl or another libc: keep its defaults
        pass


def _analyse_path(
    path: str, max_pixels: int = DEFAULT_MAX_PIXELS, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[str, Analysis | None, str]:
    tune_allocator()
    try:
        image = load_image(path, reduce_to=ANALYSIS_LONG_SIDE, max_pixels=max_pixels, max_bytes=max_bytes)
        return path, analyze(image), ""
    except ImageLoadError as exc:
        return path, None, str(exc)
    except Exception as exc:  # noqa: BLE001 - a batch never stops for one file
        return path, None, f"Unexpected error while reading the image: {type(exc).__name__}: {exc}"


def measure_upload(
    data: bytes, name: str = "", *, max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS
) -> tuple[Analysis | None, str]:
    """Decode and measure one uploaded file: ``(analysis, "")``, or ``(None, reason)`` when it
    cannot be read as an image or measuring it fails. A plain module-level function of bytes, so
    an ingest can map it over a local pool or a Dask cluster (whose workers then need only the
    engine).

    Like the command line's batch, an upload never stops for one file: an unexpected error while
    decoding or measuring becomes this file's reason (:data:`UNMEASURABLE`, in plain words) and
    is logged with its traceback where it ran (``name``, the file's name, says which file).
    """
    try:
        image = load_image(data, max_bytes=max_bytes, max_pixels=max_pixels, reduce_to=ANALYSIS_LONG_SIDE)
        return analyze(image), ""
    except ImageLoadError as exc:
        return None, str(exc)
    except Exception:  # noqa: BLE001 - one bad file must not stop the upload of the others
        _log.exception("Measuring the uploaded file %r (%d bytes) failed", name, len(data))
        return None, UNMEASURABLE


@lru_cache(maxsize=1)
def _pool_size() -> int:
    return max(1, os.cpu_count() or 1)


def assess_paths(
    paths: Iterable[str | os.PathLike[str]],
    profile: Profile,
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[BatchRow]:
    """Score every file, yielding rows in input order as soon as each is ready.

    Decoding and measuring run in ``workers`` processes (default: one per core), or on
    ``executor`` when given: any ``concurrent.futures.Executor``, such as the one a Dask
    cluster hands out (``dask.distributed.Client(...).get_executor()``), so the same job runs
    on many machines when one is not enough (the workers must see the same file paths).
    Duplicate detection and scoring run here, in order, so "duplicate of" always points to
    an earlier file and the output does not depend on timing. Files over ``max_pixels`` pixels
    or ``max_bytes`` bytes are reported as unreadable, with the reason.
    """
    files = [str(p) for p in discover(paths)]
    index = DuplicateIndex()
    work = partial(_analyse_path, max_pixels=max_pixels, max_bytes=max_bytes)
    if executor is not None:
        # Another machine's worker starts in another folder: it is sent absolute paths, and the
        # rows keep the paths as given.
        sent = [str(Path(f).resolve()) for f in files]
        for path, (_, analysis, error) in zip(files, executor.map(work, sent), strict=True):
            yield _row(path, analysis, error, profile, index)
        return
    n = workers or _pool_size()
    if n <= 1 or len(files) <= 1:
        results: Iterable[tuple[str, Analysis | None, str]] = map(work, files)
        for path, analysis, error in results:
            yield _row(path, analysis, error, profile, index)
        return
    # Each worker runs OpenCV on one thread: the processes already fill the cores, and n pools of
    # n threads would only queue for them. Workers inherit the setting when forked; it is set
    # here, in the parent, because a forked child must not touch the thread pool it inherited.
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        with ProcessPoolExecutor(max_workers=n) as pool:
            for path, analysis, error in pool.map(work, files, chunksize=4):
                yield _row(path, analysis, error, profile, index)
    finally:
        cv2.setNumThreads(threads)


def _row(path: str, analysis: Analysis | None, error: str, profile: Profile, index: DuplicateIndex) -> BatchRow:
    if analysis is None:
        return BatchRow(path, None, error)
    return BatchRow(path, assess(analysis, profile, key=path, label=Path(path).name, duplicates=index))


def write_csv(rows: Iterable[BatchRow], out: IO[str]) -> tuple[int, int]:
    """Write rows as CSV, flushing each; returns (images scored, files that failed)."""
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS))
    writer.writeheader()
    ok = bad = 0
    for row in rows:
        writer.writerow({k: formula_safe(v) for k, v in row.to_csv_row().items()})  # a file may be named "=cmd|..."
        out.flush()
        if row.assessment is None:
            bad += 1
        else:
            ok += 1
    return ok, bad
