"""The gateway's migrations: the newest schema is what its tables declare, and g0002 (border
certificates) keeps every DSC uploaded before it as a DSC."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from healthcert.gateway.database import MIGRATIONS, upgrade
from healthcert.gateway.tables import GatewayBase

VERSION_TABLE = "gw_alembic_version"


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def test_the_newest_schema_is_what_the_tables_declare(engine: Engine) -> None:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert _revision(engine) == head == "g0002"
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "version_table": VERSION_TABLE}
        )
        assert compare_metadata(context, GatewayBase.metadata) == []


def test_g0002_keeps_the_dscs_uploaded_before_it(engine: Engine) -> None:
    with engine.begin() as connection:
        command.downgrade(_config(connection), "g0001")
    assert _revision(engine) == "g0001"
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO gw_signer_certificates (country, kid, thumbprint, raw_data, "
                "signature, created_at, change, deleted) VALUES ('DE', 'a2lkMDAwMDE=', "
                "'00', :raw, '', :at, 1, false)"
            ),
            {"raw": b"\x30\x00", "at": datetime.now(UTC)},
        )
    upgrade(engine)
    assert _revision(engine) == "g0002"
    with engine.connect() as connection:
        kinds = connection.execute(sa.text("SELECT certificate_type FROM gw_signer_certificates"))
        assert list(kinds.scalars()) == ["DSC"]
