"""Everything a first request would load, loaded before the server takes connections.

The service loads lazily: the trust store, the signing key (decrypted), the revocation set,
the destination policies, the format modules and the rules engine each load on the first
request that needs them. That first request took 0.2-1 s (measured on a shared machine), and
every request that arrived meanwhile waited behind it. Loaded here, before the socket is
served (and, with several workers, before they are forked, so that they share it), nobody
waits for it: the first request takes about as long as the next ones.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from sqlalchemy import select

from healthcert.database.tables import IssuedCertificate
from healthcert.errors import HealthcertError
from healthcert.formats import registry
from healthcert.inputs import Item
from healthcert.service.revocation import current_revocations
from healthcert.service.verification import Ask, reports_of, service_policies

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext

log = logging.getLogger("healthcert.server")
# Inputs that take verification into each format's decoder, where no stored payload exists.
_PROBES = ("HC1:6BFOXN", "shc:/56762909", '{"data": {}, "sig": {}}', "not a certificate")


def warm_up(ctx: ServiceContext) -> float:
    """Load what verification and issuance use; the seconds it took. A part that cannot load
    (no signing key on a verifier-only server, no trust store) is left for its first use,
    which then reports the problem as it always did."""
    start = time.perf_counter()
    for part in (ctx.trust, ctx.signer, ctx.health_code_signer):
        try:
            part()
        except HealthcertError as error:
            log.info("not loaded before serving", extra={"reason": str(error)})
    policies = service_policies()
    try:
        current_revocations(ctx)
    except HealthcertError as error:
        log.info("revocations not loaded before serving", extra={"reason": str(error)})
    samples = [Item("sample", payload=text) for text in (*_stored_samples(ctx), *_PROBES)]
    countries = policies.countries()
    try:  # not counted in the metrics: nobody asked
        reports_of(ctx, samples, Ask())
        if countries:
            reports_of(ctx, samples, Ask(countries[0]))
    except HealthcertError as error:
        log.info("verification not warmed up", extra={"reason": str(error)})
    return time.perf_counter() - start


def _stored_samples(ctx: ServiceContext) -> list[str]:
    """The newest stored payload of each format (they are public: verifying reveals nothing
    and stores nothing)."""
    samples = []
    with ctx.sessions() as session:
        for fmt in registry.CERTIFICATE_FORMATS:
            query = (
                select(IssuedCertificate.payload)
                .where(IssuedCertificate.format == fmt)
                .order_by(IssuedCertificate.id.desc())
                .limit(1)
            )
            payload = session.scalar(query)
            if payload is not None:
                samples.append(payload)
    return samples
