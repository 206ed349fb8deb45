"""Every analysis's measurements in columns of their own (``analysis_metrics``), kept in step with
``analyses`` by triggers: the Feedback page's preview of what saving a tuned profile would change
reads the few metrics it needs there instead of parsing every analysis's JSON in Python (issue 9:
18 s on SQLite, 27-45 s on PostgreSQL at 1M images). Filled from the analyses already there. See
``core.store.database.create_metric_columns``.

Revision 0014, after 0013. Applied on open, inside the transaction that holds the migration lock.
Append, never edit a revision once it is committed.
"""

from __future__ import annotations

from alembic import op

from core.store.database import create_metric_columns

revision = "0014"
down_revision = "0013"


def upgrade() -> None:
    create_metric_columns(op.get_bind())
