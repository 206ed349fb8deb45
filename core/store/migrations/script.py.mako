"""${message}

Revision ${up_revision}, after ${down_revision | n,str}. Applied on open, inside the transaction that
holds the migration lock. Append, never edit a revision once it is committed.
"""

from __future__ import annotations

revision = "${up_revision}"
down_revision = ${'"%s"' % down_revision if down_revision else None}


def upgrade() -> None:
    # `from alembic import op`, then SQLAlchemy Core on `op.get_bind()`: dialect-neutral (SQLite and
    # PostgreSQL) and harmless on a database that has the change already (revision 0001 creates
    # today's `metadata`, so a new database has it before this runs).
    raise NotImplementedError("write this revision's upgrade")
