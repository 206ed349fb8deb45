"""Uploads, from the Upload page and from ``ingest``: zips are unpacked, other files are images.

The zip-or-file choice lives here once; the page and the command line both call
:func:`ingest_uploads`.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

from core.store.database import Store
from core.store.intake import FileResult, IngestError, IngestReport, ingest_files, ingest_zip, read_manifest

__all__ = [
    "FileResult",
    "IngestError",
    "IngestReport",
    "UploadLimits",
    "UploadOutcome",
    "browser_file_name",
    "ingest_uploads",
    "is_zip",
    "read_manifest",
    "upload_limits",
]

#: How the accepted image extensions are named to a merchant (every extension in IMAGE_EXTENSIONS once).
_TYPE_NAMES = (
    ("JPEG", (".jpg", ".jpeg", ".jpe")),
    ("PNG", (".png",)),
    ("WebP", (".webp",)),
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
    from core.engine.loading import DEFAULT_MAX_BYTES
    from core.store.intake import ZIP_LIMITS
    from core.store.settings import max_pixels
    from core.vocabulary import IMAGE_EXTENSIONS

    return UploadLimits(
        max_image_bytes=DEFAULT_MAX_BYTES,
        max_pixels=max_pixels(),
        image_extensions=tuple(sorted(IMAGE_EXTENSIONS)),
        max_zip_bytes=int(ZIP_LIMITS["max_zip_bytes"]),
        max_zip_entries=int(ZIP_LIMITS["max_entries"]),
        max_zip_unpacked_bytes=int(ZIP_LIMITS["max_total_bytes"]),
        max_manifest_bytes=int(ZIP_LIMITS["max_manifest_bytes"]),
    )


def is_zip(name: str) -> bool:
    """Whether an uploaded file is unpacked as a zip (by its name) rather than read as an image."""
    return name.lower().endswith(".zip")


@dataclass(kw_only=True)
class UploadOutcome:
    """Every file's verdict, plus the zips refused whole (unsafe, not a zip): (file name, reason)."""

    report: IngestReport = field(default_factory=IngestReport)
    refused_zips: list[tuple[str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many files were added, were already there, or were refused."""
        out = {"added": 0, "duplicate": 0, "refused": 0}
        for r in self.report.results:
            out[r.status] += 1
        return out


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
) -> UploadOutcome:
    """Ingest ``(name, bytes)`` pairs: the images together (one ingest), then each zip on its own.

    A zip refused whole (:class:`IngestError`) is recorded in ``refused_zips`` and the others go
    on, or, with ``stop_at_refused_zip``, the error is raised. ``sku`` applies to the loose images;
    a zip's own ``manifest.csv`` (or ``manifest``) names SKUs for its files. ``only_own_merchant``
    (a merchant's upload): a manifest may set SKUs, never another merchant.
    """
    outcome = UploadOutcome()
    singles = [(name, data) for name, data in files if not is_zip(name)]
    if singles:
        outcome.report.results += ingest_files(
            store,
            singles,
            merchant_id=merchant_id,
            uploaded_by=uploaded_by,
            manifest=manifest,
            sku=sku,
            only_own_merchant=only_own_merchant,
            executor=executor,
        ).results
    for name, data in files:
        if not is_zip(name):
            continue
        try:
            part = ingest_zip(
                store,
                data,
                merchant_id=merchant_id,
                uploaded_by=uploaded_by,
                manifest=manifest,
                only_own_merchant=only_own_merchant,
                executor=executor,
            )
        except IngestError as exc:
            if stop_at_refused_zip:
                raise
            outcome.refused_zips.append((name, str(exc)))
        else:
            outcome.report.results += part.results
    return outcome
