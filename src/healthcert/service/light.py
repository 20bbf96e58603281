"""Light certificates for signed-in holders: made from one of their own certificates, after
verifying it as any verifier would (signature, validity, revocation), and audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from healthcert.errors import RequestError
from healthcert.formats.base import utc_text
from healthcert.formats.cwt import CLAIM_EXP
from healthcert.formats.light import certificate as light
from healthcert.inputs import Item
from healthcert.issuance import issue_light
from healthcert.service import audit
from healthcert.service.context import utc_now
from healthcert.service.errors import Conflict
from healthcert.service.holder import actor_of, own_certificate
from healthcert.service.verification import Ask, reports_of

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext
    from healthcert.service.signin import Person


def light_for(
    ctx: ServiceContext, person: Person, certificate_id: int, hours: int
) -> dict[str, Any]:
    """``{payload, expires, certificate_id}`` of a new light certificate; Conflict, naming the
    codes, when the certificate is not valid now (revoked, expired, its DSC distrusted)."""
    certificate = own_certificate(ctx, person, certificate_id)
    now = utc_now()
    [source] = reports_of(ctx, [Item("certificate", payload=certificate.payload)], Ask(at=now))
    try:
        payload = issue_light(source, ctx.signer(), hours=hours, now=now)
    except RequestError as error:
        raise Conflict(str(error)) from None
    expires = utc_text(light.decode(payload)[1][CLAIM_EXP])
    with ctx.transaction() as session:
        # The event names the certificate, never the holder's name or the payload.
        audit.append(
            session,
            actor_of(person),
            "light.issue",
            "certificate",
            certificate.id,
            now,
            expires=expires,
        )
    return {"payload": payload, "expires": expires, "certificate_id": certificate.id}
