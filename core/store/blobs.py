"""Content-addressed blob storage: each file stored once under ``blobs/`` by its sha256, never changed."""

from __future__ import annotations

from core.store.database import Store, private_folder, write_private

__all__ = ["blob_path_for", "read_blob", "write_blob"]


def blob_path_for(sha: str, ext: str) -> str:
    """The blob path (relative to the blob folder) of content ``sha`` stored with extension ``ext``."""
    return f"{sha[:2]}/{sha}{ext}"


def write_blob(store: Store, rel: str, data: bytes) -> bool:
    """Write a content-addressed file atomically; False if it already existed."""
    path = store.blob_dir / rel
    if path.exists():
        return False
    private_folder(path.parent)
    write_private(path, data)  # owner-only (0600), atomic
    return True


def read_blob(store: Store, rel: str) -> bytes:
    """The stored bytes of a version (``blob_path`` from the database)."""
    root = store.blob_dir.resolve()
    path = (root / rel).resolve()
    if root not in path.parents:
        raise ValueError("blob path escapes the data folder")
    return path.read_bytes()
