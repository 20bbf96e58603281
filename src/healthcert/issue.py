"""The issuance pipeline: request -> canonical model -> signed payload.

A request is the canonical certificate plus how long the payload stays valid. Images are not made
here: a QR code or a PDF is rendered from the payload on request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, ValidationError

from healthcert.errors import RequestError
from healthcert.model import Certificate

if TYPE_CHECKING:
    from healthcert.keys.signer import Signer

# How long a payload stays valid when the request does not say: a test result is short-lived.
DEFAULT_VALID_DAYS = {"vaccination": 365, "test": 3, "recovery": 180}


class IssueRequest(Certificate):
    """A certificate to issue; ``valid_days`` bounds the payload's expiry (``exp``)."""

    valid_days: Annotated[int | None, Field(ge=1, le=3650)] = None

    def certificate(self) -> Certificate:
        return Certificate(holder=self.holder, entry=self.entry, schema_version=self.schema_version)


def parse_request(document: Any) -> IssueRequest:
    """Validate a request; RequestError lists each bad field with its reason."""
    try:
        return IssueRequest.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'request'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise RequestError(problems) from None


def expiry(request: IssueRequest, issued_at: datetime, signer_not_after: datetime) -> datetime:
    """The payload's exp: as asked, and never after the DSC that signs it stops being valid."""
    days = request.valid_days or DEFAULT_VALID_DAYS[request.entry.kind]
    return min(issued_at + timedelta(days=days), signer_not_after)


FORMATS = ("eu-dcc", "shc", "icao-vds-nc")


def issue_payload(
    request: IssueRequest,
    signer: Signer,
    *,
    format_name: str = "eu-dcc",
    now: datetime | None = None,
    shc_issuer: str | None = None,
) -> str:
    """Sign the request in one of the three formats; the text its QR code carries.

    A SMART Health Card needs the issuer's URL (``shc_issuer``); it is signed with the DSC's
    key under the key's JWK thumbprint, which the issuer publishes in its JWKS.
    """
    if format_name == "eu-dcc":
        return issue_hc1(request, signer, now=now)
    certificate = _signable(request, signer)
    issued_at = (now or datetime.now(UTC)).replace(microsecond=0)
    if format_name == "shc":
        return _issue_shc(request, certificate, signer, issued_at, shc_issuer)
    if format_name == "icao-vds-nc":
        from healthcert.formats import vdsnc

        return vdsnc.encode(certificate, signer, issued_at=issued_at)
    raise RequestError(f"unknown format {format_name!r}: one of {', '.join(FORMATS)}")


def _issue_shc(
    request: IssueRequest,
    certificate: Certificate,
    signer: Signer,
    issued_at: datetime,
    shc_issuer: str | None,
) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec

    from healthcert.formats import shc

    if not shc_issuer:
        raise RequestError("a SMART Health Card names its issuer: give the issuer's https URL")
    if not isinstance(signer.private_key, ec.EllipticCurvePrivateKey):
        raise RequestError("SMART Health Cards are signed with ES256: use an EC P-256 DSC")
    expires = expiry(request, issued_at, signer.not_after)
    jws = shc.encode(certificate, signer.private_key, None, shc_issuer, nbf=issued_at, exp=expires)
    return shc.to_numeric(jws)


def _signable(request: IssueRequest, signer: Signer) -> Certificate:
    _check_signer_may_sign(request, signer)
    return request.certificate()


def _check_signer_may_sign(certificate: Certificate, signer: Signer) -> None:
    if not signer.may_sign(certificate.kind):
        raise RequestError(
            f"the DSC {signer.kid.hex()} may not sign {certificate.kind.value} certificates"
        )


def issue_hc1(request: IssueRequest, signer: Signer, *, now: datetime | None = None) -> str:
    """Sign the request as an EU DCC ``HC1:`` payload."""
    (outcome,) = issue_hc1_many([request], signer, now=now)
    if isinstance(outcome, RequestError):
        raise outcome
    return outcome


def issue_hc1_many(
    requests: Sequence[IssueRequest], signer: Signer, *, now: datetime | None = None
) -> list[str | RequestError]:
    """Sign requests as EU DCC payloads, one outcome each, in order: the payload, or the
    RequestError that kept it from being signed. Signing runs over the requests together
    (see ``hcert.encode_many``), faster than one by one."""
    from healthcert.formats import hcert
    from healthcert.formats.dcc_json import to_dcc

    country = issuer_country(signer)
    issued_at = (now or datetime.now(UTC)).replace(microsecond=0)
    outcomes: list[str | RequestError] = []
    signable: list[tuple[int, tuple[dict[str, Any], datetime, datetime]]] = []
    for request in requests:
        try:
            _check_signer_may_sign(request, signer)
        except RequestError as error:
            outcomes.append(error)
            continue
        # The request is a certificate, and the DCC is written from its fields alone: no
        # copy without valid_days is made, which cost a fifth of a signature.
        dcc = (to_dcc(request), issued_at, expiry(request, issued_at, signer.not_after))
        signable.append((len(outcomes), dcc))
        outcomes.append("")
    payloads = hcert.encode_many(
        [dcc for _, dcc in signable], issuer_country=country, signer=signer
    )
    for (index, _), payload in zip(signable, payloads, strict=True):
        outcomes[index] = payload
    return outcomes


def issuer_country(signer: Signer) -> str:
    """The issuing country: the C of the DSC's subject (read with the signer); RequestError
    when it names none."""
    if signer.country is None:
        raise RequestError("the DSC has no country (C) in its subject")
    return signer.country
