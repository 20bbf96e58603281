"""Steps the API tests share: report a record, issue its certificate."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from tests.service import samples

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext

Keys = dict[str, dict[str, str]]


PERSON_FIELDS = ("document_type", "issuing_country", "document_number", "date_of_birth")


def identity_of(holder: dict[str, Any]) -> dict[str, str]:
    """The person a record's holder names, as the sign-in and contact bodies take it."""
    return {name: holder[name] for name in PERSON_FIELDS}


def give_contact(
    client: TestClient, keys: Keys, holder: dict[str, Any], contact: str = "+8613800000000"
) -> None:
    """The passport office (an identity source) sets the holder's contact."""
    body = {**identity_of(holder), "contact": contact}
    answer = client.put("/api/v1/identity/contact", json=body, headers=keys["identity"])
    assert answer.status_code == 200, answer.text


def ask_code(ctx: ServiceContext, holder: dict[str, Any]) -> None:
    """Ask for the holder's sign-in code as ``POST /holder/sign-in`` does, from an address of
    its own: the tests of a shared database must not spend the per-address limit together."""
    from healthcert.service.person import Person
    from healthcert.service.signin import request_code

    person = Person.of(*identity_of(holder).values())
    request_code(ctx, person, f"tests-{secrets.token_hex(6)}")


def new_record(client: TestClient, keys: Keys, entry: dict[str, Any] | None = None) -> int:
    answer = client.post("/api/v1/records", json=samples.record(entry), headers=keys["recorder"])
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def issued_certificate(
    client: TestClient, keys: Keys, entry: dict[str, Any] | None = None
) -> dict[str, Any]:
    record = new_record(client, keys, entry)
    answer = client.post(
        f"/api/v1/records/{record}/certificates", json={"format": "eu-dcc"}, headers=keys["issuer"]
    )
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result
