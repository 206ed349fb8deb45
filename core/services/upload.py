"""Uploads, from the Upload page and from ``ingest``: zips are unpacked, other files are images.

The zip-or-file choice lives here once; the page and the command line both call
:func:`ingest_uploads`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Final

from core.engine.wording import counted
from core.store.database import Store
from core.store.intake import (
    ROWS_NAMED,
    FileResult,
    IngestError,
    IngestReport,
    check_merchant_case,
    check_sku,
    check_upload_merchant,
    ingest_files,
    ingest_zip,
    quoted,
    read_manifest,
    zip_file_count,
)
from core.vocabulary import HEIF_EXTENSIONS

__all__ = [
    "FileResult",
    "IngestError",
    "IngestReport",
    "REPORT_VIEWS",
    "UploadLimits",
    "UploadOutcome",
    "browser_file_name",
    "check_upload_fields",
    "counted",
    "ingest_uploads",
    "is_zip",
    "quoted",
    "read_manifest",
    "upload_file_count",
    "upload_limits",
]

#: How the accepted image extensions are named to a merchant (every extension in IMAGE_EXTENSIONS once).
_TYPE_NAMES = (
    ("JPEG", (".jpg", ".jpeg", ".jpe", ".jfif", ".pjpeg", ".pjp")),
    ("PNG", (".png",)),
    ("WebP", (".webp",)),
    ("HEIC", tuple(sorted(HEIF_EXTENSIONS))),
    ("AVIF", (".avif",)),
    ("TIFF", (".tif", ".tiff")),
    ("BMP", (".bmp",)),
    ("GIF", (".gif",)),
    ("MPO", (".mpo",)),
)


@dataclass(frozen=True, kw_only=True)
class UploadLimits:
    """The limits an upload is really held to, from the settings the engine and intake enforce."""

    max_image_bytes: int
    max_pixels: int
    image_extensions: tuple[str, ...]
    max_zip_bytes: int
    max_zip_entries: int
    max_zip_unpacked_bytes: int
    max_manifest_bytes: int

    @property
    def type_names(self) -> str:
        """E.g. "JPEG, PNG, WebP, TIFF, BMP, GIF, MPO": the accepted image types by name."""
        return ", ".join(name for name, exts in _TYPE_NAMES if any(e in self.image_extensions for e in exts))

    @property
    def image_types(self) -> str:
        """E.g. "JPEG (.jpg, .jpeg, .jpe), PNG (.png), ..."."""
        return ", ".join(
            f"{name} ({', '.join(exts)})" for name, exts in _TYPE_NAMES if any(e in self.image_extensions for e in exts)
        )

    def describe(self) -> str:
        """One plain sentence for the Upload page."""
        return (
            f"Images: {self.image_types}; each at most {self.max_image_bytes / 1024**2:g} MB and "
            f"{self.max_pixels / 1e6:g} megapixels. Zip files: at most {self.max_zip_bytes / 1024**2:g} MB, "
            f"{self.max_zip_entries} files and {self.max_zip_unpacked_bytes / 1024**3:g} GB unpacked."
        )


def browser_file_name(name: str) -> str:
    """The file's name as the merchant's computer has it. Browsers send file names in a multipart
    form with exactly three characters escaped (HTML standard: LF as ``%0A``, CR as ``%0D``, ``"``
    as ``%22``; a ``%`` itself is not escaped); this undoes that, and nothing else."""
    return name.replace("%0A", "\n").replace("%0D", "\r").replace("%22", '"')


def upload_limits() -> UploadLimits:
    """The limits in force (one place: the page shows these and the widgets use them)."""
    from core.engine.loading import DEFAULT_MAX_BYTES, heif_supported
    from core.store.intake import ZIP_LIMITS
    from core.store.settings import max_pixels
    from core.vocabulary import IMAGE_EXTENSIONS

    return UploadLimits(
        max_image_bytes=DEFAULT_MAX_BYTES,
        max_pixels=max_pixels(),
        # Without pillow-heif (a licence choice, see the README) HEIC is not offered at all.
        image_extensions=tuple(sorted(IMAGE_EXTENSIONS - (set() if heif_supported() else HEIF_EXTENSIONS))),
        max_zip_bytes=int(ZIP_LIMITS["max_zip_bytes"]),
        max_zip_entries=int(ZIP_LIMITS["max_entries"]),
        max_zip_unpacked_bytes=int(ZIP_LIMITS["max_total_bytes"]),
        max_manifest_bytes=int(ZIP_LIMITS["max_manifest_bytes"]),
    )


def is_zip(name: str) -> bool:
    """Whether an uploaded file is unpacked as a zip (by its name) rather than read as an image."""
    return name.lower().endswith(".zip")


#: The views of an upload's report, each with what it is called on the page: every file, then the
#: ones a merchant has to act on or may wonder about.
REPORT_VIEWS: Final[dict[str, str]] = {
    "all": "All files",
    "refused": "Refused",
    "issues": "Added with issues",
    "repeat": "Copies within this upload",
    "duplicate": "Already uploaded",  # as the summary line and each file's result say
}


#: The order of a report: the files stored, then those that need the merchant's attention (refused),
#: then those not stored again (copies of a file earlier in the upload, files already in the
#: catalogue). Upload order within each.
_REPORT_ORDER: Final[dict[str, int]] = {"added": 0, "refused": 1, "repeat": 2, "duplicate": 3}


def _verdict(r: FileResult) -> str:
    return "repeat" if r.repeat_of else r.status


def _in_view(r: FileResult, view: str) -> bool:
    if view == "all":
        return True
    if view == "issues":
        return r.status == "added" and bool(r.issues)
    if view == "repeat":
        return bool(r.repeat_of)
    if view == "duplicate":
        return r.status == "duplicate" and not r.repeat_of
    return r.status == view


@dataclass(kw_only=True)
class UploadOutcome:
    """Every file's verdict, plus the zips refused whole (unsafe, not a zip): (file name, reason)."""

    report: IngestReport = field(default_factory=IngestReport)
    refused_zips: list[tuple[str, str]] = field(default_factory=list)
    #: Manifest rows that named no file of the upload, as (where the manifest was, file named):
    #: their merchant and SKU went unused, which a merchant would not see otherwise. The first
    #: :data:`ROWS_NAMED` only (the report is kept for the session: a catalogue-wide manifest
    #: may hold 150,000 rows), and how many there were.
    unmatched_rows: list[tuple[str, str]] = field(default_factory=list)
    unmatched_count: int = 0

    def add_unmatched(self, rows: Sequence[tuple[str, str]], *, first: bool = False) -> None:
        """Count manifest ``rows`` that named no file, as (where the manifest was, file named),
        keeping the first :data:`ROWS_NAMED` to name; ``first`` puts them before those counted so far."""
        kept = [*rows, *self.unmatched_rows] if first else [*self.unmatched_rows, *rows]
        self.unmatched_rows = kept[:ROWS_NAMED]
        self.unmatched_count += len(rows)

    def unmatched_note(self) -> str | None:
        """What to tell about the unused manifest rows, naming a few; ``None`` when every row was used."""
        n = self.unmatched_count
        if not n:
            return None
        named = ", ".join(f"{quoted(name)} ({where})" for where, name in self.unmatched_rows[:ROWS_NAMED])
        more = n - min(n, ROWS_NAMED)
        return (
            f"{counted(n, 'manifest row')} named no file in this upload, so "
            f"{'its SKU was' if n == 1 else 'their SKUs were'} not used: {named}"
            f"{f' and {more:,} more' if more > 0 else ''}. A row must name the file as uploaded, with its folders "
            "inside a zip (e.g. red/shirt.jpg)."
        )

    def counts(self) -> dict[str, int]:
        """How many files were added, were in the catalogue already (``duplicate``), repeated a
        file added earlier in the same upload (``repeat``), or were refused."""
        out = {"added": 0, "duplicate": 0, "repeat": 0, "refused": 0}
        for r in self.report.results:
            out[_verdict(r)] += 1
        return out

    def summary(self) -> str:
        """One line for the page: "3 added · 1 already uploaded · 0 refused", then the copies
        within the upload and the zips refused whole when there are any (singular for one)."""
        n = self.counts()
        parts = [f"{n['added']} added", f"{n['duplicate']} already uploaded", f"{n['refused']} refused"]
        if n["repeat"]:
            parts.append(
                "1 copy of a file earlier in this upload"
                if n["repeat"] == 1
                else f"{n['repeat']} copies of files earlier in this upload"
            )
        if self.refused_zips:
            parts.append(counted(len(self.refused_zips), "zip") + " refused whole")
        return " · ".join(parts)

    def view_counts(self) -> dict[str, int]:
        """How many files each of :data:`REPORT_VIEWS` shows."""
        return {v: sum(_in_view(r, v) for r in self.report.results) for v in REPORT_VIEWS}

    def in_view(self, view: str) -> list[FileResult]:
        """The files one of :data:`REPORT_VIEWS` shows: those stored first, then those refused,
        then copies and files already in the catalogue (:data:`_REPORT_ORDER`), each in upload order."""
        if view not in REPORT_VIEWS:
            raise ValueError(f"no report view {view!r}")
        shown = [r for r in self.report.results if _in_view(r, view)]
        return sorted(shown, key=lambda r: _REPORT_ORDER[_verdict(r)])  # stable: upload order kept


