"""The OpenAPI document is the contract: schemathesis runs every phase (examples, coverage,
fuzzing, stateful) over every operation, each with its role's credentials, on SQLite and on
PostgreSQL, and finds no server error and no answer the document does not describe (status,
content type, body schema, headers).

Each backend gets a database of its own: the fuzzer signs in, files and revokes at will, and
must not spend the rate limits or fill the tables the other tests count on.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.service.conftest import PG_SERVER, ROLES, _postgres_admin
from tests.service.declaration_steps import traveller

if TYPE_CHECKING:
    from healthcert.keys.signer import Signer
    from healthcert.service.context import ServiceContext
    from healthcert.trust.store import TrustStore

# Fixed: a failure found once is found again.
SEED = 20261207
# Per operation and phase; the whole run (both backends) stays within a few minutes on 2 cores.
MAX_EXAMPLES = 200
STATEFUL_STEPS = 8
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
# Which credentials each operation is called with: the role its routes admit.
ROLE_OF_PREFIX = (
    ("/api/v1/admin/", "admin"),
    ("/api/v1/records", "recorder"),
    ("/api/v1/certificates/", "issuer"),
    ("/api/v1/verify", "verifier"),
    ("/api/v1/consular/", "officer"),
)


@pytest.fixture(scope="module")
def fuzz_url(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, postgres_skip_reason: str | None
) -> Iterator[str]:
    """A database of the session's backend, for the fuzzer alone."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'healthcert.db'}"
        return
    name = f"healthcert_fuzz_{secrets.token_hex(6)}"
    with _postgres_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_SERVER.format(name=name)
    finally:
        with _postgres_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def fuzz_ctx(
    fuzz_url: str,
    issuer_keys: tuple[Signer, Path],
    trust: TrustStore,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServiceContext]:
    from healthcert.service.context import open_context

    context = open_context(fuzz_url)
    context.signer_loader = lambda: issuer_keys[0]
    context.health_code_signer_loader = lambda: issuer_keys[0]
    context.trust_loader = lambda: trust
    # An empty key home: the published certificates are a documented 404, not this machine's.
    context.key_home = tmp_path_factory.mktemp("fuzz-home")
    yield context
    context.engine.dispose()


def credentials(ctx: ServiceContext) -> dict[str, dict[str, str]]:
    """Headers per role, and a signed-in holder with a record."""
    from fastapi.testclient import TestClient

    from healthcert.api.app import create_app
    from healthcert.service.apikeys import create_key
    from healthcert.service.audit import Actor

    operator = Actor("admin", "fuzz")
    headers = {
        role: {"X-API-Key": create_key(ctx, role, f"fuzz {role}", operator, countries(role)).secret}
        for role in ROLES
    }
    with TestClient(create_app(ctx)) as client:
        headers["holder"] = traveller(client, ctx, headers["recorder"]).auth
    return headers


def countries(role: str) -> list[str]:
    return ["US"] if role == "officer" else []


def role_of(path: str) -> str:
    if path.startswith("/api/v1/holder/"):
        return "holder"
    for prefix, role in ROLE_OF_PREFIX:
        if path.startswith(prefix):
            return role
    return "verifier"  # public routes: any key is ignored


def settings(headers: dict[str, dict[str, str]]) -> dict[str, Any]:
    checks: dict[str, Any] = {"enabled": False, **{name: {"enabled": True} for name in CHECKS}}
    generation = {
        "mode": "all",
        "max-examples": MAX_EXAMPLES,
        "allow-x00": True,
        # No example database, no cache: the seed alone decides what is sent.
        "database": "none",
    }
    return {
        "seed": SEED,
        "cache": {"enabled": False},
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        "generation": generation,
        "checks": checks,
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True, "max-steps": STATEFUL_STEPS},
        },
        "operations": [
            {"include-path-regex": f"^{prefix}", "headers": headers[role]}
            for prefix, role in (*ROLE_OF_PREFIX, ("/api/v1/holder/", "holder"))
        ],
    }


@dataclass
class Run:
    failures: list[str]  # every failed check, one line each
    requests: int
    phases: dict[str, str]  # each phase's outcome


def fuzz(ctx: ServiceContext) -> Run:
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import Status, events, from_schema

    from healthcert.api.app import create_app

    config = SchemathesisConfig.from_dict(settings(credentials(ctx)))
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(ctx), config=config)
    found: list[str] = []
    requests = 0
    phases: dict[str, str] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            requests += len(event.recorder.interactions)
            for case_id, checks in event.recorder.checks.items():
                case = event.recorder.cases[case_id].value
                status = _status(event, case_id)
                found += [
                    f"{check.name}: {case.method} {case.formatted_path} -> {status}"
                    f" {check.failure_info.failure.title if check.failure_info else ''}"
                    for check in checks
                    if check.status == Status.FAILURE
                ]
        elif isinstance(event, events.PhaseFinished):
            phases[event.phase.name.value] = event.status.value
        elif isinstance(event, events.NonFatalError | events.FatalError):
            found.append(f"error: {event!r}"[:500])
    return Run(sorted(set(found)), requests, phases)


def _status(event: Any, case_id: str) -> int | None:
    interaction = event.recorder.interactions.get(case_id)
    return interaction.response.status_code if interaction and interaction.response else None


def test_the_whole_document_holds_under_fuzzing(fuzz_ctx: ServiceContext) -> None:
    run = fuzz(fuzz_ctx)
    assert run.failures == []
    for phase in ("examples", "coverage", "fuzzing", "stateful"):
        assert run.phases[phase] == "success", run.phases
    assert run.requests > 5000
