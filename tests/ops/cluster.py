"""A PostgreSQL server of the test's own, in a temporary folder, that the test can stop, crash
and start again: ``initdb`` and ``pg_ctl`` from /usr/lib/postgresql/*/bin, on a free port,
trust authentication on 127.0.0.1 only. PostgreSQL refuses to run as root: as root, the tools
run as the ``postgres`` system user (``runuser``), who owns the folder."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import suppress
from pathlib import Path

import psycopg

from tests.ops.instances import free_port

SERVER_USER = "postgres"


def tools_folder() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def unavailable() -> str | None:
    """Why no private server can run here, or None."""
    if tools_folder() is None:
        return "no initdb/pg_ctl under /usr/lib/postgresql/*/bin"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root without runuser to drop to a PostgreSQL user"
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and no {SERVER_USER!r} user to run PostgreSQL as"
    return None


class Cluster:
    """One private server: ``start``, ``stop`` (``mode`` immediate is a crash), ``url``."""

    def __init__(self) -> None:
        bin_folder = tools_folder()
        assert bin_folder is not None
        self.bin = bin_folder
        self.folder = Path(tempfile.mkdtemp(prefix="healthcert-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVER_USER)
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self._tool("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _tool(self, name: str, *arguments: str) -> None:
        command = [str(self.bin / name), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200 -c fsync=off"
        )
        log = str(self.folder / "server.log")
        self._tool("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._tool("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def create_database(self, name: str) -> str:
        """A new database; its SQLAlchemy URL."""
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def dsn(self, database: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database} connect_timeout=5"

    def remove(self) -> None:
        with suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
