"""Signing a record's certificate in SMART Health Cards and ICAO VDS-NC form (EU DCC is in
``issuance``, as the batch path shares it). Each returns what the certificates table keeps."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from healthcert.errors import RequestError

if TYPE_CHECKING:
    from healthcert.keys.signer import Signer
    from healthcert.model.certificate import Certificate
    from healthcert.service.context import ServiceContext
    from healthcert.service.issuance import Signed

# How long a SMART Health Card's exp and our stored expiry reach, by entry kind (days).
_VALID_DAYS = {"vaccination": 365, "test": 3, "recovery": 180}


def _certificate(document: dict[str, Any], uvci: str, signer: Signer) -> Certificate:
    from healthcert.model.certificate import Certificate

    entry = {**document["entry"], "certificate_id": uvci}
    try:
        certificate = Certificate.model_validate({"holder": document["holder"], "entry": entry})
    except ValueError as error:
        raise RequestError(str(error)) from None
    if not signer.may_sign(certificate.kind):
        raise RequestError(f"the DSC may not sign {certificate.kind.value} certificates")
    return certificate


def sign_shc(ctx: ServiceContext, document: dict[str, Any], country: str) -> Signed:
    """A SMART Health Card (``shc:/`` QR text) under the service's issuer URL; its ``rid`` is
    derived from the UVCI, so the CRL can list it."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from healthcert.formats import shc
    from healthcert.service.issuance import Signed
    from healthcert.service.revocation import shc_rid
    from healthcert.service.uvci import new_uvci

    signer = ctx.signer()
    if not isinstance(signer.private_key, ec.EllipticCurvePrivateKey):
        raise RequestError("SMART Health Cards need an EC P-256 DSC")
    uvci = new_uvci(country)
    certificate = _certificate(document, uvci, signer)
    now = ctx.clock().replace(microsecond=0)
    expires = min(now + timedelta(days=_VALID_DAYS[certificate.entry.kind]), signer.not_after)
    kid = shc.issuer_jwk(signer.private_key.public_key())["kid"]
    card = shc.encode(
        certificate, signer.private_key, kid, ctx.shc_issuer, now, expires, rid=shc_rid(uvci)
    )
    return Signed(shc.to_numeric(card), uvci, country, kid, now, expires)


def sign_vdsnc(ctx: ServiceContext, document: dict[str, Any], country: str) -> Signed:
    """An ICAO VDS-NC seal (JSON text, signer certificate inline)."""
    from healthcert.formats import vdsnc
    from healthcert.service.issuance import Signed
    from healthcert.service.uvci import new_uvci

    signer = ctx.signer()
    uvci = new_uvci(country)
    certificate = _certificate(document, uvci, signer)
    now = ctx.clock().replace(microsecond=0)
    seal = vdsnc.encode(certificate, signer, issuing_country=country, issued_at=now)
    expires = min(now + timedelta(days=_VALID_DAYS[certificate.entry.kind]), signer.not_after)
    kid = base64.b64encode(signer.kid).decode("ascii")
    return Signed(seal, uvci, country, kid, now, expires)
