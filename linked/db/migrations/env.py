"""Alembic environment. Deliberately imports no models: migrations are written by hand and a
test compares the migrated schema with the models, so the two cannot drift apart."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=None,
        # SQLite cannot ALTER most things; batch mode rebuilds tables for later migrations.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with linked.db.migrate.upgrade() or `linked db upgrade`")
_run(connection)
