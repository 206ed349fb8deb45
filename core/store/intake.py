"""The image library: ingest originals, store optimized versions, score them, read them back.

Originals are stored once by sha256 under ``blobs/`` and never changed. Each ingest first
decodes and measures every file (no database lock held), then writes the new files and all
rows in one transaction; if anything fails, the transaction rolls back and the files it added
are removed, so an ingest never leaves half an image behind.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Final, Literal

import numpy as np
from sqlalchemy import and_, func, insert, literal, select, update
from sqlalchemy.engine import Connection

from core import ENGINE_VERSION
from core.assess import Analysis, analyse, assess, mark_duplicates
from core.batch import IMAGE_EXTENSIONS
from core.duplicates import DuplicateIndex
from core.export_image import encode_image
from core.loading import DEFAULT_MAX_BYTES, ImageLoadError, load_image
from core.measures import ANALYSIS_LONG_SIDE
from core.profiles import Profile, list_profiles, load_profile
from core.recipe import Recipe
from core.store import Store, analyses, images, now, scores, versions

__all__ = [
    "FileResult",
    "IngestError",
    "IngestReport",
    "ImageRecord",
    "ZIP_LIMITS",
    "get_image",
    "ingest_files",
    "ingest_folder",
    "ingest_zip",
    "list_images",
    "read_blob",
    "read_manifest",
    "safe_name",
    "save_optimized",
    "score_version",
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


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """An image and one of its versions, with the score under a profile."""

    image_id: int
    version_id: int
    kind: str
    merchant_id: str
    sku: str
    file_name: str
    sha256: str
    width: int
    height: int
    created_at: str
    blob_path: str
    recipe_json: str
    score: float | None
    issues: tuple[str, ...]
    metrics: dict[str, float]
    profile: str


def _blob_rel(sha: str, ext: str) -> str:
    return f"{sha[:2]}/{sha}{ext}"


def _write_blob(store: Store, rel: str, data: bytes) -> bool:
    """Write a content-addressed file atomically; False if it already existed."""
    path = store.blob_dir / rel
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def read_blob(store: Store, rel: str) -> bytes:
    """The stored bytes of a version (``blob_path`` from the database)."""
    root = store.blob_dir.resolve()
    path = (root / rel).resolve()
    if root not in path.parents:
        raise ValueError("blob path escapes the data folder")
    return path.read_bytes()


_EXT = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "TIFF": ".tif", "BMP": ".bmp", "GIF": ".gif"}


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


def _current_index(conn: Connection, merchant_id: str) -> DuplicateIndex:
    rows = conn.execute(
        select(versions.c.id, versions.c.sha256, analyses.c.phash)
        .join(images, images.c.id == versions.c.image_id)
        .join(analyses, analyses.c.version_id == versions.c.id)
        .where(and_(images.c.merchant_id == merchant_id, versions.c.kind == "original"))
        .order_by(versions.c.id)
    ).all()
    index = DuplicateIndex()
    for vid, sha, ph in rows:
        index.add(str(vid), str(sha), str(ph))
    return index


def _store_scores(conn: Connection, version_id: int, analysis: Analysis, profiles: Sequence[Profile],
                  index: DuplicateIndex | None) -> tuple[float, tuple[str, ...]]:
    """Store the analysis and a score per profile; returns the first profile's (score, issues)."""
    first: tuple[float, tuple[str, ...]] = (math.nan, ())
    final, dup_key = (analysis, None) if index is None else mark_duplicates(analysis, str(version_id), index)
    dup_of = int(dup_key) if dup_key is not None else None
    conn.execute(insert(analyses).values(
        version_id=version_id, engine_version=ENGINE_VERSION, metrics_json=_dumps_metrics(final.metrics),
        phash=final.phash, bbox_json=json.dumps(final.product_bbox), created_at=now()))
    for i, profile in enumerate(profiles):
        a = assess(final, profile)
        _upsert_score(conn, version_id, profile.name, a.score, a.issues, a.contributions, dup_of)
        if i == 0:
            first = (a.score, tuple(a.issue_names))
    return first


def _dumps_metrics(metrics: dict[str, float]) -> str:
    return json.dumps({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in metrics.items()})


def _loads_metrics(text: str) -> dict[str, float]:
    return {k: (math.nan if v is None else float(v)) for k, v in json.loads(text or "{}").items()}


def _upsert_score(conn: Connection, version_id: int, profile: str, score: float, issues: Iterable[Any],
                  contributions: dict[str, float], dup_of: int | None) -> None:
    issues = list(issues)
    values = dict(engine_version=ENGINE_VERSION, score=float(score), issues=";".join(i.name for i in issues),
                  issues_json=json.dumps([i.to_dict() for i in issues]), contributions_json=json.dumps(contributions),
                  duplicate_of=dup_of, created_at=now())
    updated = conn.execute(update(scores).where(and_(scores.c.version_id == version_id, scores.c.profile == profile))
                           .values(**values))
    if updated.rowcount == 0:
        conn.execute(insert(scores).values(version_id=version_id, profile=profile, **values))


