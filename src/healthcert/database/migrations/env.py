"""Alembic environment: runs on the connection that ``healthcert.database.migrate`` hands it."""

from __future__ import annotations

from alembic import context

from healthcert.database.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
)
with context.begin_transaction():
    context.run_migrations()
