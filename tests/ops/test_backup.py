"""``healthcert db backup`` and ``db restore``: what was there when the backup was made is
there again after the restore, and what came later is gone. SQLite, the shared PostgreSQL at
127.0.0.1:5432 (pg_dump/pg_restore), and the tests' own PostgreSQL."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.ops.cluster import Cluster
from tests.ops.instances import HEALTHCERT, cli
from tests.service.conftest import PG_SERVER, _postgres_admin, _postgres_unreachable


def _labels(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = text("SELECT label FROM api_keys ORDER BY id")
            return [str(label) for label in connection.execute(query).scalars()]
    finally:
        engine.dispose()


def _round_trip(env: dict[str, str], url: str, file: Path) -> None:
    cli(env, "db", "upgrade", "--url", url)
    cli(env, "apikey", "create", "--role", "verifier", "--label", "before", "--url", url)
    written = cli(env, "db", "backup", str(file), "--url", url)
    assert str(file) in written and file.stat().st_size > 0
    cli(env, "apikey", "create", "--role", "verifier", "--label", "after", "--url", url)
    assert _labels(url) == ["before", "after"]
    cli(env, "db", "restore", str(file), "--url", url)
    assert _labels(url) == ["before"]
    assert cli(env, "db", "current", "--url", url) != "none"


def test_sqlite_backup_and_restore(service_env: dict[str, str], tmp_path: Path) -> None:
    _round_trip(service_env, f"sqlite:///{tmp_path / 'live.db'}", tmp_path / "backup.db")


@pytest.fixture
def shared_postgres() -> Iterator[str]:
    reason = _postgres_unreachable()
    if reason:
        pytest.skip(reason)
    name = f"healthcert_backup_{secrets.token_hex(4)}"
    with _postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_SERVER.format(name=name)
    finally:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="no pg_dump on PATH")
def test_postgresql_backup_and_restore(
    service_env: dict[str, str], shared_postgres: str, tmp_path: Path
) -> None:
    _round_trip(service_env, shared_postgres, tmp_path / "backup.dump")
    assert (tmp_path / "backup.dump").read_bytes().startswith(b"PGDMP")


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="no pg_dump on PATH")
def test_postgresql_backup_of_the_private_server(
    service_env: dict[str, str], cluster: Cluster, tmp_path: Path
) -> None:
    url = cluster.create_database(f"healthcert_backup_{secrets.token_hex(4)}")
    _round_trip(service_env, url, tmp_path / "backup.dump")


def test_a_file_that_is_no_backup_is_refused_with_exit_status_2(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    cli(service_env, "db", "upgrade", "--url", url)
    (tmp_path / "notes.txt").write_text("not a database", encoding="utf-8")
    refusals = {
        "is not a SQLite backup": str(tmp_path / "notes.txt"),
        "no backup at": str(tmp_path / "missing.db"),
    }
    for message, file in refusals.items():
        done = subprocess.run(
            [*HEALTHCERT, "db", "restore", file, "--url", url],
            env=service_env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2 and message in done.stderr, done.stderr