def _all_profiles(store: Store) -> list[Profile]:
    return [load_profile(n, search=(store.profiles_dir,)) for n in list_profiles(search=(store.profiles_dir,))]


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
) -> IngestReport:
    """Ingest ``(name, bytes)`` pairs for ``merchant_id`` (a manifest may assign others).

    Unreadable files are refused with the loader's reason and the rest are stored. Identical
    bytes already stored for the same merchant are reported as ``duplicate`` and not stored
    again. Every image is scored under every available profile. With ``only_own_merchant``
    (uploads by a merchant), a manifest may set SKUs but never another merchant.
    """
    report = IngestReport()
    staged: list[tuple[str, bytes, Analysis, str, str]] = []
    for raw_name, data in files:
        name = safe_name(raw_name)
        merchant, item_sku = (manifest or {}).get(name, ("", ""))
        merchant = merchant_id if only_own_merchant else (merchant or merchant_id)
        if not merchant:
            report.results.append(FileResult(name, "refused", "No merchant given for this file."))
            continue
        try:
            image = load_image(data, max_bytes=max_bytes, reduce_to=ANALYSIS_LONG_SIDE)
        except ImageLoadError as exc:
            report.results.append(FileResult(name, "refused", str(exc)))
            continue
        staged.append((name, data, analyse(image), merchant, item_sku or sku))
    if not staged:
        return report
    profiles = _all_profiles(store)
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
                rel = _blob_rel(info.sha256, _EXT.get(info.format, ".img"))
                if _write_blob(store, rel, data):
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
                    indexes[merchant] = _current_index(conn, merchant)
                score, issues = _store_scores(conn, int(version_id), analysis, profiles, indexes[merchant])
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
               manifest: dict[str, tuple[str, str]] | None = None, only_own_merchant: bool = False) -> IngestReport:
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
                          only_own_merchant=only_own_merchant)
    report.results[:0] = skipped
    return report


def ingest_folder(store: Store, folder: str | os.PathLike[str], *, merchant_id: str, uploaded_by: str = "") -> IngestReport:
    """Ingest every image file under ``folder``; a ``manifest.csv`` there assigns merchants/SKUs."""
    root = Path(folder)
    manifest_path = root / "manifest.csv"
    manifest = read_manifest(manifest_path.read_bytes()) if manifest_path.exists() else None
    paths = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    return ingest_files(store, ((p.name, p.read_bytes()) for p in paths), merchant_id=merchant_id,
                        uploaded_by=uploaded_by, manifest=manifest)


def save_optimized(store: Store, version_id: int, pixels: np.ndarray, recipe: Recipe, *, created_by: str,
                   submit: bool = True, fmt: str = "JPEG") -> int:
    """Store an optimized rendering of ``version_id``'s image, linked to its recipe; returns the new version id."""
    data = encode_image(pixels, fmt)
    image = load_image(data, reduce_to=ANALYSIS_LONG_SIDE)
    analysis = analyse(image)
    profiles = _all_profiles(store)
    info = image.info
    rel = _blob_rel(info.sha256, _EXT[fmt])
    created = _write_blob(store, rel, data)
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
            _store_scores(conn, int(new_id), analysis, profiles, None)
            store.audit(conn, created_by, "save_version", "version", int(new_id),
                        after=json.dumps({"parent": version_id, "recipe": recipe.to_dict(), "submitted": submit}))
    except BaseException:
        if created:
            (store.blob_dir / rel).unlink(missing_ok=True)
        raise
    return int(new_id)


def score_version(store: Store, version_id: int, profile: Profile) -> float:
    """(Re)score a stored version under ``profile`` from its stored metrics (no decoding)."""
    with store.write() as conn:
        row = conn.execute(select(analyses.c.metrics_json, analyses.c.phash, analyses.c.bbox_json)
                           .where(analyses.c.version_id == version_id)).first()
        if row is None:
            raise ValueError(f"version {version_id} has no stored analysis")
        metrics = _loads_metrics(row.metrics_json)
        a = assess(_analysis_from_row(metrics, row.phash, row.bbox_json), profile)
        dup = conn.execute(select(scores.c.duplicate_of).where(scores.c.version_id == version_id).limit(1)).scalar()
        _upsert_score(conn, version_id, profile.name, a.score, a.issues, a.contributions, dup)
        return a.score


