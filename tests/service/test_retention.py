"""Retention on SQLite and PostgreSQL, each test on a database of its own: ``purge`` deletes
what is due at a given time and nothing else, keeps what must stay (open declarations, records
whose certificates are in force), counts before it deletes with ``--dry-run``, and leaves one
audit event with counts and no personal data; the periods come from the environment."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from healthcert.database.tables import (
    AuditEvent,
    Declaration,
    DeclarationEvidence,
    HolderSession,
    IssuedCertificate,
    Record,
)
from healthcert.service.context import utc_now
from healthcert.service.retention import Purged, RetentionPeriods, purge
from tests.service.declaration_steps import PDF, body, traveller

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.keys.signer import Signer
    from healthcert.service.context import ServiceContext
    from healthcert.trust.store import TrustStore

DECLARATIONS = "/api/v1/holder/declarations"


@pytest.fixture
def rctx(
    own_database: str, issuer_keys: tuple[Signer, Path], trust: TrustStore
) -> Iterator[ServiceContext]:
    from healthcert.service.context import open_context

    context = open_context(own_database)
    context.signer_loader = lambda: issuer_keys[0]
    context.trust_loader = lambda: trust
    yield context
    context.engine.dispose()


@pytest.fixture
def rclient(rctx: ServiceContext) -> Iterator[tuple[TestClient, dict[str, str]]]:
    from fastapi.testclient import TestClient

    from healthcert.api.app import create_app
    from healthcert.service.apikeys import create_key
    from healthcert.service.audit import Actor

    recorder = create_key(rctx, "recorder", "retention lab", Actor("admin", "tests")).secret
    with TestClient(create_app(rctx)) as client:
        yield client, {"X-API-Key": recorder}


def _counts(ctx: ServiceContext) -> dict[str, int]:
    with ctx.sessions() as session:

        def count(*where: Any, table: Any) -> int:
            return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)

        return {
            "records": count(table=Record),
            "certificates": count(table=IssuedCertificate),
            "declarations": count(table=Declaration),
            "documents": count(DeclarationEvidence.data.is_not(None), table=DeclarationEvidence),
            "sessions": count(table=HolderSession),
        }


def _story(client: TestClient, recorder: dict[str, str], ctx: ServiceContext) -> dict[str, Any]:
    """One traveller who withdrew a declaration with a document and holds a certificate, and
    one whose declaration is still open."""
    done = traveller(client, ctx, recorder)
    issued = client.post(
        f"/api/v1/holder/records/{done.records[0]}/certificates", json={}, headers=done.auth
    )
    assert issued.status_code == 201, issued.text
    filed = client.post(DECLARATIONS, json=body(), headers=done.auth).json()
    uploaded = client.post(
        f"{DECLARATIONS}/{filed['id']}/documents",
        files={"file": ("scan.pdf", PDF, "application/pdf")},
        headers=done.auth,
    )
    assert uploaded.status_code == 201, uploaded.text
    assert client.post(f"{DECLARATIONS}/{filed['id']}/withdraw", headers=done.auth).is_success
    waiting = traveller(client, ctx, recorder)
    assert client.post(DECLARATIONS, json=body(), headers=waiting.auth).status_code == 201
    return {"withdrawn": filed["id"], "certificate_expires": issued.json()["expires_at"]}


def test_purge_deletes_what_is_due_and_nothing_else(
    rclient: tuple[TestClient, dict[str, str]], rctx: ServiceContext
) -> None:
    client, recorder = rclient
    _story(client, recorder, rctx)
    start = _counts(rctx)
    assert start == {
        "records": 2,
        "certificates": 1,
        "declarations": 2,
        "documents": 1,
        "sessions": 2,
    }
    now = utc_now()
    # Within every period only the sign-in codes, used already, are gone.
    soon = purge(rctx, RetentionPeriods(), now=now)
    assert soon == Purged(signin_codes=2)
    assert _counts(rctx) == start
    # 40 days on (the departure was in 2): the withdrawn declaration's document bytes go, and
    # the sessions, which last minutes, the sign-in attempts the limits counted (two for the
    # code, two for the guess, of each traveller) and the week-old messages with the codes.
    later = purge(rctx, RetentionPeriods(), now=now + timedelta(days=40))
    assert later == Purged(documents=1, sessions=2, signin_attempts=8, outbox=2)
    assert _counts(rctx) == {**start, "documents": 0, "sessions": 0}
    # 100 days on: the withdrawn declaration goes; the open one stays whatever its age.
    assert purge(rctx, now=now + timedelta(days=100)) == Purged(declarations=1)
    # With records kept 200 days: 201 days on, the record without certificate goes; the one
    # whose certificate is in force (a year's vaccination certificate) stays until it ends,
    # then goes with it.
    brief = RetentionPeriods(records=200)
    assert purge(rctx, brief, now=now + timedelta(days=201)) == Purged(records=1)
    assert purge(rctx, brief, now=now + timedelta(days=364)) == Purged()
    assert purge(rctx, brief, now=now + timedelta(days=366)) == Purged(records=1, certificates=1)
    assert _counts(rctx) == {
        "records": 0,
        "certificates": 0,
        "declarations": 1,
        "documents": 0,
        "sessions": 0,
    }


def test_a_dry_run_counts_and_deletes_nothing(
    rclient: tuple[TestClient, dict[str, str]], rctx: ServiceContext
) -> None:
    client, recorder = rclient
    _story(client, recorder, rctx)
    before = _counts(rctx)
    future = utc_now() + timedelta(days=500)
    counted = purge(rctx, now=future, dry_run=True)
    assert counted == Purged(
        records=2,
        certificates=1,
        declarations=1,
        documents=1,
        sessions=2,
        signin_codes=2,
        signin_attempts=8,
        outbox=2,
    )
    assert _counts(rctx) == before


def test_the_audit_log_keeps_counts_not_people(
    rclient: tuple[TestClient, dict[str, str]], rctx: ServiceContext
) -> None:
    client, recorder = rclient
    _story(client, recorder, rctx)
    counts = purge(rctx, now=utc_now() + timedelta(days=100))
    with rctx.sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.purge")
        ).all()
    assert [(event.actor, event.detail) for event in events] == [
        ("system:retention", counts.as_json())
    ]
    assert "WANG" not in json.dumps(counts.as_json())


def test_periods_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTHCERT_RETAIN_DOCUMENTS_DAYS", "3")
    monkeypatch.setenv("HEALTHCERT_RETAIN_RECORDS_DAYS", "1000")
    assert RetentionPeriods.from_environment() == RetentionPeriods(records=1000, documents=3)
    for wrong in ("0", "-1", "ten", "2.5", ""):
        monkeypatch.setenv("HEALTHCERT_RETAIN_OUTBOX_DAYS", wrong)
        with pytest.raises(ValueError, match="HEALTHCERT_RETAIN_OUTBOX_DAYS"):
            RetentionPeriods.from_environment()


def test_the_command_counts_then_deletes(
    rclient: tuple[TestClient, dict[str, str]], rctx: ServiceContext, own_database: str
) -> None:
    from typer.testing import CliRunner

    from healthcert.cli import app

    client, recorder = rclient
    _story(client, recorder, rctx)
    runner = CliRunner()
    future = (utc_now() + timedelta(days=40)).isoformat()
    counted = runner.invoke(
        app, ["purge", "--dry-run", "--json", "--at", future, "--url", own_database]
    )
    assert counted.exit_code == 0, counted.output
    assert json.loads(counted.output) == {
        "dry_run": True,
        "purged": Purged(
            documents=1, sessions=2, signin_codes=2, signin_attempts=8, outbox=2
        ).as_json(),
    }
    done = runner.invoke(app, ["purge", "--at", future, "--url", own_database])
    assert done.exit_code == 0, done.output
    assert "documents               1 deleted" in done.output
    assert _counts(rctx)["documents"] == 0
    refused = runner.invoke(
        app, ["purge", "--url", own_database], env={"HEALTHCERT_RETAIN_RECORDS_DAYS": "forever"}
    )
    assert refused.exit_code == 2
    assert "HEALTHCERT_RETAIN_RECORDS_DAYS='forever'" in refused.output
