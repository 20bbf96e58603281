"""ICAO Visible Digital Seal for Non-Constrained environments (VDS-NC): signed JSON in a QR code.

    {"data": {"hdr": {"t": "icao.vacc" | "icao.test", "v": 1, "is": "<issuing state>"},
              "msg": {...}},
     "sig": {"alg": "ES256" | "ES384" | "ES512", "cer": "<base64url DER>", "sigvl": "<r||s>"}}

The signature covers the RFC 8785 canonical JSON of ``data``, so the seal may be pretty-printed
or re-ordered without breaking it. ``cer`` is the barcode signer certificate (BSC): it must be
issued by a trusted CSCA of the issuing state, and its validity bounds the seal's (DSC_* codes).
A test seal is also not valid before its report was issued (``dat.ri``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from healthcert import report as codes
from healthcert.codec import b64, canonical_json, jws
from healthcert.errors import PayloadError, RequestError
from healthcert.formats import registry, terminology
from healthcert.formats.base import (
    VerificationContext,
    check_key_usage,
    check_validity_period,
    shown,
)
from healthcert.formats.vdsnc import message as vdsnc_msg
from healthcert.formats.vdsnc.message import VERSION, message_from_certificate
from healthcert.keys.subject import subject_country
from healthcert.limits import MAX_INPUT_BYTES
from healthcert.model import fields
from healthcert.model.kinds import ALL_KINDS
from healthcert.trust.entry import TrustedKey

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

    from healthcert.model.certificate import Certificate
    from healthcert.report import Report

name = registry.ICAO_VDS_NC
SEAL_TYPES = ("icao.vacc", "icao.test")
ALGORITHMS = ("ES256", "ES384", "ES512")


class SealSigner(Protocol):
    """What signs a seal: an EC private key and its barcode signer certificate."""

    @property
    def private_key(self) -> PrivateKeyTypes: ...

    @property
    def certificate(self) -> x509.Certificate: ...


@dataclass(frozen=True, slots=True)
class DecodedSeal:
    """A seal taken apart, nothing in it trusted yet."""

    data: dict[str, Any]
    seal_type: str
    country: str
    algorithm: str
    certificate_b64: str
    signature_b64: str


def looks_like(payload: str) -> bool:
    """A JSON object with ``data`` and ``sig`` members (pretty-printed or not)."""
    return payload.lstrip()[:1] == "{" and '"sig"' in payload and '"data"' in payload


def decode(payload: str) -> DecodedSeal:
    """Parse the seal's JSON and header; PayloadError names what is malformed."""
    if len(payload.encode("utf-8")) > MAX_INPUT_BYTES:
        raise PayloadError(
            codes.INPUT_TOO_LARGE, f"the seal is larger than {MAX_INPUT_BYTES} bytes"
        )
    try:
        seal = canonical_json.loads(payload)
    except canonical_json.CanonicalJsonError as error:
        raise PayloadError(codes.JSON_INVALID, f"the seal is not I-JSON: {error}") from None
    data, sig = _member(seal, "data"), _member(seal, "sig")
    header = _member(data, "hdr", "data.")
    _member(data, "msg", "data.")
    seal_type, version, state = header.get("t"), header.get("v"), header.get("is")
    if seal_type not in SEAL_TYPES:
        raise PayloadError(
            codes.SCHEMA_INVALID, f"data.hdr.t {shown(seal_type)} is not a known seal"
        )
    if version != 1 or isinstance(version, bool):
        raise PayloadError(
            codes.SCHEMA_INVALID, f"data.hdr.v {shown(version)}: only version 1 is known"
        )
    country = terminology.alpha2(str(state)) if isinstance(state, str) else None
    if country is None:
        raise PayloadError(codes.SCHEMA_INVALID, f"data.hdr.is {shown(state)} is no Doc 9303 state")
    texts = [sig.get(key) for key in ("alg", "cer", "sigvl")]
    if not all(isinstance(text, str) for text in texts):
        raise PayloadError(codes.SCHEMA_INVALID, "sig needs the texts alg, cer and sigvl")
    algorithm, cer, sigvl = (str(text) for text in texts)
    return DecodedSeal(data, str(seal_type), country, algorithm, cer, sigvl)


