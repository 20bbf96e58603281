"""Fixtures of the service tests: one database per test session and backend (SQLite, PostgreSQL);
tests keep to their own records, so they share it and the schema is migrated only twice.

PostgreSQL is the one at 127.0.0.1:5432 (trust auth, user postgres); each session creates its
own database with a random name and drops it after. Without a reachable server those tests are
skipped with the reason.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.keys.signer import Signer
    from healthcert.service.context import ServiceContext
    from healthcert.trust.store import TrustStore

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
ROLES = ("admin", "recorder", "issuer", "verifier", "officer")


def _postgres_admin() -> Any:
    import psycopg

    return psycopg.connect(PG_ADMIN, autocommit=True)


def _postgres_unreachable() -> str | None:
    try:
        _postgres_admin().close()
    except Exception as error:  # any failure to connect is a reason to skip
        return f"no PostgreSQL at 127.0.0.1:5432: {error}"
    return None


@pytest.fixture(scope="session")
def postgres_skip_reason() -> str | None:
    return _postgres_unreachable()


@contextmanager
def created_database(kind: str, folder: Path, skip_reason: str | None) -> Iterator[str]:
    """The URL of a new, empty database of ``kind`` (sqlite, in ``folder``, or postgresql),
    dropped afterwards; the test is skipped with ``skip_reason`` when PostgreSQL is not there."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'healthcert.db'}"
        return
    if skip_reason:
        pytest.skip(skip_reason)
    name = f"healthcert_test_{secrets.token_hex(6)}"
    with _postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_SERVER.format(name=name)
    finally:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_skip_reason: str | None,
) -> Iterator[str]:
    with created_database(
        request.param, tmp_path_factory.mktemp("db"), postgres_skip_reason
    ) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_skip_reason: str | None
) -> Iterator[str]:
    """A database of this test's own, for tests that count whole tables or delete by time."""
    with created_database(request.param, tmp_path, postgres_skip_reason) as url:
        yield url


@pytest.fixture(scope="session")
def issuer_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Signer, Path]:
    """A CN CSCA and a DSC for every kind, made once: the signer, and a folder with both
    certificates as PEM files."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from healthcert.keys.csca import create_csca
    from healthcert.keys.dsc import create_dsc
    from healthcert.keys.signer import signer_from

    csca = create_csca("CN")
    dsc = create_dsc(csca)
    folder = tmp_path_factory.mktemp("keys")
    (folder / "csca.pem").write_bytes(csca.certificate.public_bytes(Encoding.PEM))
    (folder / "dsc.pem").write_bytes(dsc.certificate.public_bytes(Encoding.PEM))
    return signer_from(dsc), folder


@pytest.fixture(scope="session")
def trust(issuer_keys: tuple[Signer, Path]) -> TrustStore:
    from healthcert.trust.store import load_trust

    return load_trust([issuer_keys[1] / "csca.pem", issuer_keys[1] / "dsc.pem"])


@pytest.fixture(scope="session")
def ctx(
    database_url: str, issuer_keys: tuple[Signer, Path], trust: TrustStore
) -> Iterator[ServiceContext]:
    from healthcert.service.context import open_context

    context = open_context(database_url)
    context.signer_loader = lambda: issuer_keys[0]
    context.trust_loader = lambda: trust
    yield context
    context.engine.dispose()


@pytest.fixture(scope="session")
def client(ctx: ServiceContext) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    from healthcert.api.app import create_app

    with TestClient(create_app(ctx)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def keys(ctx: ServiceContext) -> dict[str, dict[str, str]]:
    """One API key per role, as the headers to send, and "identity": a passport office's key
    (an identity source, which sets holders' contacts)."""
    from healthcert.service.apikeys import create_key
    from healthcert.service.audit import Actor

    operator = Actor("admin", "tests")
    headers = {
        role: {"X-API-Key": create_key(ctx, role, f"test {role}", operator).secret}
        for role in ROLES
    }
    office = create_key(ctx, "recorder", "test passport office", operator, identity_source=True)
    headers["identity"] = {"X-API-Key": office.secret}
    return headers
