"""Alembic's environment for the store. ``Store.migrate`` runs it with its own connection, already
inside the transaction that holds the migration lock (``config.attributes["connection"]``): Alembic
then opens no transaction of its own, so the check, the stamp and every revision commit together.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import insert

from core.store.database import metadata, now, schema_info


def _record(ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]) -> None:
    """One ``schema_info`` row per applied revision, numbered as before Alembic (a stamp applies
    nothing, so it writes none)."""
    if step.is_upgrade and not step.is_stamp and step.up_revision_id and ctx.connection is not None:
        ctx.connection.execute(insert(schema_info).values(version=int(step.up_revision_id), migrated_at=now()))


connection = context.config.attributes.get("connection")
if connection is None:  # no URL of its own, no offline SQL: migrating always takes the lock first
    raise RuntimeError("migrate through core.store.database.Store.migrate (open_store, python -m core db upgrade)")
context.configure(connection=connection, target_metadata=metadata, on_version_apply=_record)
with context.begin_transaction():
    context.run_migrations()
