"""Fixtures of the gateway tests: a fresh gateway database per test on SQLite, and on
PostgreSQL where one runs at 127.0.0.1:5432 (its own database, dropped after)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from healthcert.gateway.anchor import GatewayAnchor
from healthcert.gateway.app import GatewaySettings
from healthcert.gateway.database import gateway_engine
from tests.gateway.world import PROXY, Country, gateway_client, new_anchor, onboard_country
from tests.service.conftest import PG_SERVER, _postgres_admin, _postgres_unreachable


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        made = gateway_engine(f"sqlite:///{tmp_path_factory.mktemp('gw') / 'gateway.db'}")
        yield made
        made.dispose()
        return
    reason = _postgres_unreachable()
    if reason:
        pytest.skip(reason)
    name = f"healthcert_gw_{secrets.token_hex(6)}"
    with _postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    made = gateway_engine(PG_SERVER.format(name=name))
    try:
        yield made
    finally:
        made.dispose()
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def anchor() -> GatewayAnchor:
    return new_anchor()


@pytest.fixture(scope="session")
def de() -> Country:
    return Country.make("DE")


@pytest.fixture(scope="session")
def fr() -> Country:
    return Country.make("FR")


@pytest.fixture
def settings(engine: Engine, anchor: GatewayAnchor, de: Country, fr: Country) -> GatewaySettings:
    onboard_country(engine, anchor, de)
    onboard_country(engine, anchor, fr)
    return GatewaySettings(anchor, engine, trusted_proxies=frozenset({PROXY}))


@pytest.fixture
def client(settings: GatewaySettings) -> TestClient:
    return gateway_client(settings)
