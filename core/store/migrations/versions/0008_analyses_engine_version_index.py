"""Counting stale measurements reads an index, not every analysis row (issue 9)."""

from __future__ import annotations

from alembic import op

from core.store.database import _V8_INDEXES

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    conn = op.get_bind()
    for index in _V8_INDEXES:
        index.create(conn, checkfirst=True)
