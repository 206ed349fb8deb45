"""The Overview lists the catalogue by name too: an index of the images by their shown name in
lower case (then id), so a page of a million images in that order is read in the index's order
instead of sorting them all. See ``core.store.database.create_name_order_index``.

Revision 0015, after 0014. Append, never edit a revision once it is committed.
"""

from __future__ import annotations

from alembic import op

from core.store.database import create_name_order_index

revision = "0015"
down_revision = "0014"


def upgrade() -> None:
    create_name_order_index(op.get_bind())
