"""The review queue at 100,000 images (issue 9): indexes its order walks and its open test read.
``IF NOT EXISTS`` rather than a catalogue check: a database created by revision 0001 from today's
metadata has them already, and expression indexes are not reflected on every backend."""

from __future__ import annotations

from alembic import op
from sqlalchemy.schema import CreateIndex

from core.store.database import _V7_INDEXES

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    conn = op.get_bind()
    for index in _V7_INDEXES:
        conn.execute(CreateIndex(index, if_not_exists=True))
