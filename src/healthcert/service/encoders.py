"""Signing a record's certificate in each format: EU DCC, SMART Health Card, ICAO VDS-NC.
Each draws a fresh UVCI and returns what the certificates table keeps."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from healthcert.errors import RequestError

if TYPE_CHECKING:
    from healthcert.keys.signer import Signer
    from healthcert.model.certificate import Certificate
    from healthcert.service.context import ServiceContext
    from healthcert.service.issuance import Signed


def _expiry(certificate: Certificate, issued_at: datetime, signer: Signer) -> datetime:
    from healthcert.issue import DEFAULT_VALID_DAYS

    days = DEFAULT_VALID_DAYS[certificate.entry.kind]
    return min(issued_at + timedelta(days=days), signer.not_after)


def sign_eu_dcc(signer: Signer, document: dict[str, Any], country: str, now: datetime) -> Signed:
    """An ``HC1:`` payload. The canonical model is validated once, here: the batch path signs
    thousands a second, and each validation costs about a fifth of a signature."""
    from healthcert.formats import hcert
    from healthcert.formats.dcc_json import to_dcc
    from healthcert.service.issuance import Signed
    from healthcert.service.uvci import new_uvci

    uvci = new_uvci(country)
    certificate = _certificate(document, uvci, signer)
    issued_at = now.replace(microsecond=0)
    expires = _expiry(certificate, issued_at, signer)
    payload = hcert.encode(
        to_dcc(certificate),
        issuer_country=country,
        issued_at=issued_at,
        expires=expires,
        signer=signer,
    )
    kid = base64.b64encode(signer.kid).decode("ascii")
    return Signed(payload, uvci, country, kid, issued_at, expires)


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
    expires = _expiry(certificate, now, signer)
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
    expires = _expiry(certificate, now, signer)
    kid = base64.b64encode(signer.kid).decode("ascii")
    return Signed(seal, uvci, country, kid, now, expires)
