"""Fixtures of the operations tests: a private PostgreSQL server (started, crashed and
restarted by the tests) and a key home the service instances share."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ops import cluster as private
from tests.ops.instances import cli, environment


@pytest.fixture(scope="module")
def cluster() -> Iterator[private.Cluster]:
    reason = private.unavailable()
    if reason:
        pytest.skip(reason)
    server = private.Cluster()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="module")
def service_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A key home with a CN CSCA and DSC, for every instance of the module."""
    env = environment(tmp_path_factory.mktemp("home"))
    cli(env, "keys", "init", "--country", "CN")
    cli(env, "keys", "dsc")
    return env


@pytest.fixture
def database(cluster: private.Cluster, service_env: dict[str, str]) -> str:
    """A fresh database on the private server, at the schema's head."""
    url = cluster.create_database(f"healthcert_ops_{secrets.token_hex(4)}")
    cli(service_env, "db", "upgrade", "--url", url)
    return url


def api_key(env: dict[str, str], url: str, role: str, *options: str) -> dict[str, str]:
    label = f"ops {role} {secrets.token_hex(3)}"
    secret = cli(env, "apikey", "create", "--role", role, "--label", label, "--url", url, *options)
    return {"X-API-Key": secret}


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    return tmp_path
