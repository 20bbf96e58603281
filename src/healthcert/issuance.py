"""The issuance pipeline: request -> canonical model -> signed payload.

A request is the canonical certificate plus how long the payload stays valid. Images are not made
here: a QR code or a PDF is rendered from the payload on request.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import Field, ValidationError, model_validator

from healthcert.errors import RequestError
from healthcert.formats import registry
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.formats.eu_dcc.mapping import to_dcc
from healthcert.formats.health_code import code as health_code
from healthcert.formats.health_code.model import HealthCode
from healthcert.formats.health_code.model import expiry as health_code_expiry
from healthcert.formats.light import certificate as light
from healthcert.formats.shc import card as shc
from healthcert.formats.vdsnc import seal as vdsnc
from healthcert.model import Certificate
from healthcert.model.kinds import ALL_KINDS, EntryKind
from healthcert.trust.revocation import revocation_hash, signature_part

if TYPE_CHECKING:
    from healthcert.keys.signer import Signer
    from healthcert.report import Report

# How long a payload stays valid when the request does not say: a test result is short-lived.
DEFAULT_VALID_DAYS = {"vaccination": 365, "test": 3, "recovery": 180}


class IssueRequest(Certificate):
    """A certificate to issue; ``valid_days`` bounds the payload's expiry (``exp``)."""

    valid_days: Annotated[int | None, Field(ge=1, le=3650)] = None

    @model_validator(mode="after")
    def _names_its_country(self) -> IssueRequest:
        # The model lets a certificate read from a format without countries leave it unknown;
        # what is issued always says which country vouches for it.
        if self.entry.country is None:
            raise ValueError("entry.country must name the country (ISO 3166 alpha-2), not null")
        return self

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


def issue(
    request: IssueRequest | Certificate | Mapping[str, Any],
    *,
    signer: Signer,
    format: str = registry.EU_DCC,
    issuer_url: str | None = None,
    now: datetime | None = None,
) -> str:
    """Sign one certificate in ``format`` (``eu-dcc``, ``shc`` or ``icao-vds-nc``); the text its
    QR code carries. ``request`` is a request's JSON (as ``examples/`` holds them), an
    ``IssueRequest``, or a ``Certificate`` (valid for its kind's default time). A SMART Health
    Card names its issuer by ``issuer_url``. RequestError says what keeps it from being signed."""
    return issue_payload(
        as_request(request), signer, format_name=format, now=now, shc_issuer=issuer_url
    )


def as_request(request: IssueRequest | Certificate | Mapping[str, Any]) -> IssueRequest:
    """``request`` as an IssueRequest: validated when it is JSON, as it is when already one."""
    if isinstance(request, IssueRequest):
        return request
    if isinstance(request, Certificate):
        return IssueRequest(
            holder=request.holder, entry=request.entry, schema_version=request.schema_version
        )
    return parse_request(request)


def expiry(request: IssueRequest, issued_at: datetime, signer_not_after: datetime) -> datetime:
    """The payload's exp, in every format and for the command line and the service alike:
    ``valid_days`` or the kind's default, and never after the DSC that signs it stops being
    valid."""
    days = request.valid_days or DEFAULT_VALID_DAYS[request.entry.kind]
    return min(issued_at + timedelta(days=days), signer_not_after)


@dataclass(frozen=True, slots=True)
class Signed:
    """A signed payload and what a store keeps about it. Plain data: it crosses from a worker
    process to its parent by pickle."""

    payload: str
    certificate_id: str
    country: str
    # The key's id as the format's verifiers look it up: the DSC's kid in base64, or for a
    # SMART Health Card the JWK thumbprint its issuer publishes.
    kid: str
    issued_at: datetime
    expires_at: datetime


def issue_many(
    requests: Sequence[IssueRequest],
    signer: Signer,
    format_name: str = registry.EU_DCC,
    *,
    now: datetime | None = None,
    issuer_url: str | None = None,
    certificate_ids: Sequence[str] | None = None,
) -> list[Signed | RequestError]:
    """Sign requests in one format, one outcome each, in order: the signed payload, or the
    RequestError that kept that request from being signed. What concerns every request (the
    format, the issuer URL, the signer's country and key) raises RequestError instead.

    ``certificate_ids``, one per request, replace the requests' own (the service draws a
    fresh UVCI for each). A SMART Health Card names its issuer by ``issuer_url`` and is signed
    under the key's JWK thumbprint, which the issuer publishes in its JWKS; its ``rid``
    (``shc_rid``) derives from its certificate id, so a CRL can list it. EU DCCs are signed
    over the requests together (``eu_dcc.encode_many``), faster than one by one.
    """
    wire_format = registry.info(format_name)
    if not wire_format.carries_certificate:
        raise RequestError(
            f"a {wire_format.title} carries no certificate: see issue_health_code, issue_light"
        )
    if wire_format.needs_issuer_url and not issuer_url:
        raise RequestError(f"a {wire_format.title} names its issuer: give the issuer's https URL")
    if certificate_ids is not None:
        requests = [
            _with_certificate_id(request, certificate_id)
            for request, certificate_id in zip(requests, certificate_ids, strict=True)
        ]
    issued_at = (now or datetime.now(UTC)).replace(microsecond=0)
    batch = _Batch(signer, issuer_country(signer), issued_at, issuer_url or "")
    refused = [
        None if signer.may_sign(request.kind) else _may_not_sign(request, signer)
        for request in requests
    ]
    work = [
        (request, expiry(request, issued_at, signer.not_after))
        for request, refusal in zip(requests, refused, strict=True)
        if refusal is None
    ]
    kid, payloads = _ENCODERS[wire_format.name](batch, work)
    signed = iter(_outcomes(batch, kid, work, payloads))
    return [next(signed) if refusal is None else refusal for refusal in refused]