def rescore_all(store: Store, profile: Profile) -> int:
    """Score every stored version under ``profile`` (e.g. a newly saved, reviewer-tuned one)."""
    with store.read() as conn:
        ids = [r[0] for r in conn.execute(select(analyses.c.version_id)).all()]
    for vid in ids:
        score_version(store, vid, profile)
    return len(ids)


def _analysis_from_row(metrics: dict[str, float], phash: str, bbox_json: str) -> Analysis:
    from core.loading import ImageInfo

    info = ImageInfo(format="", mode="", width=int(metrics.get("width", 0)), height=int(metrics.get("height", 0)),
                     file_size=int(metrics.get("file_mb", 0) * 1e6), bit_depth=8, had_transparency=False,
                     exif_orientation=1, jpeg_quality=None, sha256="", icc_converted=False, frames=1)
    return Analysis(info, metrics, phash, tuple(json.loads(bbox_json)), True)  # type: ignore[arg-type]


def _record_query(profile: str, *, with_metrics: bool = True):  # type: ignore[no-untyped-def]
    cols = [images.c.id.label("image_id"), versions.c.id.label("version_id"), versions.c.kind, images.c.merchant_id,
            images.c.sku, images.c.file_name, versions.c.sha256, versions.c.width, versions.c.height,
            versions.c.created_at, versions.c.blob_path, versions.c.recipe_json, scores.c.score, scores.c.issues]
    q = (select(*cols, analyses.c.metrics_json if with_metrics else literal("{}").label("metrics_json"))
         .select_from(versions.join(images, images.c.id == versions.c.image_id))
         .join(scores, and_(scores.c.version_id == versions.c.id, scores.c.profile == profile), isouter=True))
    return q.join(analyses, analyses.c.version_id == versions.c.id, isouter=True) if with_metrics else q


def _record(row: Any, profile: str) -> ImageRecord:
    return ImageRecord(
        image_id=row.image_id, version_id=row.version_id, kind=row.kind, merchant_id=row.merchant_id, sku=row.sku,
        file_name=row.file_name, sha256=row.sha256, width=row.width, height=row.height, created_at=row.created_at,
        blob_path=row.blob_path, recipe_json=row.recipe_json or "", score=row.score,
        issues=tuple(i for i in (row.issues or "").split(";") if i), metrics=_loads_metrics(row.metrics_json or "{}"),
        profile=profile,
    )


def list_images(store: Store, *, profile: str = "generic", merchant_id: str | None = None,
                kind: str | None = "original", with_metrics: bool = True) -> list[ImageRecord]:
    """Every image version (originals by default) with its score under ``profile``.

    ``with_metrics=False`` skips reading the metrics (``metrics`` is then empty): the catalogue
    table of a large library needs only scores and issues.
    """
    q = _record_query(profile, with_metrics=with_metrics)
    if merchant_id is not None:
        q = q.where(images.c.merchant_id == merchant_id)
    if kind is not None:
        q = q.where(versions.c.kind == kind)
    with store.read() as conn:
        return [_record(r, profile) for r in conn.execute(q.order_by(versions.c.id)).all()]


def get_image(store: Store, version_id: int, *, profile: str = "generic", merchant_id: str | None = None) -> ImageRecord | None:
    """One version; ``None`` if it does not exist or (with ``merchant_id``) belongs to another merchant."""
    q = _record_query(profile).where(versions.c.id == version_id)
    if merchant_id is not None:
        q = q.where(images.c.merchant_id == merchant_id)
    with store.read() as conn:
        row = conn.execute(q).first()
    return _record(row, profile) if row else None


def versions_of(store: Store, image_id: int, *, profile: str = "generic") -> list[ImageRecord]:
    """All versions of an image, oldest first."""
    with store.read() as conn:
        rows = conn.execute(_record_query(profile).where(images.c.id == image_id).order_by(versions.c.id)).all()
    return [_record(r, profile) for r in rows]


def issue_details(store: Store, version_id: int, profile: str) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Stored issue dicts and per-check points lost for a version under ``profile``."""
    with store.read() as conn:
        row = conn.execute(select(scores.c.issues_json, scores.c.contributions_json).where(
            and_(scores.c.version_id == version_id, scores.c.profile == profile))).first()
    if row is None:
        return [], {}
    return json.loads(row.issues_json), json.loads(row.contributions_json)


def count_images(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(images)).scalar() or 0)


def scores_for_version(store: Store, version_id: int) -> dict[str, tuple[float, tuple[str, ...]]]:
    """profile -> (score, issue names) for every profile the version was scored under."""
    with store.read() as conn:
        rows = conn.execute(select(scores.c.profile, scores.c.score, scores.c.issues)
                            .where(scores.c.version_id == version_id)).all()
    return {r.profile: (float(r.score), tuple(i for i in r.issues.split(";") if i)) for r in rows}
