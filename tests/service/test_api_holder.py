"""Holder sign-in: one-time codes through the outbox, sessions, expiry, single use, limits,
and a holder sees only their own records and certificates."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.service import samples
from tests.service.helpers import give_contact, identity_of

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext

DOB = "1985-07-21"


def _person_with_record(client: TestClient, keys: dict[str, dict[str, str]]) -> dict[str, Any]:
    record = samples.record()
    answer = client.post("/api/v1/records", json=record, headers=keys["recorder"])
    assert answer.status_code == 201
    give_contact(client, keys, record["holder"])
    return {
        "document_number": record["holder"]["document_number"],
        "identity": identity_of(record["holder"]),
        "record": answer.json(),
    }


def _identity(document_number: str) -> dict[str, str]:
    return {
        "document_type": "passport",
        "issuing_country": "CN",
        "document_number": document_number,
        "date_of_birth": DOB,
    }


def _last_code(ctx: ServiceContext) -> str:
    from sqlalchemy import select

    from healthcert.database.tables import OutboxMessage

    with ctx.sessions() as session:
        body = session.scalar(select(OutboxMessage.body).order_by(OutboxMessage.id.desc()))
    match = re.search(r"\b(\d{6})\b", body or "")
    assert match, body
    return match.group(1)


def _sign_in(client: TestClient, ctx: ServiceContext, document_number: str) -> dict[str, str]:
    identity = {**_identity(document_number)}
    assert client.post("/api/v1/holder/sign-in", json=identity).status_code == 202
    opened = client.post("/api/v1/holder/session", json={**identity, "code": _last_code(ctx)})
    assert opened.status_code == 201, opened.text
    return {"Authorization": f"Bearer {opened.json()['token']}"}


def test_a_holder_signs_in_and_obtains_their_certificate(
    client: TestClient, keys: dict[str, dict[str, str]], ctx: ServiceContext
) -> None:
    person = _person_with_record(client, keys)
    auth = _sign_in(client, ctx, person["document_number"].lower())
    records = client.get("/api/v1/holder/records", headers=auth).json()
    assert [r["id"] for r in records] == [person["record"]["id"]]
    url = f"/api/v1/holder/records/{person['record']['id']}/certificates"
    issued = client.post(url, json={"format": "eu-dcc"}, headers=auth)
    assert issued.status_code == 201
    mine = client.get("/api/v1/holder/certificates", headers=auth).json()
    assert [c["uvci"] for c in mine] == [issued.json()["uvci"]]
    certificate = f"/api/v1/holder/certificates/{issued.json()['id']}"
    assert client.get(certificate, headers=auth).json()["payload"].startswith("HC1:")
    assert client.get(f"{certificate}/qr.png", headers=auth).status_code == 200
    assert client.get(f"{certificate}/pdf", headers=auth).content.startswith(b"%PDF")
    assert client.delete("/api/v1/holder/session", headers=auth).status_code == 204
    assert client.get("/api/v1/holder/records", headers=auth).status_code == 401


def test_a_holder_cannot_reach_another_persons_records(
    client: TestClient, keys: dict[str, dict[str, str]], ctx: ServiceContext
) -> None:
    mine = _person_with_record(client, keys)
    theirs = _person_with_record(client, keys)
    auth = _sign_in(client, ctx, mine["document_number"])
    url = f"/api/v1/holder/records/{theirs['record']['id']}/certificates"
    assert client.post(url, json={}, headers=auth).status_code == 404
    issued = client.post(
        f"/api/v1/records/{theirs['record']['id']}/certificates", json={}, headers=keys["issuer"]
    ).json()
    assert (
        client.get(f"/api/v1/holder/certificates/{issued['id']}", headers=auth).status_code == 404
    )


def test_a_code_is_single_use_and_expires(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    ctx: ServiceContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    person = _person_with_record(client, keys)
    identity = person["identity"]
    client.post("/api/v1/holder/sign-in", json=identity)
    code = _last_code(ctx)
    assert client.post("/api/v1/holder/session", json={**identity, "code": code}).status_code == 201
    assert client.post("/api/v1/holder/session", json={**identity, "code": code}).status_code == 401
    client.post("/api/v1/holder/sign-in", json=identity)
    later = ctx.clock() + timedelta(minutes=11)
    monkeypatch.setattr(ctx, "clock", lambda: later)
    answer = client.post("/api/v1/holder/session", json={**identity, "code": _last_code(ctx)})
    assert answer.status_code == 401


def test_a_session_expires(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    ctx: ServiceContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    auth = _sign_in(client, ctx, _person_with_record(client, keys)["document_number"])
    later = ctx.clock() + timedelta(minutes=16)
    monkeypatch.setattr(ctx, "clock", lambda: later)
    assert client.get("/api/v1/holder/records", headers=auth).status_code == 401


def test_an_unknown_person_gets_the_same_answer_and_no_message(
    client: TestClient, ctx: ServiceContext
) -> None:
    from sqlalchemy import func, select

    from healthcert.database.tables import OutboxMessage

    with ctx.sessions() as session:
        before = session.scalar(select(func.count()).select_from(OutboxMessage))
    identity = _identity("NOBODY1")
    assert client.post("/api/v1/holder/sign-in", json=identity).status_code == 202
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == before


def test_wrong_guesses_kill_the_code_and_are_rate_limited(
    client: TestClient, keys: dict[str, dict[str, str]], ctx: ServiceContext
) -> None:
    from healthcert.service.signin import GUESSES_PER_PERSON, MAX_CODE_FAILURES

    person = _person_with_record(client, keys)
    identity = person["identity"]
    client.post("/api/v1/holder/sign-in", json=identity)
    code = _last_code(ctx)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(MAX_CODE_FAILURES):
        assert (
            client.post("/api/v1/holder/session", json={**identity, "code": wrong}).status_code
            == 401
        )
    assert client.post("/api/v1/holder/session", json={**identity, "code": code}).status_code == 401
    statuses = [
        client.post("/api/v1/holder/session", json={**identity, "code": wrong}).status_code
        for _ in range(GUESSES_PER_PERSON.attempts)
    ]
    assert statuses[-1] == 429


def test_code_requests_are_limited_per_person_and_per_address(ctx: ServiceContext) -> None:
    from healthcert.service.errors import TooManyAttempts
    from healthcert.service.signin import CODES_PER_ADDRESS, CODES_PER_PERSON, Person, request_code

    person = Person.of("passport", "CN", "LIMIT1", DOB)
    for _ in range(CODES_PER_PERSON.attempts):
        request_code(ctx, person, "192.0.2.1")
    with pytest.raises(TooManyAttempts):
        request_code(ctx, person, "192.0.2.1")
    # The refused request above counted for neither limit: the window holds 5 of 20.
    for number in range(CODES_PER_ADDRESS.attempts - CODES_PER_PERSON.attempts):
        request_code(ctx, Person.of("passport", "CN", f"OTHER{number}", DOB), "192.0.2.1")
    with pytest.raises(TooManyAttempts) as refused:
        request_code(ctx, Person.of("passport", "CN", "FRESH", DOB), "192.0.2.1")
    assert refused.value.retry_after > 0


def test_holder_endpoints_need_a_session(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    assert client.get("/api/v1/holder/records").status_code == 401
    assert client.get("/api/v1/holder/certificates", headers=keys["admin"]).status_code == 401
