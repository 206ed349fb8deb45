"""The review queue's progress reads the decided versions from an index, and takes off the decided
ones among the (few) versions kept out of the queue: an index of those (issue 9, 1M images)."""

from __future__ import annotations

from alembic import op

from core.store.database import _V10_INDEXES

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    conn = op.get_bind()
    for index in _V10_INDEXES:
        index.create(conn, checkfirst=True)
