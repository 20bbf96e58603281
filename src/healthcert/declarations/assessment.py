"""The pre-check of a stored declaration: its trip and evidence read into the pre-check's facts,
the destination's policy taken from the service's policies, and ``precheck`` run at the
service's clock. The declaration comes as ``examined`` reads it: each certificate payload with
its verification report (and verdict for the destination), each record with its entry."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from healthcert.declarations import intake
from healthcert.declarations.precheck import (
    DeclarationFacts,
    EvidenceFacts,
    PrecheckResult,
    TransitStop,
    precheck,
)
from healthcert.errors import HealthcertError
from healthcert.issuance import issuer_country
from healthcert.rules.policy import Policy, parse_policy
from healthcert.service.verification import service_policies

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from healthcert.database.tables import Declaration
    from healthcert.service.context import ServiceContext


def examined(
    ctx: ServiceContext, session: Session, row: Declaration, language: str = "en"
) -> dict[str, Any]:
    """The declaration as its holder reads it, each payload with its report for the
    destination (its messages in ``language``) and each record with its stored form."""
    found = intake.declaration_json(session, row)
    records = intake.records_of(session, row.id)
    for item in found["evidence"]:
        if item["kind"] == "payload":
            item["report"] = intake.verify_payload(ctx, item["payload"], row.destination, language)
        elif item["kind"] == "record":
            item["record"] = records.get(item["record_id"])
    return found


def assess(ctx: ServiceContext, declaration: Mapping[str, Any]) -> PrecheckResult:
    """The pre-check of an ``examined`` declaration, as of the service's clock."""
    trip = declaration["trip"]
    items = declaration["evidence"]
    country = _records_country(ctx) if any(i["kind"] == "record" for i in items) else None
    evidence = [_evidence(item, country) for item in items]
    return precheck(trip_facts(trip), evidence, policy_of(trip["to_country"]), ctx.clock())


def policy_of(destination: str) -> Policy:
    """The destination's policy; a destination without one asks nothing beyond a departure
    ahead, and allows no automatic approval."""
    found = service_policies().get(destination)
    if found is not None:
        return found
    document = {"country": destination.upper(), "version": "0.0.0", "rules": []}
    return parse_policy(document, f"no policy for {destination.upper()}")


def trip_facts(trip: Mapping[str, Any]) -> DeclarationFacts:
    """The stored trip (``intake.Trip`` as JSON) as the pre-check reads it."""
    return DeclarationFacts(
        from_country=trip["from_country"],
        from_city=trip["from_city"],
        to_country=trip["to_country"],
        departure=datetime.fromisoformat(trip["departure"]),
        via=tuple(
            TransitStop(
                country=stop["country"],
                departure=datetime.fromisoformat(stop["departure"]),
                city=stop.get("city"),
            )
            for stop in trip.get("via") or ()
        ),
    )


def _records_country(ctx: ServiceContext) -> str | None:
    """Where the service's records were taken. A record's entry names no country, but the
    certificate the service would issue from it carries the country of the service's DSC:
    the record's evidence is that certificate's. A terminal without the signing key cannot
    say (None): the pre-check then finds no test taken there, and a person decides."""
    try:
        return issuer_country(ctx.signer())
    except HealthcertError:
        return None


def _evidence(item: Mapping[str, Any], service_country: str | None) -> EvidenceFacts:
    ident = str(item["id"])
    if item["kind"] == "payload":
        report = item["report"]
        return EvidenceFacts("certificate", ident, report=report, verdict=report.get("verdict"))
    if item["kind"] == "record":
        record = item.get("record") or {}
        entry = {"country": service_country, **(record.get("entry") or {})}
        return EvidenceFacts("record", ident, entry=entry)
    return EvidenceFacts("document", ident)