def check_upload_fields(store: Store, *, merchant_id: str, sku: str, only_own_merchant: bool) -> tuple[str, str]:
    """The page's merchant id and SKU (``ingest --merchant``) as an upload uses them, checked
    before any file is read: :class:`IngestError` saying why (too long for the database, spaces,
    markup, another merchant's id in other letter case...). A merchant's own id
    (``only_own_merchant``) comes from their account, which was checked when it was made."""
    if not only_own_merchant:
        merchant_id = check_upload_merchant(merchant_id)
        check_merchant_case(store, merchant_id)
    return merchant_id, check_sku(sku)


def upload_file_count(files: Sequence[tuple[str, bytes]]) -> int:
    """How many files an upload of ``(name, bytes)`` pairs reports on (a progress bar's total): each
    image, and each file in a zip, read from the zip's list of contents alone."""
    return sum(zip_file_count(data) if is_zip(name) else 1 for name, data in files)


def ingest_uploads(
    store: Store,
    files: Sequence[tuple[str, bytes]],
    *,
    merchant_id: str,
    uploaded_by: str,
    manifest: dict[str, tuple[str, str]] | None = None,
    sku: str = "",
    only_own_merchant: bool = False,
    executor: Executor | None = None,
    stop_at_refused_zip: bool = False,
    on_file: Callable[[], None] | None = None,
) -> UploadOutcome:
    """Ingest ``(name, bytes)`` pairs: the images together (one ingest), then each zip on its own.

    A zip refused whole (:class:`IngestError`) is recorded in ``refused_zips`` and the others go
    on, or, with ``stop_at_refused_zip``, the error is raised. ``sku`` applies to the loose images;
    a zip's own ``manifest.csv`` (or ``manifest``) names SKUs for its files. ``only_own_merchant``
    (a merchant's upload): a manifest may set SKUs, never another merchant.

    ``merchant_id`` and ``sku`` (the page's fields, ``ingest --merchant``) are checked before any
    file is read: :class:`IngestError` saying why (too long for the database, spaces, markup...),
    whatever ``stop_at_refused_zip`` says. A merchant's own id (``only_own_merchant``) comes from
    their account, which was checked when it was made, and is taken as it is.

    ``on_file`` is called once for each of the :func:`upload_file_count` files as it is measured
    or refused (a zip refused whole counts its files at once).
    """
    merchant_id, sku = check_upload_fields(store, merchant_id=merchant_id, sku=sku, only_own_merchant=only_own_merchant)
    outcome = UploadOutcome()
    earlier: dict[tuple[str, str], str] = {}  # files added so far, so a later copy names the first
    singles = [(name, data) for name, data in files if not is_zip(name)]
    used: set[str] = set()  # the given manifest's rows that some file matched
    if singles:
        part = ingest_files(
            store,
            singles,
            merchant_id=merchant_id,
            uploaded_by=uploaded_by,
            manifest=manifest,
            sku=sku,
            only_own_merchant=only_own_merchant,
            executor=executor,
            earlier=earlier,
            on_file=on_file,
        )
        outcome.report.results += part.results
        used |= part.manifest_used
    for name, data in files:
        if not is_zip(name):
            continue
        ticked = [0]  # this zip's files counted so far

        def tick(ticked: list[int] = ticked) -> None:
            ticked[0] += 1
            if on_file is not None:
                on_file()

        try:
            part = ingest_zip(
                store,
                data,
                merchant_id=merchant_id,
                uploaded_by=uploaded_by,
                manifest=manifest,
                only_own_merchant=only_own_merchant,
                executor=executor,
                earlier=earlier,
                on_file=tick,
            )
        except IngestError as exc:
            if stop_at_refused_zip:
                raise
            outcome.refused_zips.append((name, str(exc)))
            # The files it had left count as done (none for a zip refused on its list of contents).
            if on_file is not None:
                for _ in range(max(0, zip_file_count(data) - ticked[0])):
                    on_file()
        else:
            # Named with their zip in the report ("monday.zip › red/shirt.jpg"): a refused
            # empty.png from a zip looked like a loose empty.png uploaded with it.
            outcome.report.results += [replace(r, source=name) for r in part.results]
            used |= part.manifest_used
            outcome.add_unmatched([(f"manifest.csv in {name}", row) for row in part.manifest_unmatched])
    if manifest and not outcome.refused_zips:  # (a zip refused whole had files it may have named)
        outcome.add_unmatched([("the manifest", row) for row in sorted(set(manifest) - used)], first=True)
    return outcome
