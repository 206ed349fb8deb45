"""Intake: ingest originals (files, a folder, a zip, with an optional manifest) and store optimized versions.

Originals are stored once by sha256 under ``blobs/`` and never changed. Each ingest first
decodes and measures every file (no database lock held), then writes the new files and all
rows in one transaction; if anything fails, the transaction rolls back and the files it added
are removed, so an ingest never leaves half an image behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Final, Literal

import numpy as np
from sqlalchemy import and_, insert, select

from core.engine.assess import Analysis, analyse
from core.engine.batch import measure_upload
from core.engine.duplicates import DuplicateIndex
from core.engine.export_image import encode_image
from core.engine.loading import DEFAULT_MAX_BYTES, load_image
from core.engine.recipe import Recipe
from core.store.blobs import blob_path_for, write_blob
from core.store.database import Store, images, now, versions
from core.store.scores import all_profiles, duplicate_index, store_scores
from core.vocabulary import ANALYSIS_LONG_SIDE, FORMAT_EXTENSIONS, IMAGE_EXTENSIONS

__all__ = [
    "FileResult",
    "IngestError",
    "IngestReport",
    "ZIP_LIMITS",
    "ingest_files",
    "ingest_folder",
    "ingest_zip",
    "read_manifest",
    "safe_name",
    "save_optimized",
]


class IngestError(ValueError):
    """The whole upload is refused (unsafe zip, bad manifest); nothing was stored."""


#: Limits for uploaded zips: entries, total uncompressed bytes, and compression ratio.
ZIP_LIMITS: Final = {"max_entries": 2000, "max_total_bytes": 2 * 1024**3, "max_ratio": 200}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE = re.compile(r'[\\/:*?"<>|]')


def safe_name(name: str, *, max_len: int = 120) -> str:
    """A file name that is safe to show and store: no folders, no control characters, not
    hidden, at most ``max_len`` characters (the extension is kept)."""
    base = unicodedata.normalize("NFC", str(name)).replace("\\", "/").split("/")[-1]
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


@dataclass(frozen=True, slots=True)
class FileResult:
    """What happened to one uploaded file."""

    name: str
    status: Literal["added", "duplicate", "refused"]
    reason: str = ""
    image_id: int | None = None
    version_id: int | None = None
    score: float | None = None
    issues: tuple[str, ...] = ()


@dataclass
class IngestReport:
    results: list[FileResult] = field(default_factory=list)

    @property
    def added(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "added"]

    @property
    def refused(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "refused"]


def read_manifest(data: bytes | str) -> dict[str, tuple[str, str]]:
    """Parse a manifest CSV (columns ``file``, ``merchant_id``, ``sku``) into file -> (merchant, sku).

    Raises :class:`IngestError` naming the problem when columns are missing.
    """
    textdata = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(textdata))
    cols = {c.strip().lower() for c in (reader.fieldnames or [])}
    if "file" not in cols:
        raise IngestError("the manifest CSV needs a 'file' column (and optionally 'merchant_id', 'sku')")
    out: dict[str, tuple[str, str]] = {}
    for row in reader:
        norm = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if norm.get("file"):
            out[safe_name(norm["file"])] = (norm.get("merchant_id", ""), norm.get("sku", ""))
    return out


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
) -> IngestReport:
    """Ingest ``(name, bytes)`` pairs for ``merchant_id`` (a manifest may assign others).

    Unreadable files are refused with the loader's reason and the rest are stored. Identical
    bytes already stored for the same merchant are reported as ``duplicate`` and not stored
    again. Every image is scored under every available profile. With ``only_own_merchant``
    (uploads by a merchant), a manifest may set SKUs but never another merchant. With
    ``executor`` (a process pool, or a Dask cluster's), files are decoded and measured there;
    duplicates, scores and every database write are still resolved here, in input order.
    """
    report = IngestReport()
    accepted: list[tuple[str, bytes, str, str]] = []
    for raw_name, data in files:
        name = safe_name(raw_name)
        merchant, item_sku = (manifest or {}).get(name, ("", ""))
        merchant = merchant_id if only_own_merchant else (merchant or merchant_id)
        if not merchant:
            report.results.append(FileResult(name, "refused", "No merchant given for this file."))
            continue
        accepted.append((name, data, merchant, item_sku or sku))
    # Measuring is a map over the files (here, or on a Dask cluster's workers); storing stays here.
    measure = partial(measure_upload, max_bytes=max_bytes)
    datas = [data for _, data, _, _ in accepted]
    measured = executor.map(measure, datas) if executor is not None else map(measure, datas)
    staged: list[tuple[str, bytes, Analysis, str, str]] = []
    for (name, data, merchant, item_sku), (analysis, error) in zip(accepted, measured, strict=True):
        if analysis is None:
            report.results.append(FileResult(name, "refused", error))
            continue
        staged.append((name, data, analysis, merchant, item_sku))
    if not staged:
        return report
    profiles = all_profiles(store)
    new_blobs: list[Path] = []
    pending: list[FileResult] = []
    try:
        with store.write() as conn:
            indexes: dict[str, DuplicateIndex] = {}
            for name, data, analysis, merchant, item_sku in staged:
                info = analysis.info
                existing = conn.execute(
                    select(images.c.id, versions.c.id.label("vid")).join(versions, versions.c.image_id == images.c.id)
                    .where(and_(images.c.merchant_id == merchant, images.c.sha256 == info.sha256,
                                versions.c.kind == "original"))).first()
                if existing is not None:
                    pending.append(FileResult(name, "duplicate", "These exact bytes were uploaded before.",
                                              int(existing.id), int(existing.vid)))
                    continue
                rel = blob_path_for(info.sha256, FORMAT_EXTENSIONS.get(info.format, ".img"))
                if write_blob(store, rel, data):
                    new_blobs.append(store.blob_dir / rel)
                stamp = now()
                image_id = conn.execute(insert(images).values(
                    merchant_id=merchant, sku=item_sku, file_name=name, sha256=info.sha256, uploaded_by=uploaded_by,
                    created_at=stamp)).inserted_primary_key[0]
                version_id = conn.execute(insert(versions).values(
                    image_id=image_id, kind="original", sha256=info.sha256, blob_path=rel, format=info.format,
                    width=info.width, height=info.height, file_size=info.file_size, recipe_json="", parent_id=None,
                    submitted=True, created_by=uploaded_by, created_at=stamp,
                    info_json=json.dumps(info.to_dict()))).inserted_primary_key[0]
                if merchant not in indexes:
                    indexes[merchant] = duplicate_index(conn, merchant)
                score, issues = store_scores(conn, int(version_id), analysis, profiles, indexes[merchant])
                store.audit(conn, uploaded_by or "system", "ingest", "image", int(image_id),
                            after=json.dumps({"file_name": name, "merchant_id": merchant, "sha256": info.sha256}))
                pending.append(FileResult(name, "added", "", int(image_id), int(version_id), score, issues))
    except BaseException:
        for path in new_blobs:
            path.unlink(missing_ok=True)
        raise
    report.results.extend(pending)
    return report


def _zip_members(data: bytes) -> list[zipfile.ZipInfo]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise IngestError("The upload is not a valid zip file.") from exc
    infos = zf.infolist()
    if len(infos) > ZIP_LIMITS["max_entries"]:
        raise IngestError(f"The zip holds {len(infos)} entries; the limit is {ZIP_LIMITS['max_entries']}.")
    total = 0
    for info in infos:
        p = PurePosixPath(info.filename.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", info.filename):
            raise IngestError(f"The zip contains an unsafe path ('{info.filename}'); nothing was imported.")
        total += info.file_size
        if info.compress_size and info.file_size / max(1, info.compress_size) > ZIP_LIMITS["max_ratio"]:
            raise IngestError(f"'{info.filename}' expands {info.file_size / max(1, info.compress_size):.0f}x: "
                              "this looks like a zip bomb; nothing was imported.")
    if total > ZIP_LIMITS["max_total_bytes"]:
        raise IngestError(f"The zip would expand to {total / 1e9:.1f} GB; the limit is "
                          f"{ZIP_LIMITS['max_total_bytes'] / 1e9:.1f} GB.")
    return infos


def ingest_zip(store: Store, data: bytes, *, merchant_id: str, uploaded_by: str = "",
               manifest: dict[str, tuple[str, str]] | None = None, only_own_merchant: bool = False,
               executor: Executor | None = None) -> IngestReport:
    """Ingest the images in a zip. A ``manifest.csv`` inside it (or ``manifest=``) maps files to
    merchants and SKUs. Unsafe zips (path traversal, bombs) are refused whole."""
    infos = _zip_members(data)
    zf = zipfile.ZipFile(io.BytesIO(data))
    files: list[tuple[str, bytes]] = []
    skipped: list[FileResult] = []
    for info in infos:
        if info.is_dir():
            continue
        base = PurePosixPath(info.filename).name
        if base.lower() == "manifest.csv" and manifest is None:
            manifest = read_manifest(zf.read(info))
            continue
        if base.startswith(".") or "__MACOSX" in info.filename:
            continue
        if PurePosixPath(base).suffix.lower() not in IMAGE_EXTENSIONS:
            skipped.append(FileResult(safe_name(base), "refused", "Not an image file type (by its extension)."))
            continue
        try:
            files.append((base, zf.read(info)))
        except (zipfile.BadZipFile, OSError, ValueError) as exc:  # CRC error, truncated member
            skipped.append(FileResult(safe_name(base), "refused", f"Damaged inside the zip: {exc}."))
    report = ingest_files(store, files, merchant_id=merchant_id, uploaded_by=uploaded_by, manifest=manifest,
                          only_own_merchant=only_own_merchant, executor=executor)
    report.results[:0] = skipped
    return report


def ingest_folder(store: Store, folder: str | os.PathLike[str], *, merchant_id: str, uploaded_by: str = "",
                  executor: Executor | None = None) -> IngestReport:
    """Ingest every image file under ``folder``; a ``manifest.csv`` there assigns merchants/SKUs."""
    root = Path(folder)
    manifest_path = root / "manifest.csv"
    manifest = read_manifest(manifest_path.read_bytes()) if manifest_path.exists() else None
    paths = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    return ingest_files(store, ((p.name, p.read_bytes()) for p in paths), merchant_id=merchant_id,
                        uploaded_by=uploaded_by, manifest=manifest, executor=executor)


def save_optimized(store: Store, version_id: int, pixels: np.ndarray, recipe: Recipe, *, created_by: str,
                   submit: bool = True, fmt: str = "JPEG") -> int:
    """Store an optimized rendering of ``version_id``'s image, linked to its recipe; returns the new version id."""
    data = encode_image(pixels, fmt)
    image = load_image(data, reduce_to=ANALYSIS_LONG_SIDE)
    analysis = analyse(image)
    profiles = all_profiles(store)
    info = image.info
    rel = blob_path_for(info.sha256, FORMAT_EXTENSIONS[fmt])
    created = write_blob(store, rel, data)
    try:
        with store.write() as conn:
            parent = conn.execute(select(versions.c.image_id).where(versions.c.id == version_id)).scalar()
            if parent is None:
                raise ValueError(f"no image version {version_id}")
            new_id = conn.execute(insert(versions).values(
                image_id=parent, kind="optimized", sha256=info.sha256, blob_path=rel, format=info.format,
                width=info.width, height=info.height, file_size=info.file_size, recipe_json=recipe.to_json(),
                parent_id=version_id, submitted=submit, created_by=created_by, created_at=now(),
                info_json=json.dumps(info.to_dict()))).inserted_primary_key[0]
            store_scores(conn, int(new_id), analysis, profiles, None)
            store.audit(conn, created_by, "save_version", "version", int(new_id),
                        after=json.dumps({"parent": version_id, "recipe": recipe.to_dict(), "submitted": submit}))
    except BaseException:
        if created:
            (store.blob_dir / rel).unlink(missing_ok=True)
        raise
    return int(new_id)
