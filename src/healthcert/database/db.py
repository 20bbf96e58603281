"""The database: its URL, the engine with each backend's settings, and sessions."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_SQLITE_PATH = Path("var/healthcert.db")
URL_VARIABLE = "HEALTHCERT_DATABASE_URL"
WRITE_OPTION = "healthcert_writes"


def database_url(url: str | None = None) -> str:
    """The given URL, else HEALTHCERT_DATABASE_URL, else the SQLite file ./var/healthcert.db."""
    if url:
        return url
    configured = os.environ.get(URL_VARIABLE, "").strip()
    if configured:
        return configured
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _json_text(value: Any) -> str:
    # orjson: the JSON columns are written per record, and batch issuance writes thousands/s.

    return orjson.dumps(value).decode("utf-8")


def make_engine(url: str | None = None) -> Engine:
    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        return _sqlite_engine(resolved)
    return create_engine(
        resolved, pool_size=10, max_overflow=20, pool_pre_ping=True, json_serializer=_json_text
    )


def _sqlite_engine(url: str) -> Engine:
    # One file shared by the server's threads: WAL lets readers run beside the one writer,
    # and the busy timeout makes a second writer wait instead of failing at once.
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        json_serializer=_json_text,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # A writing transaction takes the write lock at BEGIN: one that reads and then upgrades
        # can deadlock with another and fail with "database is locked" despite the timeout.
        # Reads begin deferred, so they run beside the writer (WAL).
        writes = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    # pysqlite's own transaction handling must step aside for the BEGIN above.
    @event.listens_for(engine, "connect")
    def _no_autobegin(connection: Any, _record: Any) -> None:
        connection.isolation_level = None

    return engine


def session_factory(engine: Engine, *, writes: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``; with ``writes``, each transaction is opened for writing."""
    bind = engine.execution_options(**{WRITE_OPTION: True}) if writes else engine
    return sessionmaker(bind, expire_on_commit=False)
