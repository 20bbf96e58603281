"""The gateway's database: its URL, engine and migrations (apart from the service's)."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from healthcert.database.db import make_engine

URL_VARIABLE = "HEALTHCERT_GATEWAY_DATABASE_URL"
DEFAULT_SQLITE_PATH = Path("var/gateway.db")
MIGRATIONS = Path(__file__).with_name("migrations")


def gateway_database_url(url: str | None = None) -> str:
    """The given URL, else HEALTHCERT_GATEWAY_DATABASE_URL, else SQLite ./var/gateway.db."""
    if url:
        return url
    configured = os.environ.get(URL_VARIABLE, "").strip()
    if configured:
        return configured
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def gateway_engine(url: str | None = None) -> Engine:
    """An engine on the gateway's database, its schema brought up to date."""
    engine = make_engine(gateway_database_url(url))
    upgrade(engine)
    return engine


def upgrade(engine: Engine) -> None:
    """Bring the gateway's schema to the newest revision; safe on every start."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
