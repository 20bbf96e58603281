"""The holder's health code: the consulate's answer to their latest declaration, signed by the
service's health-code DSC and verified offline.

Green: approved (by an officer or the pre-check) and the departure still ahead. Yellow: waiting
for a post (submitted, or documents asked for). Red: rejected, or waiting while the pre-check
finds evidence the holder gave failing. Each fetch signs anew at the service's clock: a code
fetched after a later decision has a later ``iat`` and supersedes the older one, which the
service lists for verifiers by its signature hash
(``service.revocation.superseded_health_codes``)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from healthcert.database.tables import Declaration, Record
from healthcert.database.tables import HealthCode as Issued
from healthcert.declarations import status
from healthcert.declarations.assessment import assess, examined
from healthcert.formats import cwt
from healthcert.formats.health_code.code import decode, revocation_hash
from healthcert.formats.health_code.model import Colour, HealthCode, HealthCodeHolder, Trip
from healthcert.issuance import issue_health_code
from healthcert.service.errors import NotFound
from healthcert.service.person import is_person

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from healthcert.service.context import ServiceContext
    from healthcert.service.person import Person

APPROVED = frozenset({status.APPROVED, status.AUTO_APPROVED})
PENDING = frozenset({status.SUBMITTED, status.DOCUMENTS_REQUESTED})


def current_code(ctx: ServiceContext, person: Person) -> dict[str, Any]:
    """The code for the person's latest declaration (a withdrawn one counts for nothing);
    NotFound without one, or when an approved trip has departed."""
    now = ctx.clock()
    with ctx.sessions() as session:
        row = _latest(session, person)
        found = examined(ctx, session, row)
        holder = _holder(session, person, found["identity"])
    colour = _colour(ctx, found)
    trip = _trip(found["trip"])
    if colour is Colour.GREEN and trip.departure <= now:
        raise NotFound(f"declaration {row.id} was for a departure that is past: no code")
    code = HealthCode(colour, trip, holder, str(row.id))
    payload = issue_health_code(code, ctx.health_code_signer(), now)
    sign1, claims = decode(payload)
    _remember(ctx, row.id, found["version"], colour, revocation_hash(sign1.signature), now)
    return {
        "payload": payload,
        "colour": colour.value,
        "valid_from": _utc(claims[cwt.CLAIM_IAT]),
        "valid_until": _utc(claims[cwt.CLAIM_EXP]),
        "declaration_id": row.id,
        "trip": found["trip"],
    }


def _remember(
    ctx: ServiceContext, declaration: int, version: int, colour: Colour, digest: bytes, at: datetime
) -> None:
    with ctx.transaction() as session:
        session.add(
            Issued(
                declaration_id=declaration,
                declaration_version=version,
                colour=colour.value,
                revocation_hash=digest,
                issued_at=at,
            )
        )


def _latest(session: Session, person: Person) -> Declaration:
    row = session.scalar(
        select(Declaration)
        .where(
            is_person(Declaration, person),
            Declaration.status != status.WITHDRAWN,
        )
        .order_by(Declaration.id.desc())
        .limit(1)
    )
    if row is None:
        raise NotFound("no declaration: file one to get a health code")
    return row


def _colour(ctx: ServiceContext, declaration: dict[str, Any]) -> Colour:
    state = declaration["status"]
    if state in APPROVED:
        return Colour.GREEN
    if state in PENDING and not _evidence_fails(ctx, declaration):
        return Colour.YELLOW
    return Colour.RED


def _evidence_fails(ctx: ServiceContext, declaration: dict[str, Any]) -> bool:
    """Whether the pre-check finds a requirement unmet by evidence the holder gave (a
    requirement nothing bore on yet is only missing: the holder may still add it)."""
    outcomes = assess(ctx, declaration).requirements
    return any(outcome.status == "not_met" and outcome.evidence for outcome in outcomes)


def _trip(trip: dict[str, Any]) -> Trip:
    return Trip(
        destination_country=trip["to_country"],
        departure=datetime.fromisoformat(trip["departure"]),
        transport=trip["transport"],
        port_of_entry=trip["port_of_entry"],
        origin_country=trip["from_country"],
        origin_city=trip["from_city"],
        via=tuple(stop["country"] for stop in trip.get("via") or ()),
    )


def _holder(session: Session, person: Person, identity: dict[str, Any]) -> HealthCodeHolder:
    """The holder as their newest record names them (a holder signs in through one), with the
    travel document the declaration gives."""
    names = session.scalar(
        select(Record.holder).where(is_person(Record, person)).order_by(Record.id.desc()).limit(1)
    )
    if names is None:
        raise NotFound("no record names the holder: a health code needs their name")
    return HealthCodeHolder(
        family_name=names.get("family_name") or "",
        given_name=names.get("given_name") or "",
        family_name_latin=_doc_9303(names.get("family_name_latin") or ""),
        given_name_latin=_doc_9303(names.get("given_name_latin") or ""),
        date_of_birth=date.fromisoformat(person.date_of_birth),
        document_type=identity["document_type"],
        document_country=identity["issuing_country"],
        document_number=person.document_number,
    )


def _doc_9303(name: str) -> str:
    """A Latin name as a travel document's machine-readable zone writes it: capitals, '<'
    between the parts."""
    return re.sub(r"[^A-Z]+", "<", name.upper()).strip("<")


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()
