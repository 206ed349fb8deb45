"""The covering indexes revision 0005 gained after it first shipped (issue 9): a database migrated
to version 5 before then lacks them and still has the index they replaced. Both are idempotent, so
a database that already has them is unchanged."""

from __future__ import annotations

from alembic import op

from core.store.database import _V5_INDEXES

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    conn = op.get_bind()
    for index in _V5_INDEXES:
        index.create(conn, checkfirst=True)
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_versions_kind")  # replaced by ix_versions_kind_image