def _member(container: Any, key: str, where: str = "") -> dict[str, Any]:
    value = container.get(key) if isinstance(container, dict) else None
    if not isinstance(value, dict):
        raise PayloadError(codes.SCHEMA_INVALID, f"the seal has no {where}{key} object")
    return value


# --- verification ---------------------------------------------------------------------------


def verify_into(report: Report, payload: str, context: VerificationContext) -> None:
    report.format = name
    try:
        seal = decode(payload)
    except PayloadError as error:
        report.fail(error.code, error.message, check="decode")
        return
    report.passed("decode")
    report.issuer = {"country": seal.country, "kid": None, "subject": None}
    signer = _signer_certificate(report, seal)
    key = _trusted_signer(report, seal, signer, context) if signer is not None else None
    if seal.algorithm not in ALGORITHMS:
        report.fail(
            codes.ALG_UNSUPPORTED, f"sig.alg {seal.algorithm!r} is not ES256/384/512", "signature"
        )
    elif key is not None:
        _check_signature(report, seal, key)
    certificate = _check_content(report, seal, signer)
    issued = _report_issued(report, seal)
    check_validity_period(report, issued_at=issued, expires=None, clock=context.clock, key=key)
    check_key_usage(report, certificate.kind if certificate else None, key)
    if context.vdsnc_revocations is not None:
        _check_revocation(report, seal, context.vdsnc_revocations)


def revocation_hash(payload: str) -> bytes:
    """What a list of revoked seals holds for a seal: the hash of its signature, as the EU's
    SIGNATURE hash is made (SHA-256 of r for ES256, truncated to 128 bits). A seal carries no
    identifier every kind shares (a test seal has no UVCI), and a signature is never reused.
    PayloadError or Base64Error for a payload that is no seal."""
    return _signature_hash(decode(payload))


def _signature_hash(seal: DecodedSeal) -> bytes:
    from healthcert.trust.revocation import revocation_hash as digest
    from healthcert.trust.revocation import signature_part

    return digest(signature_part(b64.urlsafe_decode(seal.signature_b64)))


def _check_revocation(report: Report, seal: DecodedSeal, revoked: frozenset[bytes]) -> None:
    try:
        listed = _signature_hash(seal) in revoked
    except b64.Base64Error:
        return  # no signature to look up: the signature check has failed the seal already
    if listed:
        report.fail(codes.REVOKED, "listed as revoked (by its signature hash)", "revocation")
    else:
        report.passed("revocation")


def _signer_certificate(report: Report, seal: DecodedSeal) -> x509.Certificate | None:
    try:
        der = b64.urlsafe_decode(seal.certificate_b64)
        certificate = x509.load_der_x509_certificate(der)
    except ValueError as error:
        report.fail(codes.CHAIN_INVALID, f"sig.cer is no DER certificate: {error}", "signature")
        return None
    report.issuer["kid"] = base64.b64encode(hashlib.sha256(der).digest()[:8]).decode("ascii")
    report.issuer["subject"] = certificate.subject.rfc4514_string()
    return certificate


def _trusted_signer(
    report: Report, seal: DecodedSeal, signer: x509.Certificate, context: VerificationContext
) -> TrustedKey | None:
    """The BSC as a trusted key when a CSCA of the seal's issuing state issued it."""
    cscas = context.trust.cscas_for(seal.country)
    if not cscas:
        report.fail(
            codes.ISSUER_UNKNOWN, f"no CSCA of {seal.country} is trusted", check="signature"
        )
        return None
    problem = _chain_problem(signer, cscas, seal.country)
    key = _as_trusted_key(signer, seal.country) if problem is None else None
    if key is None:
        report.fail(codes.CHAIN_INVALID, problem or "the signer key is not EC or RSA", "signature")
    return key


def _chain_problem(signer: x509.Certificate, cscas: Any, country: str) -> str | None:
    stated = signer.subject.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)
    if stated and str(stated[0].value).upper() != country:
        return f"the signer certificate is of {stated[0].value!s}, the seal of {country}"
    for csca in cscas:
        try:
            signer.verify_directly_issued_by(csca)
        except (InvalidSignature, ValueError, TypeError):
            continue
        return None
    return f"the signer certificate was not issued by a trusted CSCA of {country}"


