"""The shared review queue: leases, queue settings, decision batches; display names (issue 10)."""

from __future__ import annotations

from alembic import op

from core.store.database import _V4_INDEXES, _V4_TABLES, add_column, images, reviews

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    conn = op.get_bind()
    for table in _V4_TABLES:
        table.create(conn, checkfirst=True)
    add_column(conn, reviews, "batch_id")
    add_column(conn, images, "display_name")
    conn.execute(images.update().where(images.c.display_name == "").values(display_name=images.c.file_name))
    for index in _V4_INDEXES:
        index.create(conn, checkfirst=True)
