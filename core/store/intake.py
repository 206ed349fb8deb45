"""Intake: ingest originals (files, a folder, a zip, with an optional manifest) and store optimized versions.

Originals are stored once by sha256 under ``blobs/`` and never changed. Each ingest first
decodes and measures every file (no database lock held), then writes the new files and all
rows in one transaction. A file that fails to measure, or to score (each file's rows are written
under its own savepoint), is refused alone and the rest are stored. A database error rolls the
whole transaction back and the files it added are removed, so an ingest never leaves half an
image behind.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import struct
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Final, Literal

import numpy as np
from sqlalchemy import and_, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from core.engine.assess import Analysis, analyze, at_source_resolution
from core.engine.batch import measure_upload, tune_allocator
from core.engine.duplicates import DuplicateIndex
from core.engine.export_image import encode_image
from core.engine.loading import DEFAULT_MAX_BYTES, load_image, sha256_of
from core.engine.profiles import Profile
from core.engine.recipe import Recipe
from core.store.accounts import AuthError, check_merchant_id, list_users
from core.store.blobs import blob_path_for, write_blob
from core.store.database import Store, image_names, images, inserted_id, now, shown_name, versions
from core.store.queries import merchant_ids
from core.store.scores import all_profiles, duplicate_index, source_long_side, store_scores
from core.store.settings import max_pixels as settings_max_pixels
from core.vocabulary import ANALYSIS_LONG_SIDE, FORMAT_EXTENSIONS, IMAGE_EXTENSIONS, UNSUPPORTED_IMAGE_EXTENSIONS

__all__ = [
    "FileResult",
    "IngestError",
    "IngestReport",
    "ZIP_LIMITS",
    "ingest_files",
    "ingest_folder",
    "ingest_zip",
    "read_manifest",
    "quoted",
    "MAX_DISPLAY_NAME",
    "ROWS_NAMED",
    "MAX_SKU",
    "check_merchant_case",
    "check_sku",
    "check_upload_merchant",
    "known_merchants",
    "merchant_case_clash",
    "display_name",
    "safe_name",
    "SavedVersion",
    "UNSCORABLE",
    "save_optimized",
    "folder_files",
    "zip_file_count",
]

_log = logging.getLogger("imagedesk")

#: The reason given for a file whose scoring failed unexpectedly (the traceback goes to the
#: server's log, never to the merchant), as measuring's own ``UNMEASURABLE``.
UNSCORABLE: Final = (
    "Could not be scored: checking this file against the marketplace rules failed unexpectedly. "
    "The other files were not affected; the error is in the server's log."
)


class IngestError(ValueError):
    """The whole upload is refused (unsafe zip, bad manifest); nothing was stored."""


#: Limits for uploaded zips: entries, total uncompressed bytes (counted while reading, not
#: taken from the zip's own claims), compression ratio, and the size of a manifest inside.
ZIP_LIMITS: Final = {
    "max_entries": 2000,
    "max_total_bytes": 2 * 1024**3,
    "max_ratio": 200,
    "max_manifest_bytes": 5 * 1024**2,
    "max_zip_bytes": 500 * 1024**2,
    # The table of contents zipfile reads whole and keeps (names, extra fields, comments): 2,000
    # entries with long paths and the usual extra fields take about 1 MB; 2,000 of 64 KB names,
    # extras and comments took 384 MB of a 480 MB zip and cost +721 MB to list.
    "max_directory_bytes": 8 * 1024**2,
}
#: Files measured per batch during an ingest (and at most this many bytes of them at once).
_BATCH_FILES: Final = 8
_BATCH_BYTES: Final = 256 * 1024**2


def _batches(
    items: Iterable[tuple[_Names, bytes, str, str]], *, max_files: int, max_bytes: int
) -> Iterator[list[tuple[_Names, bytes, str, str]]]:
    batch: list[tuple[_Names, bytes, str, str]] = []
    size = 0
    for item in items:
        batch.append(item)
        size += len(item[1])
        if len(batch) >= max_files or size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE = re.compile(r'[\\/:*?"<>|]')
#: Longest display name kept (characters); longer names are cut with an ellipsis.
MAX_DISPLAY_NAME: Final = 500


_WINDOWS_PATH = re.compile(r"^[A-Za-z]:\\")


def _base(name: str) -> str:
    """A full Windows path (``C:\\Users\\...\\x.jpg``, as old browsers send) is cut to its last part;
    otherwise a backslash is part of the name."""
    return name.rsplit("\\", 1)[-1] if _WINDOWS_PATH.match(name) else name


def safe_name(name: str, *, max_len: int = 120) -> str:
    """The storage name of a file (downloads, exports): no folders, no control characters, not
    hidden, no characters that file systems refuse (a backslash is one of them, not a folder
    separator), at most ``max_len`` characters (the extension is kept)."""
    base = unicodedata.normalize("NFC", _base(str(name))).split("/")[-1]
    base = _UNSAFE.sub("_", _CONTROL.sub("", base)).strip().lstrip(".")
    if not base:
        base = "image"
    stem, dot, ext = base.rpartition(".")
    if not dot or len(ext) > 10:
        stem, ext = base, ""
    if len(base) > max_len:
        keep = max_len - (len(ext) + 1 if ext else 0)
        base = stem[:keep] + (f".{ext}" if ext else "")
    return base


def display_name(name: str) -> str:
    """The name exactly as the merchant gave it (quotes, newlines, backslashes kept), for display;
    only NUL characters (which databases refuse) are dropped and very long names are cut."""
    shown = _base(str(name)).replace("\x00", "")
    return shown if len(shown) <= MAX_DISPLAY_NAME else shown[: MAX_DISPLAY_NAME - 1] + "\u2026"


#: (storage name, display name) of one file.
_Names = tuple[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class FileResult:
    """What happened to one uploaded file. ``name`` is its storage name (:func:`safe_name`),
    ``display_name`` the name as the merchant gave it. A ``duplicate`` with ``repeat_of`` repeats
    the bytes of that file (its display name), added earlier in the same upload; without it, the
    bytes were in the catalogue before the upload. ``source`` names the zip the file came out of
    ("" for a file uploaded as it is). ``merchant_id`` is the merchant an added file was stored
    under, or whose catalogue already held a duplicate (a manifest may name another than the
    upload's); "" for a refused file."""

    name: str
    status: Literal["added", "duplicate", "refused"]
    reason: str = ""
    image_id: int | None = None
    version_id: int | None = None
    score: float | None = None
    issues: tuple[str, ...] = ()
    display_name: str = ""
    repeat_of: str = ""
    source: str = ""
    merchant_id: str = ""

    @property
    def shown_name(self) -> str:
        return self.display_name or self.name


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    #: The manifest rows (by the file they name, as written) that a file of this ingest matched.
    manifest_used: set[str] = field(default_factory=set)
    #: The rows of a zip's or a folder's own manifest.csv that no file there matched (their SKUs
    #: went unused).
    manifest_unmatched: list[str] = field(default_factory=list)

    @property
    def added(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "added"]

    @property
    def refused(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "refused"]


#: Longest SKU stored (the ``images.sku`` column is ``String(128)``; PostgreSQL refuses longer).
MAX_SKU: Final = 128
#: Character classes a SKU may not hold: control characters (line breaks, tabs, NUL), lone
#: surrogates, line and paragraph separators.
_NOT_IN_SKU: Final = frozenset({"Cc", "Cs", "Zl", "Zp"})
#: Rows named in one message about a manifest; the others are counted.
ROWS_NAMED: Final = 5


def _sku_problem(sku: str) -> str:
    """Why ``sku`` (already stripped) cannot be stored, or "" when it can."""
    if len(sku) > MAX_SKU:
        return f"a SKU may be at most {MAX_SKU} characters (this one has {len(sku)})"
    if any(unicodedata.category(c) in _NOT_IN_SKU for c in sku):
        return "a SKU cannot contain control characters such as line breaks or tabs"
    return ""


def check_sku(text: str) -> str:
    """The SKU given for a whole upload (the Upload page's field), without surrounding spaces;
    :class:`IngestError` saying why when it cannot be stored. An empty SKU is allowed."""
    sku = text.strip()
    problem = _sku_problem(sku)
    if problem:
        raise IngestError(f"The SKU cannot be used: {problem}. Nothing was imported.")
    return sku


def check_upload_merchant(text: str) -> str:
    """The merchant id an upload was given (the Upload page's field, ``ingest --merchant``), as
    :func:`core.store.accounts.check_merchant_id` accepts it; "" stays "" (a manifest may name each
    file's merchant). :class:`IngestError` saying why otherwise: the ``merchant_id`` columns are
    ``String(64)``, and PostgreSQL refused a longer id only once the files were measured."""
    if not text.strip():
        return ""
    try:
        return check_merchant_id(text)
    except AuthError as exc:
        raise IngestError(f"The merchant id cannot be used: {exc}. Nothing was imported.") from None


def known_merchants(store: Store, *, except_account: str | None = None) -> dict[str, str]:
    """Every merchant id in use (with images, or a merchant account's other than
    ``except_account``'s), by its case-folded form."""
    ids = {
        *merchant_ids(store),
        *(u.merchant_id for u in list_users(store) if u.merchant_id and u.username != except_account),
    }
    return {m.casefold(): m for m in sorted(ids)}


def merchant_case_clash(merchant: str, known: dict[str, str]) -> str | None:
    """Why files may not go to ``merchant`` when it differs from a merchant id in use (``known``,
    from :func:`known_merchants`) only in upper and lower case; ``None`` otherwise. Merchant ids
    are compared exactly everywhere, so "Madison" would be a second merchant beside "madison",
    whose account never sees its images: a typo, not a new shop."""
    other = known.get(merchant.casefold())
    if other is None or other == merchant:
        return None
    return (
        f"The merchant id {quoted(merchant)} differs from the merchant {quoted(other)} only in upper and lower "
        f"case. Merchant ids are case-sensitive, so the files would go to a new merchant, which the account of "
        f"{quoted(other)} never sees. Use {quoted(other)}."
    )


def check_merchant_case(store: Store, merchant_id: str) -> None:
    """:class:`IngestError` before anything is read when the merchant id an upload was given
    (:func:`check_upload_merchant`) differs from one in use only in letter case (see
    :func:`merchant_case_clash`)."""
    if merchant_id and (clash := merchant_case_clash(merchant_id, known_merchants(store))):
        raise IngestError(f"{clash} Nothing was imported.")


def quoted(text: str, limit: int = 40) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "\u2026")


