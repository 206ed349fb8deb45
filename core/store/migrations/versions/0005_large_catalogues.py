"""Large catalogues and several servers (issue 9): issue rows per score (backfilled from
``scores.issues``), the shared profiles table, and the indexes the catalogue pages need."""

from __future__ import annotations

from alembic import op
from sqlalchemy import func, insert, select

from core.store.database import _V5_INDEXES, score_issues, scores, stored_profiles

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    conn = op.get_bind()
    for table in (score_issues, stored_profiles):
        table.create(conn, checkfirst=True)
    done = conn.execute(select(func.count()).select_from(score_issues)).scalar()
    if not done:
        last = 0
        while True:  # in chunks: a large catalogue is never held in memory at once
            chunk = conn.execute(
                select(scores.c.id, scores.c.version_id, scores.c.profile, scores.c.issues)
                .where(scores.c.id > last)
                .order_by(scores.c.id)
                .limit(5000)
            ).all()
            if not chunk:
                break
            rows = [
                {"version_id": r.version_id, "profile": r.profile, "issue": name}
                for r in chunk
                for name in dict.fromkeys(i for i in (r.issues or "").split(";") if i)
            ]
            if rows:
                conn.execute(insert(score_issues), rows)
            last = chunk[-1].id
    for index in _V5_INDEXES:
        index.create(conn, checkfirst=True)
