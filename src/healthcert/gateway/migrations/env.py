"""Alembic environment of the gateway's database: runs on the connection it is handed."""

from __future__ import annotations

from alembic import context

from healthcert.gateway.tables import GatewayBase

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=GatewayBase.metadata,
    version_table="gw_alembic_version",
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
