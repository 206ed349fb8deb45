"""Each image keeps the other names (and SKUs) its very file was uploaded under by its merchant:
a copy is stored once, and a photo reused for two products must still reach a reviewer. See
``core.store.database.image_names``.

Revision 0017, after 0016. Append, never edit a revision once it is committed.
"""

from __future__ import annotations

from alembic import op

from core.store.database import image_names

revision = "0017"
down_revision = "0016"


def upgrade() -> None:
    image_names.create(op.get_bind(), checkfirst=True)  # with its index on image_id