def issue_payload(
    request: IssueRequest,
    signer: Signer,
    *,
    format_name: str = registry.EU_DCC,
    now: datetime | None = None,
    shc_issuer: str | None = None,
) -> str:
    """Sign one request (see ``issue_many``); the text its QR code carries."""
    (outcome,) = issue_many([request], signer, format_name, now=now, issuer_url=shc_issuer)
    if isinstance(outcome, RequestError):
        raise outcome
    return outcome.payload


def issue_hc1(request: IssueRequest, signer: Signer, *, now: datetime | None = None) -> str:
    """Sign the request as an EU DCC ``HC1:`` payload."""
    return issue_payload(request, signer, now=now)


def issue_hc1_many(
    requests: Sequence[IssueRequest], signer: Signer, *, now: datetime | None = None
) -> list[str | RequestError]:
    """Sign requests as EU DCC payloads (see ``issue_many``): the payload or the RequestError
    of each, in order."""
    return [
        outcome if isinstance(outcome, RequestError) else outcome.payload
        for outcome in issue_many(requests, signer, now=now)
    ]


def issue_health_code(code: HealthCode, signer: Signer, now: datetime | None = None) -> str:
    """Sign a health code and return its ``HCD1:`` payload, valid from ``now`` for as long as
    its colour allows (``formats.health_code.model``), and never after the DSC's own end.

    RequestError when the DSC's extended key usage does not name health codes (a DSC without
    one signs certificates only), or when the code would be expired on issue (a green code
    more than a day after its departure).
    """
    if not signer.may_sign(EntryKind.HEALTH_CODE):
        raise RequestError(
            f"the DSC {signer.kid.hex()} may not sign health codes: make one with "
            "`healthcert keys dsc --types health-code`"
        )
    issued_at = (now or datetime.now(UTC)).replace(microsecond=0)
    expires = min(health_code_expiry(code, issued_at), signer.not_after)
    if expires <= issued_at:
        raise RequestError(
            f"a {code.colour.value} code issued at {issued_at.isoformat()} would already be "
            "expired: the departure is past, or the DSC ends"
        )
    return health_code.encode(
        code,
        issuer_country=issuer_country(signer),
        issued_at=issued_at,
        expires=expires,
        signer=signer,
    )


def issue_light(
    source: Report, signer: Signer, *, hours: int = light.MAX_HOURS, now: datetime | None = None
) -> str:
    """Sign a light certificate (``HCL1:``) for the holder of a verified certificate: their
    name and date of birth, valid for ``hours`` (1 to 48) from ``now``, and never after the
    certificate's own expiry or the DSC's end.

    ``source`` is the report of the certificate, verified by the caller with the revocation
    lists it holds. RequestError when it is not valid, carries no health certificate (a
    health code or a light certificate), or the DSC may sign no health certificate.
    """
    if not 1 <= hours <= light.MAX_HOURS:
        raise RequestError(f"a light certificate lasts 1 to {light.MAX_HOURS} hours, not {hours}")
    if not source.valid:
        codes = ", ".join(source.error_codes) or "not verified"
        raise RequestError(f"the certificate is not valid ({codes}): no light certificate")
    if source.format not in registry.CERTIFICATE_FORMATS or not source.certificate:
        raise RequestError("a light certificate is made from a health certificate only")
    if not signer.kinds & ALL_KINDS:
        raise RequestError(f"the DSC {signer.kid.hex()} may sign no health certificate")
    issued_at = (now or datetime.now(UTC)).replace(microsecond=0)
    ends = [issued_at + timedelta(hours=hours), signer.not_after]
    source_expiry = source.extra.get("exp")
    if isinstance(source_expiry, str):
        ends.append(datetime.fromisoformat(source_expiry))
    return light.encode(
        source.certificate["holder"],
        issuer_country=issuer_country(signer),
        issued_at=issued_at,
        expires=min(ends),
        source_hash=_source_hash(source),
        signer=signer,
    )