def _as_trusted_key(signer: x509.Certificate, country: str) -> TrustedKey | None:
    public_key = signer.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        return None
    der = signer.public_bytes(Encoding.DER)
    return TrustedKey(
        kid=hashlib.sha256(der).digest()[:8],
        public_key=public_key,
        source="vds-nc sig.cer",
        types=ALL_KINDS,  # a BSC's use is the seal type it signs, not an EU key usage
        country=country,
        subject=signer.subject.rfc4514_string(),
        not_before=signer.not_valid_before_utc,
        not_after=signer.not_valid_after_utc,
        certificate=signer,
    )


def _check_signature(report: Report, seal: DecodedSeal, key: TrustedKey) -> None:
    try:
        signature = b64.urlsafe_decode(seal.signature_b64)
        signed = canonical_json.dumps(seal.data)
    except (b64.Base64Error, canonical_json.CanonicalJsonError) as error:
        report.fail(codes.SIGNATURE_INVALID, f"sig.sigvl or data: {error}", "signature")
        return
    public_key = key.public_key
    if isinstance(public_key, ec.EllipticCurvePublicKey) and jws.verify(
        public_key, seal.algorithm, signed, signature
    ):
        report.passed("signature")
    else:
        report.fail(
            codes.SIGNATURE_INVALID,
            f"the {seal.algorithm} signature over the canonical data does not verify",
            "signature",
        )


def _check_content(
    report: Report, seal: DecodedSeal, signer: x509.Certificate | None
) -> Certificate | None:
    try:
        certificate = vdsnc_msg.certificate_from_message(
            seal.seal_type, seal.data.get("msg"), _organisation(signer)
        )
    except vdsnc_msg.MessageError as error:
        report.fail(codes.SCHEMA_INVALID, str(error), check="schema")
        return None
    report.passed("schema")
    report.certificate = certificate.model_dump(mode="json")
    return certificate


def _report_issued(report: Report, seal: DecodedSeal) -> datetime | None:
    """``dat.ri`` of a test seal. One that is there but no date and time fails the validity
    period (CLAIMS_INVALID); the seal's other bounds are still judged without it."""
    try:
        return vdsnc_msg.report_issued(seal.seal_type, seal.data.get("msg"))
    except vdsnc_msg.MessageError as error:
        report.fail(codes.CLAIMS_INVALID, str(error), check="validity_period")
        return None


def _organisation(signer: x509.Certificate | None) -> str:
    """Who signed, as a name: the BSC's organisation, else its common name."""
    if signer is None:
        return "unknown"

    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        names = signer.subject.get_attributes_for_oid(oid)
        if names:
            return str(names[0].value)[: fields.ISSUER_MAX]
    return "unknown"


# --- issuing --------------------------------------------------------------------------------


def encode(
    cert: Certificate,
    signer: SealSigner,
    *,
    issuing_country: str | None = None,
    issued_at: datetime | None = None,
) -> str:
    """The JSON text of a VDS-NC seal for ``cert``, signed by ``signer``'s EC key.

    The issuing state defaults to the country (C) of the signer certificate; ``issued_at`` (the
    test report's issue time, ``dat.ri``) defaults to now.
    """
    key = signer.private_key
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise RequestError("a VDS-NC is signed with ECDSA (ES256/384/512): use an EC key")
    country = issuing_country or _certificate_country(signer.certificate)
    state = terminology.alpha3(country)
    if state is None:
        raise RequestError(f"no Doc 9303 three-letter code for the issuing country {country!r}")
    moment = (issued_at or datetime.now(UTC)).replace(microsecond=0)
    seal_type, message = message_from_certificate(cert, moment)
    data = {"hdr": {"t": seal_type, "v": VERSION, "is": state}, "msg": message}
    signature = {
        "alg": jws.algorithm_for_key(key).name,
        "cer": b64.urlsafe_encode(signer.certificate.public_bytes(Encoding.DER)),
        "sigvl": b64.urlsafe_encode(jws.sign(key, canonical_json.dumps(data))),
    }
    return json.dumps({"data": data, "sig": signature}, separators=(",", ":"), ensure_ascii=False)


def _certificate_country(certificate: x509.Certificate) -> str:
    country = subject_country(certificate)
    if country is None:
        raise RequestError("the signer certificate has no country (C): give issuing_country")
    return country
