"""What the declaration tests share: a context that also trusts a second country (DE), holders
who sign in, officers of two posts, and a valid declaration body."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from healthcert.service.signin import Person, request_code, sign_in
from tests.service import samples
from tests.service.helpers import give_contact

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.apikeys import CreatedKey
    from healthcert.service.context import ServiceContext

DOB = "1985-07-21"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)


@dataclass
class Traveller:
    document_number: str
    auth: dict[str, str]
    records: list[int]


def pcr_test() -> dict[str, Any]:
    return {
        "kind": "test",
        "test_type": "LP6464-4",
        "sample_time": (datetime.now(UTC) - timedelta(hours=20)).isoformat(timespec="seconds"),
        "result": "260415000",
        "centre": "Manhattan Travel Clinic",
    }


def last_code(ctx: ServiceContext) -> str:
    from sqlalchemy import select

    from healthcert.database.tables import OutboxMessage

    with ctx.sessions() as session:
        body = session.scalar(select(OutboxMessage.body).order_by(OutboxMessage.id.desc()))
    match = re.search(r"\b(\d{6})\b", body or "")
    assert match, body
    return match.group(1)


def traveller(
    client: TestClient,
    ctx: ServiceContext,
    recorder: dict[str, str],
    *entries: dict[str, Any],
    office: dict[str, str] | None = None,
) -> Traveller:
    """A person with ``entries`` recorded (a vaccination if none), signed in."""
    number = f"E{secrets.token_hex(4).upper()}"
    records = []
    for entry in entries or (samples.vaccination(),):
        answer = client.post(
            "/api/v1/records", json=samples.record(entry, document_number=number), headers=recorder
        )
        assert answer.status_code == 201, answer.text
        records.append(int(answer.json()["id"]))
    # Signed in through the use case, each from an address of its own: these travellers must
    # not spend the per-address sign-in limit the other tests of the shared database count on.
    holder = samples.holder(number)
    give_contact(client, {"identity": office or identity_office(ctx)}, holder)
    person = Person.of("passport", "CN", number, DOB)
    address = f"declarations-{number}"
    request_code(ctx, person, address)
    opened = sign_in(ctx, person, last_code(ctx), address)
    return Traveller(number, {"Authorization": f"Bearer {opened.token}"}, records)


_OFFICES: dict[int, CreatedKey] = {}


def identity_source(ctx: ServiceContext) -> CreatedKey:
    """An identity source's key (a passport office), made once per context."""
    from healthcert.service.apikeys import create_key
    from healthcert.service.audit import Actor

    if id(ctx) not in _OFFICES:
        label = f"declarations office {secrets.token_hex(4)}"
        office = create_key(ctx, "recorder", label, Actor("admin", "tests"), identity_source=True)
        _OFFICES[id(ctx)] = office
    return _OFFICES[id(ctx)]


def identity_office(ctx: ServiceContext) -> dict[str, str]:
    """The headers of the context's identity source."""
    return {"X-API-Key": identity_source(ctx).secret}


def body(
    residence: str = "US", evidence: list[dict[str, Any]] | None = None, **changes: Any
) -> dict[str, Any]:
    departure = datetime.now(UTC) + timedelta(days=2)
    document: dict[str, Any] = {
        "identity": {"document_type": "passport", "issuing_country": "CN", "nationality": "CN"},
        "residence": {"country": residence, "city": "New York", "address": "1 Main St, Apt 2"},
        "employer": {"name": "Example Trading Co.", "address": "5 Wall St"},
        "trip": {
            "from_country": residence,
            "from_city": "New York",
            "via": [],
            "to_country": "CN",
            "port_of_entry": "PEK",
            "departure": departure.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "transport": "CA982",
        },
        "evidence": evidence or [],
        "health": {"symptoms": False, "temperature_c": 36.6},
        "consent": True,
    }
    document.update(changes)
    return document


def declaration_count(ctx: ServiceContext) -> tuple[int, int, int]:
    """Rows in the declarations, their history and their evidence."""
    from sqlalchemy import func, select

    from healthcert.database.tables import Declaration, DeclarationEvent, DeclarationEvidence

    with ctx.sessions() as session:
        return (
            int(session.scalar(select(func.count()).select_from(Declaration)) or 0),
            int(session.scalar(select(func.count()).select_from(DeclarationEvent)) or 0),
            int(session.scalar(select(func.count()).select_from(DeclarationEvidence)) or 0),
        )