def _decoded(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise IngestError(
            f"The manifest is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save it as "
            "'CSV UTF-8' and upload it again. Nothing was imported."
        ) from None


def read_manifest(data: bytes | str, *, uses_merchant_ids: bool = True) -> dict[str, tuple[str, str]]:
    """Parse a manifest CSV (columns ``file``, ``merchant_id``, ``sku``) into file -> (merchant, sku).

    Files are keyed by their name exactly as written (no cleaning, so ``a"b.jpg`` and ``a_b.jpg``
    stay two rows). Other columns are ignored, and so are empty cells beyond the header's columns
    (the trailing comma of many spreadsheet exports). Whatever the bytes or text, the only
    exception raised is :class:`IngestError`, naming the problem: not UTF-8, not CSV, no ``file`` column, or rows (by
    number, the header being row 1, as a spreadsheet shows them) with a value beyond the named
    columns (an unquoted comma inside a value: which value went where cannot be known), an unusable
    merchant id (:func:`core.store.accounts.check_merchant_id`) or SKU (at most :data:`MAX_SKU`
    characters, no control characters), or one file listed twice with different values.

    A manifest with such a row is refused whole rather than the row alone: its file would
    otherwise be stored under the uploader's merchant and without its SKU, which is the wrong
    catalogue entry rather than none, and the merchant would have to find and fix it afterwards.

    ``uses_merchant_ids``: False for a merchant's own upload, whose files always go to their own
    merchant id: the ``merchant_id`` column is then ignored, so it is not checked either.
    """
    # Strict: a double quote that opens a value and never closes took the rest of the file as that
    # value (two rows merged into one, reported only as a row naming no file).
    reader = csv.reader(io.StringIO(_decoded(data)), strict=True)
    header: list[str] | None = None
    number = 0  # rows read so far (the header and blank rows included)
    problems: list[str] = []
    out: dict[str, tuple[str, str]] = {}
    first_row: dict[str, int] = {}
    try:
        for number, record in enumerate(reader, start=1):
            cells = [c.strip() for c in record]
            if header is None:
                if any(cells):
                    header = [c.lower() for c in cells]
                    _check_header(header)
                continue
            if not any(cells):
                continue
            at = dict(zip(header, cells, strict=False))  # a name given twice is refused by _check_header
            file = at.get("file", "")
            label = f"row {number}" + (f" ({quoted(file)})" if file else "")
            extra = [c for i, c in enumerate(cells) if c and (i >= len(header) or not header[i])]
            if extra:
                values = "a value" if len(extra) == 1 else f"{len(extra)} values"
                problems.append(
                    f"{label} has {values} beyond the named columns ({', '.join(quoted(c) for c in extra)}): "
                    "a value with a comma in it needs double quotes around it"
                )
                continue
            if not file:
                continue
            merchant, sku = at.get("merchant_id", ""), at.get("sku", "")
            found = [_sku_problem(sku)]
            if merchant and uses_merchant_ids:
                try:
                    merchant = check_merchant_id(merchant)
                except AuthError as exc:
                    found.append(str(exc))
            found = [f for f in found if f]
            if found:
                problems.append(f"{label}: {'; '.join(found)}")
                continue
            value = (merchant, sku)
            if file in out and out[file] != value:
                problems.append(
                    f"{label} lists {quoted(file)} twice, with different merchants or SKUs "
                    f"({out[file]} in row {first_row[file]} and {value})"
                )
                continue
            out.setdefault(file, value)
            first_row.setdefault(file, number)
    except csv.Error as exc:
        if "field limit" in str(exc):
            why = (
                f"a value is longer than {csv.field_size_limit():,} characters, most likely because a double quote "
                "opens it and none closes it"
            )
        elif "unexpected end of data" in str(exc):
            why = "a double quote opens a value and none closes it"
        elif "expected after" in str(exc):
            why = "a quoted value goes on after its closing double quote (write a double quote inside one as two)"
        else:
            why = str(exc)
        raise IngestError(
            f"The manifest cannot be read as CSV at row {number + 1}: {why}. Nothing was imported."
        ) from None
    if header is None:
        raise IngestError(_NO_FILE_COLUMN)
    if problems:
        more = len(problems) - ROWS_NAMED
        listed = "; ".join(problems[:ROWS_NAMED]) + (
            f"; and {more} more row{'s' if more != 1 else ''}" if more > 0 else ""
        )
        raise IngestError(
            f"The manifest cannot be used, so nothing was imported: {listed}. Correct "
            f"{'this row' if len(problems) == 1 else 'these rows'} and upload again."
        )
    return out


_NO_FILE_COLUMN: Final = "The manifest CSV needs a 'file' column (and optionally 'merchant_id', 'sku')"


def _check_header(header: list[str]) -> None:
    if "file" not in header:
        raise IngestError(_NO_FILE_COLUMN)
    for name in ("file", "merchant_id", "sku"):
        if header.count(name) > 1:
            raise IngestError(
                f"The manifest has {header.count(name)} '{name}' columns; which one counts cannot be known. "
                "Nothing was imported."
            )


def _manifest_lookup(
    manifest: dict[str, tuple[str, str]] | None, used: set[str] | None = None
) -> Callable[[str], tuple[tuple[str, str] | None, str]]:
    """A function giving the manifest row for a file: its exact name first (with its folders
    inside a zip or folder, e.g. ``red/shirt.jpg``), else the one row whose cleaned name is the
    file's cleaned name. Several such rows that disagree are a collision: ``(None, reason)``, so
    the file is refused rather than one row silently winning.

    The rows are indexed by cleaned name once, at the first file not named exactly: cleaning every
    row for every such file took 0.36 s a file with a 5 MB manifest (150,000 rows), 12 minutes of
    the server's CPU for a zip of 2,000 entries. A collision names :data:`ROWS_NAMED` rows and
    counts the others, decided once per cleaned name: naming every row put 3.9 MB of text in the
    reason of each file matching 250,000 rows that clean alike (a 5.5 MB manifest). The rows a
    file matched are added to ``used``."""
    rows = manifest or {}
    used = used if used is not None else set()
    by_clean: dict[str, dict[str, tuple[str, str]]] | None = None
    decided: dict[str, tuple[tuple[str, str] | None, str]] = {}

    def collision(matches: dict[str, tuple[str, str]]) -> tuple[tuple[str, str] | None, str]:
        if len(set(matches.values())) <= 1:
            return (next(iter(matches.values())) if matches else ("", "")), ""
        names = sorted(matches)
        more = len(names) - ROWS_NAMED
        listed = ", ".join(quoted(k) for k in names[:ROWS_NAMED]) + (f" and {more:,} more" if more > 0 else "")
        return None, (
            f"The manifest has {len(matches):,} rows that match this file once names are cleaned "
            f"({listed}); name the file exactly as in one row."
        )

    def lookup(raw_name: str) -> tuple[tuple[str, str] | None, str]:
        nonlocal by_clean
        if not rows:
            return ("", ""), ""
        if raw_name in rows:
            used.add(raw_name)
            return rows[raw_name], ""
        if by_clean is None:
            by_clean = {}
            for key, value in rows.items():
                by_clean.setdefault(safe_name(key), {})[key] = value
        clean = safe_name(raw_name)
        if clean not in decided:
            decided[clean] = collision(by_clean.get(clean, {}))
            if decided[clean][0] is not None:
                used.update(by_clean.get(clean, {}))
        return decided[clean]

    return lookup


def ingest_files(
    store: Store,
    files: Iterable[tuple[str, bytes]],
    *,
    merchant_id: str,
    uploaded_by: str = "",
    manifest: dict[str, tuple[str, str]] | None = None,
    sku: str = "",
    max_bytes: int = DEFAULT_MAX_BYTES,
    only_own_merchant: bool = False,
    executor: Executor | None = None,
    max_pixels: int | None = None,
    earlier: dict[tuple[str, str], str] | None = None,
    on_file: Callable[[], None] | None = None,
) -> IngestReport:
    """Ingest ``(name, bytes)`` pairs for ``merchant_id`` (a manifest may assign others).

    Unreadable files are refused with the loader's reason and the rest are stored. Identical
    bytes already stored for the same merchant are reported as ``duplicate`` and not stored
    again. Every image is scored under every available profile. With ``only_own_merchant``
    (uploads by a merchant), a manifest may set SKUs but never another merchant. With
    ``executor`` (a process pool, or a Dask cluster's), files are decoded and measured there;
    duplicates, scores and every database write are still resolved here, in input order.

    A file whose bytes another file of the same upload was just added with is a ``duplicate``
    that names that file (``repeat_of``), not one "uploaded before". ``earlier`` maps
    ``(merchant, sha256)`` to the display name of each file added so far in the upload: pass the
    same dict to every ingest of one upload (loose images, then each zip); it is filled in once
    this ingest is stored.

    ``sku`` is checked first (:func:`check_sku`); a ``manifest`` comes from :func:`read_manifest`,
    which checks its merchant ids and SKUs. The caller checks ``merchant_id``
    (:func:`check_upload_merchant`, as :func:`core.services.upload.ingest_uploads` does).

    ``on_file`` is called once for each file as soon as it is measured or refused, before
    anything is stored (measuring is nearly all of an ingest's time): a progress count.
    """
    tick = on_file or _nothing
    sku = check_sku(sku)  # before anything is read: PostgreSQL would refuse it only once all was measured
    report = IngestReport()
    notes: dict[str, str] = {}  # storage name -> what the uploader should know about an added file

    manifest_row = _manifest_lookup(manifest, report.manifest_used)
    known = {} if only_own_merchant else known_merchants(store)  # a merchant's own id is their account's

    def accepted() -> Iterator[tuple[_Names, bytes, str, str]]:
        for raw_name, data in files:
            name, shown = safe_name(raw_name), display_name(raw_name)
            row, collision = manifest_row(raw_name)
            if row is None:
                report.results.append(FileResult(name=name, status="refused", reason=collision, display_name=shown))
                tick()
                continue
            merchant, item_sku = row
            if only_own_merchant and merchant and merchant != merchant_id:
                notes[name] = (
                    f"The manifest's merchant {quoted(merchant)} was not used: your uploads go to '{merchant_id}'."
                )
            merchant = merchant_id if only_own_merchant else (merchant or merchant_id)
            if not merchant:
                report.results.append(
                    FileResult(
                        name=name, status="refused", reason="No merchant given for this file.", display_name=shown
                    )
                )
                tick()
                continue
            if not only_own_merchant and (clash := merchant_case_clash(merchant, known)):
                report.results.append(FileResult(name=name, status="refused", reason=clash, display_name=shown))
                tick()
                continue
            known.setdefault(merchant.casefold(), merchant)  # a new merchant: later rows must match its case
            yield (name, shown), data, merchant, item_sku or sku

    # Measuring is a map over the files (here, or on a Dask cluster's workers); storing stays here.
    # Files are taken a few at a time and each good one goes to its content-addressed blob at once,
    # so an upload never holds more than one batch of file bytes in memory.
    measure = partial(measure_upload, max_bytes=max_bytes, max_pixels=max_pixels or settings_max_pixels())
    if executor is None:
        # Measured here, in the app server's own process: 65-66 -> 49-57 ms per 2400x1800 JPEG
        # (100 uploads), for 8 MB more resident memory afterwards and the same peak.
        tune_allocator(keep_free_mb=32)
    staged: list[tuple[_Names, str, Analysis, str, str]] = []
    new_blobs: list[Path] = []
    try:
        for batch in _batches(accepted(), max_files=_BATCH_FILES, max_bytes=_BATCH_BYTES):
            datas = [data for _, data, _, _ in batch]
            shown_names = [names[1] for names, _, _, _ in batch]  # for the server's log if measuring fails
            measured = (
                executor.map(measure, datas, shown_names) if executor is not None else map(measure, datas, shown_names)
            )
            for (names, data, merchant, item_sku), (analysis, error) in zip(batch, measured, strict=True):
                tick()
                if analysis is None:
                    report.results.append(
                        FileResult(name=names[0], status="refused", reason=error, display_name=names[1])
                    )
                    continue
                rel = blob_path_for(analysis.info.sha256, FORMAT_EXTENSIONS.get(analysis.info.format, ".img"))
                if write_blob(store, rel, data):
                    new_blobs.append(store.blob_dir / rel)
                staged.append((names, rel, analysis, merchant, item_sku))
            del batch, datas, shown_names
    except BaseException:
        for path in new_blobs:
            path.unlink(missing_ok=True)
        raise
    if not staged:
        return report
    profiles = all_profiles(store)
    pending: list[FileResult] = []
    added_now: dict[tuple[str, str], str] = {}  # (merchant, sha256) -> display name, added by this ingest
    before = earlier if earlier is not None else {}
    unscored: set[str] = set()  # blobs of files refused while scoring
    stored_blobs: set[str] = set()  # blobs of files this ingest stored
    try:
        with store.write() as conn:
            indexes: dict[str, DuplicateIndex] = {}
            for (name, shown), rel, analysis, merchant, item_sku in staged:
                info = analysis.info
                existing = conn.execute(
                    select(images.c.id, images.c.sku, versions.c.id.label("vid"), shown_name.label("shown"))
                    .join(versions, versions.c.image_id == images.c.id)
                    .where(
                        and_(
                            images.c.merchant_id == merchant,
                            images.c.sha256 == info.sha256,
                            versions.c.kind == "original",
                        )
                    )
                ).first()
                if existing is not None:
                    first = added_now.get((merchant, info.sha256)) or before.get((merchant, info.sha256), "")
                    said = (
                        f"The same file as {first} earlier in this upload."
                        if first
                        else f"These exact bytes were uploaded before, as {quoted(existing.shown, 80)} (#{int(existing.vid)})."
                    )
                    other_sku = bool(item_sku) and item_sku != (existing.sku or "")
                    if other_sku:
                        # One file for two SKUs: the image keeps its own; this one is listed with it.
                        kept = f"keeps its SKU {quoted(existing.sku)}" if existing.sku else "has no SKU"
                        said += (
                            f" The stored image {kept}; this name and the SKU {quoted(item_sku)} are kept with it "
                            "as another name, and its reviewer is told the file serves two SKUs."
                        )
                    if shown != existing.shown or other_sku:  # not the image's own name and SKU again
                        _keep_other_name(
                            conn, image_id=int(existing.id), names=(name, shown), sku=item_sku, uploaded_by=uploaded_by
                        )
                    pending.append(
                        FileResult(
                            name=name,
                            status="duplicate",
                            reason=said,
                            image_id=int(existing.id),
                            version_id=int(existing.vid),
                            display_name=shown,
                            repeat_of=first,
                            merchant_id=merchant,
                        )
                    )
                    continue
                if merchant not in indexes:
                    indexes[merchant] = duplicate_index(conn, merchant)
                index = indexes[merchant]
                size = len(index.keys)
                # One savepoint per file: a file whose rows or scores fail is taken back alone
                # (the rest of the upload is stored); a database error still aborts the whole.
                try:
                    with conn.begin_nested():
                        image_id, version_id, score, issues = _store_original(
                            store,
                            conn,
                            (name, shown),
                            rel,
                            analysis,
                            merchant=merchant,
                            sku=item_sku,
                            uploaded_by=uploaded_by,
                            profiles=profiles,
                            index=index,
                        )
                except SQLAlchemyError:
                    raise
                except Exception:  # noqa: BLE001 - one file's failure must not lose the others
                    _log.exception("Scoring the uploaded file %r failed; it was refused", shown)
                    index.truncate(size)  # later files must not be matched to the version taken back
                    unscored.add(rel)
                    pending.append(FileResult(name=name, status="refused", reason=UNSCORABLE, display_name=shown))
                    continue
                stored_blobs.add(rel)
                added_now[(merchant, info.sha256)] = shown
                pending.append(
                    FileResult(
                        name=name,
                        status="added",
                        reason=notes.get(name, ""),
                        image_id=int(image_id),
                        version_id=int(version_id),
                        score=score,
                        issues=issues,
                        display_name=shown,
                        merchant_id=merchant,
                    )
                )
    except BaseException:
        for path in new_blobs:
            path.unlink(missing_ok=True)
        raise
    # A file refused while scoring leaves no file behind: its blob goes if this ingest wrote it
    # (else a stored version had it already) and stored no other file with the same bytes.
    written = set(new_blobs)
    for rel in unscored - stored_blobs:
        if store.blob_dir / rel in written:
            (store.blob_dir / rel).unlink(missing_ok=True)
    report.results.extend(pending)
    if earlier is not None:
        earlier.update(added_now)  # stored: later ingests of the same upload may name these files
    if pending:
        store.refresh_statistics()  # a catalogue that doubled needs new plans (SQLite keeps none itself)
    return report


def _keep_other_name(conn: Connection, *, image_id: int, names: _Names, sku: str, uploaded_by: str) -> None:
    """List a copy's name (and SKU) with the image stored from the same file, unless that name and
    SKU are listed already."""
    name, shown = names
    listed = conn.execute(
        select(image_names.c.id).where(
            image_names.c.image_id == image_id, image_names.c.display_name == shown, image_names.c.sku == sku
        )
    ).first()
    if listed is None:
        conn.execute(
            insert(image_names).values(
                image_id=image_id,
                file_name=name,
                display_name=shown,
                sku=sku,
                uploaded_by=uploaded_by,
                created_at=now(),
            )
        )


def _store_original(
    store: Store,
    conn: Connection,
    names: _Names,
    rel: str,
    analysis: Analysis,
    *,
    merchant: str,
    sku: str,
    uploaded_by: str,
    profiles: list[Profile],
    index: DuplicateIndex,
) -> tuple[int, int, float, tuple[str, ...]]:
    """Insert one new original (image, version, analysis, a score per profile, the audit row),
    compared with and added to the merchant's near-duplicate ``index``; returns ``(image id,
    version id, score, issues)`` under the first profile."""
    name, shown = names
    info = analysis.info
    stamp = now()
    image_id = inserted_id(
        conn.execute(
            insert(images).values(
                merchant_id=merchant,
                sku=sku,
                file_name=name,
                display_name=shown,
                sha256=info.sha256,
                uploaded_by=uploaded_by,
                created_at=stamp,
            )
        )
    )
    version_id = inserted_id(
        conn.execute(
            insert(versions).values(
                image_id=image_id,
                kind="original",
                sha256=info.sha256,
                blob_path=rel,
                format=info.format,
                width=info.width,
                height=info.height,
                file_size=info.file_size,
                recipe_json="",
                parent_id=None,
                submitted=True,
                created_by=uploaded_by,
                created_at=stamp,
                info_json=json.dumps(info.to_dict()),
            )
        )
    )
    score, issues = store_scores(conn, int(version_id), analysis, profiles, index, label=shown)
    store.audit(
        conn,
        actor=uploaded_by or "system",
        action="ingest",
        entity="image",
        entity_id=int(image_id),
        after=json.dumps({"file_name": name, "display_name": shown, "merchant_id": merchant, "sha256": info.sha256}),
    )
    return int(image_id), int(version_id), score, issues


#: How every entry of a zip's central directory starts (zipfile refuses an entry without it).
_CENTRAL_ENTRY: Final = b"PK\x01\x02"
#: The end-of-central-directory record, and ZIP64's record and locator before it.
_END: Final = b"PK\x05\x06"
_END64: Final = b"PK\x06\x06"
_END64_LOCATOR: Final = b"PK\x06\x07"


def _central_directory(data: bytes) -> tuple[int, int, int] | None:
    """Where zipfile will read the central directory (its start and size) and the entry count the
    end record declares, found as zipfile (Python 3.11, ``_EndRecData`` and ``_RealGetContents``)
    finds them: the end record that closes the file, or else the last one in its final 64 KiB and
    22 bytes (a comment may follow it); the ZIP64 record before its locator, if one precedes the end
    record; the directory ending where they begin, wherever the records say it is (so a zip with
    bytes before it, such as a self-extractor, is read too). ``None`` where zipfile finds none."""
    size_end = struct.calcsize("<4s4H2LH")  # 22
    if len(data) < size_end:
        return None
    at = len(data) - size_end
    if not (data[at : at + 4] == _END and data[-2:] == b"\x00\x00"):  # not closing the file, no comment
        at = data.rfind(_END, max(len(data) - (1 << 16) - size_end, 0))
        if at < 0 or at + size_end > len(data):
            return None
    declared, size = struct.unpack_from("<4s4H2LH", data, at)[4:6]
    before = 0
    locator = at - struct.calcsize("<4sLQL")  # 20 bytes
    record = locator - struct.calcsize("<4sQ2H2L4Q")  # 56 bytes
    if record >= 0 and data[locator : locator + 4] == _END64_LOCATOR and data[record : record + 4] == _END64:
        declared, size = struct.unpack_from("<4sQ2H2L4Q", data, record)[7:9]
        before = at - record
    start = at - before - size
    return (start, size, declared) if start >= 0 else None


def _count_entries(data: bytes, *, limit: int) -> tuple[int, int, int]:
    """The entries zipfile would list, counted (up to ``limit`` + 1) by walking the central
    directory entry by entry as zipfile does, with the count the zip declares and the directory's
    size in bytes (0 where none is found). Counting
    ``_CENTRAL_ENTRY`` in the whole file instead counted the signature inside stored files' data
    too. Where no directory is found (zipfile then refuses the file), the signature is still
    counted in the whole file, an upper bound."""
    found = _central_directory(data)
    if found is None:
        return data.count(_CENTRAL_ENTRY), 0, 0
    start, size, declared = found
    pos, end, entries = start, start + size, 0
    fixed = struct.calcsize("<4s4B4HL2L5H2L")  # 46 bytes, then the name, extra field, comment
    while pos < end and entries <= limit:
        if pos + fixed > end or data[pos : pos + 4] != _CENTRAL_ENTRY:
            break  # zipfile refuses the directory here
        name, extra, comment = struct.unpack_from("<3H", data, pos + 28)
        pos += fixed + name + extra + comment
        entries += 1
    return entries, declared, size


def _zip_members(data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    # Counted before zipfile reads the central directory, which it reads whole, whatever count the
    # zip declares: a 51 MB directory of a million entries took 470 MB and 9 s before the count was
    # refused (500 MB: several GB); counting stops past the limit.
    limit = int(ZIP_LIMITS["max_entries"])
    entries, declared, directory = _count_entries(data, limit=limit)
    if entries > limit:
        said = str(declared) if declared > limit else f"more than {limit}"
        raise IngestError(f"The zip holds {said} entries; the limit is {limit}.")
    if directory > ZIP_LIMITS["max_directory_bytes"]:
        raise IngestError(
            f"The zip's list of contents takes {directory / 1024**2:,.0f} MB (its file names, comments and "
            f"extra fields); the limit is {ZIP_LIMITS['max_directory_bytes'] // 1024**2} MB. "
            "Please zip the images again without comments, with shorter names."
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except Exception as exc:  # noqa: BLE001 - whatever a damaged archive makes zipfile raise
        raise IngestError("The upload is not a valid zip file.") from exc
    if len(infos) > limit:  # only if zipfile (another Python's) reads another directory than counted
        raise IngestError(f"The zip holds {len(infos)} entries; the limit is {limit}.")
    total = 0
    for info in infos:
        info.filename = _entry_name(info)
        p = PurePosixPath(info.filename.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", info.filename):
            raise IngestError(f"The zip contains an unsafe path ('{info.filename}'); nothing was imported.")
        total += info.file_size
        if info.compress_size and info.file_size / max(1, info.compress_size) > ZIP_LIMITS["max_ratio"]:
            raise IngestError(
                f"'{info.filename}' expands {info.file_size / max(1, info.compress_size):.0f}x: "
                "this looks like a zip bomb; nothing was imported."
            )
    if total > ZIP_LIMITS["max_total_bytes"]:
        raise IngestError(
            f"The zip would expand to {total / 1024**3:.1f} GB; the limit is {ZIP_LIMITS['max_total_bytes'] / 1024**3:g} GB."
        )
    return zf, infos


#: The zip format's flag for names written in UTF-8 (general purpose bit 11).
_UTF8_NAMES: Final = 0x800


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name as its maker wrote it. Names without the UTF-8 flag are read as CP437, the
    format's old code page, but Linux's and macOS's zip tools write UTF-8 without setting the flag:
    "cat ü.jpg" read "cat ├╝.jpg", and a manifest row naming it matched nothing. Such a name is
    taken as UTF-8 where its bytes are valid UTF-8 (CP437 names with accents seldom are)."""
    if info.flag_bits & _UTF8_NAMES or info.filename.isascii():
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


class _Budget:
    """Uncompressed bytes left for the whole zip, counted as they are actually read."""

    def __init__(self, total: int) -> None:
        self.left = total


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, limit: int, budget: _Budget) -> bytes | None:
    """The entry's bytes, read in chunks and never more than ``limit`` (``None`` if it is larger,
    whatever its header claims). Raises :class:`IngestError` once the whole zip's budget is spent."""
    parts: list[bytes] = []
    size = 0
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(1024 * 1024)
            if not chunk:
                break
            size += len(chunk)
            budget.left -= len(chunk)
            if budget.left < 0:
                raise IngestError(
                    f"The zip expands to more than {ZIP_LIMITS['max_total_bytes'] / 1024**3:g} GB; nothing was imported."
                )
            if size > limit:
                return None
            parts.append(chunk)
    return b"".join(parts)


def _nothing() -> None:
    return None


def _is_listed(info: zipfile.ZipInfo) -> bool:
    """Whether a zip entry gets a row in the report: a file, not the manifest, nor a hidden file
    or macOS's resource forks (``.DS_Store``, ``__MACOSX/``), which a merchant never chose."""
    base = PurePosixPath(info.filename).name
    return not (info.is_dir() or base.lower() == "manifest.csv" or base.startswith(".") or "__MACOSX" in info.filename)


def zip_file_count(data: bytes) -> int:
    """How many files of a zip :func:`ingest_zip` reports on (a progress bar's total), read from
    its list of contents alone; 0 for a zip it refuses whole."""
    if len(data) > ZIP_LIMITS["max_zip_bytes"]:
        return 0
    try:
        _, infos = _zip_members(data)
    except IngestError:
        return 0
    return sum(_is_listed(i) for i in infos)


def ingest_zip(
    store: Store,
    data: bytes,
    *,
    merchant_id: str,
    uploaded_by: str = "",
    manifest: dict[str, tuple[str, str]] | None = None,
    only_own_merchant: bool = False,
    executor: Executor | None = None,
    earlier: dict[tuple[str, str], str] | None = None,
    on_file: Callable[[], None] | None = None,
) -> IngestReport:
    """Ingest the images in a zip. A ``manifest.csv`` inside it (or ``manifest=``) maps files to
    merchants and SKUs. Unsafe zips (path traversal, bombs) are refused whole. Entries are read
    and checked one at a time (a size cap per file and for the whole zip), never all at once.
    ``earlier`` and ``on_file``: as for :func:`ingest_files` (each of :func:`zip_file_count`'s
    entries is counted once)."""
    if len(data) > ZIP_LIMITS["max_zip_bytes"]:
        raise IngestError(
            f"The zip is {len(data) / 1024**2:.0f} MB; the limit is "
            f"{ZIP_LIMITS['max_zip_bytes'] / 1024**2:.0f} MB per zip."
        )
    zf, infos = _zip_members(data)
    budget = _Budget(int(ZIP_LIMITS["max_total_bytes"]))
    skipped: list[FileResult] = []
    refused_names: list[str] = []  # their manifest rows named a file that is there, if unreadable

    def refuse(base: str, reason: str) -> None:
        refused_names.append(base)
        skipped.append(
            FileResult(name=safe_name(base), status="refused", reason=reason, display_name=display_name(base))
        )
        (on_file or _nothing)()

    own_manifest = manifest is None
    if manifest is None:
        inner = next(
            (i for i in infos if not i.is_dir() and PurePosixPath(i.filename).name.lower() == "manifest.csv"), None
        )
        if inner is not None:
            try:
                raw = _read_member(zf, inner, limit=int(ZIP_LIMITS["max_manifest_bytes"]), budget=budget)
            except IngestError:
                raise
            except Exception as exc:  # noqa: BLE001 - zlib.error, CRC, truncation, encryption...
                raise IngestError(f"The manifest inside the zip is damaged: {exc}.") from exc
            if raw is None:
                raise IngestError(
                    f"The manifest inside the zip is larger than {ZIP_LIMITS['max_manifest_bytes'] / 1e6:.0f} MB."
                )
            manifest = read_manifest(raw, uses_merchant_ids=not only_own_merchant)  # only IngestError

    def entries() -> Iterator[tuple[str, bytes]]:
        for info in infos:
            if not _is_listed(info):
                continue
            path = PurePosixPath(info.filename)
            # Named by the path inside the zip: folders per SKU or colour ("red/shirt.jpg",
            # "blue/shirt.jpg") would otherwise all read "shirt.jpg". Storage names stay the base.
            where = str(path)
            if path.suffix.lower() not in IMAGE_EXTENSIONS:
                refuse(where, "Not an image file type (by its extension).")
                continue
            if info.file_size > DEFAULT_MAX_BYTES:
                refuse(
                    where, f"The file is {info.file_size / 1e6:.1f} MB; the limit is {DEFAULT_MAX_BYTES / 1e6:g} MB."
                )
                continue
            try:
                content = _read_member(zf, info, limit=DEFAULT_MAX_BYTES, budget=budget)
            except IngestError:
                raise  # the whole zip is over its budget: refused whole
            except Exception as exc:  # noqa: BLE001 - zlib.error, CRC, truncation, encryption: this entry only
                refuse(where, f"Damaged inside the zip: {exc}.")  # CRC error, truncated, encrypted, odd method
                continue
            if content is None:
                refuse(where, f"The file is larger than {DEFAULT_MAX_BYTES / 1e6:g} MB once unpacked.")
                continue
            yield where, content

    report = ingest_files(
        store,
        entries(),
        merchant_id=merchant_id,
        uploaded_by=uploaded_by,
        manifest=manifest,
        only_own_merchant=only_own_merchant,
        executor=executor,
        earlier=earlier,
        on_file=on_file,
    )
    report.results[:0] = skipped
    if manifest:
        seen = _manifest_lookup(manifest, report.manifest_used)
        for name in refused_names:
            seen(name)
    if own_manifest and manifest:
        report.manifest_unmatched = sorted(set(manifest) - report.manifest_used)
    return report


def folder_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The files under ``folder`` that :func:`ingest_folder` reports on, in its order. Image types
    the engine cannot read (SVG, HEIC, ...) are included: they get a row with the reason."""
    wanted = IMAGE_EXTENSIONS | UNSUPPORTED_IMAGE_EXTENSIONS
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in wanted)


def ingest_folder(
    store: Store,
    folder: str | os.PathLike[str],
    *,
    merchant_id: str,
    uploaded_by: str = "",
    executor: Executor | None = None,
    on_file: Callable[[], None] | None = None,
) -> IngestReport:
    """Ingest every image file under ``folder``; a ``manifest.csv`` there assigns merchants/SKUs.
    ``merchant_id`` (``ingest --merchant``) and the manifest are checked before any file is read
    (:func:`check_upload_merchant`, :func:`read_manifest`): :class:`IngestError` saying why.
    ``on_file``: as for :func:`ingest_files`, once for each of :func:`folder_files`."""
    merchant_id = check_upload_merchant(merchant_id)
    check_merchant_case(store, merchant_id)
    root = Path(folder)
    manifest_path = root / "manifest.csv"
    manifest = read_manifest(manifest_path.read_bytes()) if manifest_path.exists() else None
    paths = folder_files(root)
    report = ingest_files(
        store,
        ((p.relative_to(root).as_posix(), p.read_bytes()) for p in paths),  # named as in the folder
        merchant_id=merchant_id,
        uploaded_by=uploaded_by,
        manifest=manifest,
        executor=executor,
        on_file=on_file,
    )
    if manifest:
        report.manifest_unmatched = sorted(set(manifest) - report.manifest_used)
    return report


@dataclass(frozen=True, kw_only=True, slots=True)
class SavedVersion:
    """The version holding a saved result; ``created`` is False when the same image was already
    stored (nothing new was written)."""

    version_id: int
    created: bool


def _version_with_bytes(conn: Connection, version_id: int, sha: str) -> int | None:
    """The first version of ``version_id``'s image whose file has the hash ``sha``, if any."""
    sibling = versions.alias("sibling")
    found = conn.execute(
        select(sibling.c.id)
        .join(versions, versions.c.image_id == sibling.c.image_id)
        .where(and_(versions.c.id == version_id, sibling.c.sha256 == sha))
        .order_by(sibling.c.id)
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


def save_optimized(
    store: Store,
    version_id: int,
    pixels: np.ndarray,
    recipe: Recipe,
    *,
    created_by: str,
    submit: bool = True,
    fmt: str = "JPEG",
) -> SavedVersion:
    """Store an optimized rendering of ``version_id``'s image, linked to its recipe.

    If a version of the same image already holds exactly these bytes, nothing is stored and that
    version is returned (``created`` False): reviewers should never be handed the same picture
    twice. The check runs inside the write transaction, under a lock on the image, so two saves
    at the same instant store one version.
    """
    data = encode_image(pixels, fmt)
    with store.read() as conn:  # a second press of Save: found before measuring anything
        same = _version_with_bytes(conn, version_id, sha256_of(data))
        source = source_long_side(conn, version_id)
    if same is not None:
        return SavedVersion(version_id=same, created=False)
    image = load_image(data, reduce_to=ANALYSIS_LONG_SIDE)
    # Enlarged past its source, a fix is judged at the source's resolution: no detail was added.
    analysis = at_source_resolution(analyze(image), source_long_side=source)
    profiles = all_profiles(store)
    info = image.info
    rel = blob_path_for(info.sha256, FORMAT_EXTENSIONS[fmt])
    created = write_blob(store, rel, data)
    try:
        with store.write() as conn:
            parent = conn.execute(select(versions.c.image_id).where(versions.c.id == version_id)).scalar()
            if parent is None:
                raise ValueError(f"no image version {version_id}")
            # Saves of one image queue here (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE already
            # serialises writers and does not render FOR UPDATE), and look again under the lock.
            conn.execute(select(images.c.id).where(images.c.id == parent).with_for_update())
            same = _version_with_bytes(conn, version_id, info.sha256)
            if same is not None:
                # The bytes' blob is that version's too (same hash, same format): keep it.
                return SavedVersion(version_id=same, created=False)
            inserted = conn.execute(
                insert(versions).values(
                    image_id=parent,
                    kind="optimized",
                    sha256=info.sha256,
                    blob_path=rel,
                    format=info.format,
                    width=info.width,
                    height=info.height,
                    file_size=info.file_size,
                    recipe_json=recipe.to_json(),
                    parent_id=version_id,
                    submitted=submit,
                    created_by=created_by,
                    created_at=now(),
                    info_json=json.dumps(info.to_dict()),
                )
            )
            new_id = inserted_id(inserted)
            store_scores(conn, int(new_id), analysis, profiles, None)
            store.audit(
                conn,
                actor=created_by,
                action="save_version",
                entity="version",
                entity_id=int(new_id),
                after=json.dumps({"parent": version_id, "recipe": recipe.to_dict(), "submitted": submit}),
            )
    except BaseException:
        if created:
            (store.blob_dir / rel).unlink(missing_ok=True)
        raise
    return SavedVersion(version_id=int(new_id), created=True)
