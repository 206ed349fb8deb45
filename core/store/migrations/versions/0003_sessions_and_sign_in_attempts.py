"""Server-side sign-in sessions and sign-in attempts (issue 8)."""

from __future__ import annotations

from alembic import op

from core.store.database import _V3_INDEXES, _V3_TABLES

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    conn = op.get_bind()
    for table in _V3_TABLES:
        table.create(conn, checkfirst=True)
    for index in _V3_INDEXES:
        index.create(conn, checkfirst=True)
