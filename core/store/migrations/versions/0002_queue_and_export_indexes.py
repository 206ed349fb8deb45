"""Indexes for the review queue and the export queries."""

from __future__ import annotations

from alembic import op

from core.store.database import _V2_INDEXES

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    conn = op.get_bind()
    for index in _V2_INDEXES:
        index.create(conn, checkfirst=True)
