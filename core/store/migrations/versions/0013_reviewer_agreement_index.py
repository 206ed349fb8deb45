"""The Feedback page's reviewer agreement reads one covering index of the active decisions by
version on SQLite, instead of looking each decision up in the table (issue 9: 3.0 s with a million
decisions in the date range, 0.9 s with the index). Nothing on PostgreSQL, whose plan does not use
it. See ``core.store.database.create_agreement_index``."""

from __future__ import annotations

from alembic import op

from core.store.database import create_agreement_index

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    create_agreement_index(op.get_bind())
