"""The Overview's text search reads a trigram index instead of every image (issue 9, 1M images):
on PostgreSQL pg_trgm GIN indexes on the lower-cased name, name as given and SKU; on SQLite an FTS5
table with the trigram tokenizer, filled from the images already there and kept in step by
triggers. Where the extension or the tokenizer is missing it makes nothing (with a warning) and
the search stays a scan, as before. See ``core.store.database.create_text_index``."""

from __future__ import annotations

from alembic import op

from core.store.database import create_text_index

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    create_text_index(op.get_bind())
