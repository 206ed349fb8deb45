"""The text search folds the case of every letter, not A-Z only: on PostgreSQL the function the
catalogue's search calls (``imagedesk_fold``, over a Unicode-aware ``lower()``), and the trigram
indexes of revision 0011 built again on it; on SQLite nothing (the function is registered on each
connection). See ``core.store.database.create_text_fold``.

Revision 0012, after 0011. Applied on open, inside the transaction that holds the migration lock.
Append, never edit a revision once it is committed.
"""

from __future__ import annotations

from alembic import op

from core.store.database import create_text_fold

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    create_text_fold(op.get_bind())
