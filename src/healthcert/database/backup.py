"""Backups of the service's database, in the backend's own form: SQLite's online backup (a
consistent copy while the service runs) and PostgreSQL's pg_dump custom format, restored with
pg_restore. The password, if any, goes to the tools in their environment, never on their
command line where other users could read it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from healthcert.database.db import database_url
from healthcert.errors import HealthcertError

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(HealthcertError):
    """The backup or restore could not be made; the message says why."""


def backup(file: Path, url: str | None = None) -> str:
    """Write the database at ``url`` to ``file``; what was written, for the operator."""
    target = make_url(database_url(url))
    if target.get_backend_name() == "sqlite":
        with closing(_sqlite(target)) as source, closing(sqlite3.connect(file)) as copy:
            source.backup(copy)
        return f"SQLite database copied to {file}"
    if target.get_backend_name() == "postgresql":
        _run_tool("pg_dump", ["--format=custom", "--no-owner", f"--file={file}"], target)
        return f"PostgreSQL database {target.database} dumped to {file} (pg_dump custom format)"
    raise BackupError(f"no backup for the {target.get_backend_name()} backend")


def restore(file: Path, url: str | None = None) -> str:
    """Replace the database at ``url`` with the backup in ``file``."""
    if not file.is_file():
        raise BackupError(f"no backup at {file}")
    target = make_url(database_url(url))
    head = _head(file)
    if target.get_backend_name() == "sqlite":
        if head != SQLITE_MAGIC:
            raise BackupError(f"{file} is not a SQLite backup")
        with closing(sqlite3.connect(file)) as source, closing(_sqlite(target)) as database:
            source.backup(database)
        return f"SQLite database restored from {file}"
    if target.get_backend_name() == "postgresql":
        if not head.startswith(PGDUMP_MAGIC):
            raise BackupError(f"{file} is not a pg_dump custom-format backup")
        options = ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(file)]
        _run_tool("pg_restore", options, target)
        return f"PostgreSQL database {target.database} restored from {file}"
    raise BackupError(f"no restore for the {target.get_backend_name()} backend")


def _head(file: Path) -> bytes:
    with file.open("rb") as handle:
        return handle.read(16)


def _sqlite(url: URL) -> sqlite3.Connection:
    path = url.database
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    if not Path(path).is_file():
        raise BackupError(f"no SQLite database at {path}")
    return sqlite3.connect(path, timeout=30)


def _run_tool(tool: str, options: list[str], url: URL) -> None:
    program = shutil.which(tool)
    if program is None:
        raise BackupError(f"{tool} not found: install the PostgreSQL client tools")
    environment = {**os.environ}
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    connection = [f"--dbname={url.database}"]
    if url.host:
        connection.append(f"--host={url.host}")
    if url.port:
        connection.append(f"--port={url.port}")
    if url.username:
        connection.append(f"--username={url.username}")
    done = subprocess.run(
        [program, *connection, *options], env=environment, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()[-500:]}")