def _source_hash(source: Report) -> bytes | None:
    """The EU DCC SIGNATURE revocation hash of the source, so an EU DCC revocation list
    reaches its light certificates; None for the other formats, revoked by other means."""
    if source.format != registry.EU_DCC or source.payload is None:
        return None
    return revocation_hash(signature_part(eu_dcc.decode(source.payload).sign1.signature))


def issuer_country(signer: Signer) -> str:
    """The issuing country: the C of the DSC's subject (read with the signer); RequestError
    when it names none."""
    if signer.country is None:
        raise RequestError("the DSC has no country (C) in its subject")
    return signer.country


def shc_rid(certificate_id: str) -> str:
    """A SMART Health Card's revocation id: 64 bits of SHA-256 of its certificate id,
    base64url. A UVCI is random and says nothing about the person, so neither does the rid;
    a CRL lists it to revoke the card."""
    digest = hashlib.sha256(certificate_id.encode("utf-8")).digest()[:8]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True, slots=True)
class _Batch:
    """What every request of one call is signed with."""

    signer: Signer
    country: str
    issued_at: datetime
    issuer_url: str


# An encoder signs each request with its expiry; it returns the kid its payloads are signed
# under, and the payload, or the RequestError, of each request in order.
_Encoder = Callable[
    [_Batch, Sequence[tuple[IssueRequest, datetime]]], tuple[str, list[str | RequestError]]
]


def _encode_eu_dcc(
    batch: _Batch, work: Sequence[tuple[IssueRequest, datetime]]
) -> tuple[str, list[str | RequestError]]:
    # The request is a certificate, and the DCC is written from its fields alone: no copy
    # without valid_days is made, which cost a fifth of a signature.
    dccs = [(to_dcc(request), batch.issued_at, expires) for request, expires in work]
    payloads = eu_dcc.encode_many(dccs, issuer_country=batch.country, signer=batch.signer)
    return _dsc_kid(batch.signer), list(payloads)


def _encode_shc(
    batch: _Batch, work: Sequence[tuple[IssueRequest, datetime]]
) -> tuple[str, list[str | RequestError]]:
    key = batch.signer.private_key
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise RequestError("SMART Health Cards are signed with ES256: use an EC P-256 DSC")
    kid = shc.issuer_jwk(key.public_key())["kid"]

    def card(request: IssueRequest, expires: datetime) -> str:
        rid = shc_rid(request.entry.certificate_id)
        jws = shc.encode(
            request, key, kid, batch.issuer_url, nbf=batch.issued_at, exp=expires, rid=rid
        )
        return shc.to_numeric(jws)

    return kid, _one_by_one(work, card)


def _encode_vdsnc(
    batch: _Batch, work: Sequence[tuple[IssueRequest, datetime]]
) -> tuple[str, list[str | RequestError]]:
    def seal(request: IssueRequest, _expires: datetime) -> str:
        # A seal has no expiry claim; the store keeps the expiry the rule gives all the same.
        return vdsnc.encode(
            request, batch.signer, issuing_country=batch.country, issued_at=batch.issued_at
        )

    return _dsc_kid(batch.signer), _one_by_one(work, seal)


_ENCODERS: dict[str, _Encoder] = {
    registry.EU_DCC: _encode_eu_dcc,
    registry.SHC: _encode_shc,
    registry.ICAO_VDS_NC: _encode_vdsnc,
}


def _outcomes(
    batch: _Batch,
    kid: str,
    work: Sequence[tuple[IssueRequest, datetime]],
    payloads: Sequence[str | RequestError],
) -> list[Signed | RequestError]:
    return [
        payload
        if isinstance(payload, RequestError)
        else Signed(
            payload, request.entry.certificate_id, batch.country, kid, batch.issued_at, expires
        )
        for (request, expires), payload in zip(work, payloads, strict=True)
    ]


def _one_by_one(
    work: Sequence[tuple[IssueRequest, datetime]], encode: Callable[[IssueRequest, datetime], str]
) -> list[str | RequestError]:
    """Each request's payload, or the RequestError of a request its format cannot carry."""
    outcomes: list[str | RequestError] = []
    for request, expires in work:
        try:
            outcomes.append(encode(request, expires))
        except RequestError as error:
            outcomes.append(error)
    return outcomes


def _dsc_kid(signer: Signer) -> str:
    return base64.b64encode(signer.kid).decode("ascii")


def _with_certificate_id(request: IssueRequest, certificate_id: str) -> IssueRequest:
    # A copy, not a validation: the id comes from the caller's own generator, and validating
    # the request again cost a fifth of a signature.
    entry = request.entry.model_copy(update={"certificate_id": certificate_id})
    return request.model_copy(update={"entry": entry})


def _may_not_sign(certificate: Certificate, signer: Signer) -> RequestError:
    return RequestError(
        f"the DSC {signer.kid.hex()} may not sign {certificate.kind.value} certificates"
    )
