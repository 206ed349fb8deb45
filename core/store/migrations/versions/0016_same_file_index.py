"""Staff see when the same file is stored under another merchant (a seller's photo copied by
another): an index of the images by their file's SHA-256 alone finds it at once, where the unique
index on (merchant id, SHA-256) cannot. See ``core.store.database.create_same_file_index``.

Revision 0016, after 0015. Append, never edit a revision once it is committed.
"""

from __future__ import annotations

from alembic import op

from core.store.database import create_same_file_index

revision = "0016"
down_revision = "0015"


def upgrade() -> None:
    create_same_file_index(op.get_bind())
