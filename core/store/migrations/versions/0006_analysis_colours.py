"""The colour layout of each analysis (issue 11): duplicates must agree in colour, not only in
layout. Existing analyses get none; ``rescore --remeasure`` measures them again."""

from __future__ import annotations

from alembic import op

from core.store.database import add_column, analyses

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    add_column(op.get_bind(), analyses, "colors")
