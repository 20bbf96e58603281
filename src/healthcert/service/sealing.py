"""A holder's certificate sealed for the destination of their trip (``formats.sealed``): only
that country's border verifiers, holding its border key, read it.

The destination's border key is the one this service trusts: a border certificate in its
trust store, valid now, signed by that country's trusted CSCA (``trust.border``). The
certificate is verified first as any verifier would (signature, validity, revocation), so a
revoked one is refused as the light certificate refuses it. Nothing is stored; the audit log
keeps that a sealed copy was made, for which country and key, never the payload or the person.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from healthcert.codec.qr import image_bytes
from healthcert.database.tables import Declaration
from healthcert.declarations.intake import own_declaration
from healthcert.declarations.status import WITHDRAWN
from healthcert.formats import registry
from healthcert.formats.base import utc_text
from healthcert.formats.sealed.payload import seal
from healthcert.inputs import Item
from healthcert.keys.border import border_kid
from healthcert.service import audit
from healthcert.service.errors import Conflict, Invalid
from healthcert.service.holder import actor_of, own_certificate
from healthcert.service.person import is_person
from healthcert.service.verification import Ask, reports_of
from healthcert.trust.border import border_keys_for

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext
    from healthcert.service.signin import Person
    from healthcert.trust.entry import TrustedKey

# What a stored certificate must be to be sealed: the formats.sealed envelope holds a COSE
# payload, and of the certificates the service issues only the EU DCC is one.
SEALABLE_FORMAT = registry.EU_DCC


@dataclass(frozen=True, slots=True)
class Destination:
    """Whom to seal for: a country, and the holder's declaration that named it (if any)."""

    country: str
    declaration_id: int | None = None


def destination_of(
    ctx: ServiceContext, person: Person, declaration_id: int | None, country: str | None
) -> Destination:
    """The destination of the holder's own declaration, or the country given; exactly one of
    the two (Invalid otherwise; NotFound for another's declaration, as for none)."""
    if (declaration_id is None) == (country is None):
        problem = "give either declaration_id (your declaration) or country, not both"
        raise Invalid([{"field": "body", "message": problem}])
    if country is not None:
        return Destination(country.upper())
    assert declaration_id is not None
    with ctx.sessions() as session:
        row = own_declaration(session, person, declaration_id)
        return Destination(row.destination.upper(), row.id)


def border_key_of(ctx: ServiceContext, country: str, now: datetime) -> TrustedKey:
    """The longest-lived trusted border key of ``country`` valid now; Conflict naming the
    country when there is none."""
    found = border_keys_for(ctx.trust(), country, now)
    if not found:
        raise Conflict(
            f"this service trusts no border key of {country}: a certificate cannot be sealed "
            "for it (its border certificate must be added under its CSCA)"
        )
    return found[0]


@dataclass(frozen=True, slots=True)
class Trip:
    """A trip of the holder a certificate can be sealed for: their declaration, its destination."""

    declaration_id: int
    country: str


def sealable_trips(ctx: ServiceContext, person: Person, certificate_format: str) -> list[Trip]:
    """The holder's declared trips (the newest declaration per destination, withdrawn ones
    left out) whose destination's border key this service trusts now; none for a certificate
    that cannot be sealed."""
    if certificate_format != SEALABLE_FORMAT:
        return []
    query = (
        select(Declaration.id, Declaration.destination)
        .where(is_person(Declaration, person), Declaration.status != WITHDRAWN)
        .order_by(Declaration.id.desc())
    )
    with ctx.sessions() as session:
        rows = session.execute(query).all()
    newest: dict[str, int] = {}
    for declaration_id, country in rows:
        newest.setdefault(country.upper(), declaration_id)
    now = ctx.clock()
    return [
        Trip(declaration_id, country)
        for country, declaration_id in sorted(newest.items())
        if border_keys_for(ctx.trust(), country, now)
    ]


def sealed_for(
    ctx: ServiceContext, person: Person, certificate_id: int, destination: Destination
) -> dict[str, Any]:
    """``{payload, country, kid, qr, expires, certificate_id}``: the holder's certificate
    sealed for ``destination``, to be shown there before the certificate or the border key
    expires. Conflict when it is no EU DCC, is not valid now (revoked, expired) or no border
    key of the destination is trusted."""
    certificate = own_certificate(ctx, person, certificate_id)
    if certificate.format != SEALABLE_FORMAT:
        raise Conflict(
            f"only an EU DCC can be sealed, and this certificate is a {certificate.format}: "
            "obtain the EU DCC of the record and seal that"
        )
    now = ctx.clock()
    border = border_key_of(ctx, destination.country, now)
    [report] = reports_of(ctx, [Item("certificate", payload=certificate.payload)], Ask(at=now))
    if not report.valid:
        codes = ", ".join(report.error_codes) or "not verified"
        raise Conflict(f"the certificate is not valid ({codes}): it cannot be sealed")
    recipient = border.public_key
    assert isinstance(recipient, ec.EllipticCurvePublicKey)  # border_keys_for keeps EC keys
    payload = seal(certificate.payload, recipient)
    kid = border_kid(recipient).hex()
    ends = [moment for moment in (_moment(report.extra.get("exp")), border.not_after) if moment]
    expires = utc_text(min(ends)) if ends else None
    with ctx.transaction() as session:
        # The event names the certificate, the country and the key; never the holder's name,
        # nor the payload.
        audit.append(
            session,
            actor_of(person),
            "sealed.issue",
            "certificate",
            certificate.id,
            now,
            country=destination.country,
            kid=kid,
            declaration=destination.declaration_id,
        )
    return {
        "payload": payload,
        "country": destination.country,
        "kid": kid,
        "qr": qr_data(payload),
        "expires": expires,
        "certificate_id": certificate.id,
    }


def qr_data(payload: str) -> str:
    """The sealed payload's QR code as a PNG data: URI (error level M, as its format says)."""
    png = image_bytes(payload, "png", scale=2)
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _moment(text: object) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None
