"""The schema: every table and index ``metadata`` declares (schema_info version 1 before Alembic).

It creates today's declaration, so a new database gets everything here and the later revisions
find their tables, columns and indexes present.
"""

from __future__ import annotations

from alembic import op

from core.store.database import metadata

revision = "0001"
down_revision = None


def upgrade() -> None:
    conn = op.get_bind()
    for table in metadata.sorted_tables:
        table.create(conn, checkfirst=True)
