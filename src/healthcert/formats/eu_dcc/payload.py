"""EU Digital COVID Certificate (HCERT, ``HC1:``): DCC JSON in a CWT in COSE_Sign1, zlib, Base45.

Issuing and verifying walk the same chain in opposite directions:
    DCC JSON -> CWT claims {iss 1, iat 6, exp 4, hcert -260: {1: DCC}} -> COSE_Sign1 -> zlib
    -> Base45 -> "HC1:" + text
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from healthcert import report as codes
from healthcert.codec import cose
from healthcert.errors import PayloadError
from healthcert.formats import cwt, registry
from healthcert.formats.base import (
    VerificationContext,
    check_key_usage,
    check_validity_period,
    kind_of,
    numeric_date,
    time_claim,
    utc_text,
)

# Neither loads the models or compiles the schema at import: both wait for a DCC that needs it.
from healthcert.formats.eu_dcc.mapping import DccMappingError, canonical_json
from healthcert.formats.eu_dcc.schema import schema_errors
from healthcert.model.kinds import EntryKind

if TYPE_CHECKING:
    from healthcert.report import Report
    from healthcert.trust.entry import TrustedKey
    from healthcert.trust.revocation import DccRevocations

name = registry.EU_DCC
PREFIX = registry.info(name).prefix

CLAIM_ISS = cwt.CLAIM_ISS
CLAIM_EXP = cwt.CLAIM_EXP
CLAIM_IAT = cwt.CLAIM_IAT
CLAIM_HCERT = -260
HCERT_DCC = 1

_KIND_OF_GROUP = {"v": EntryKind.VACCINATION, "t": EntryKind.TEST, "r": EntryKind.RECOVERY}


class DecodedHcert(NamedTuple):
    """What a payload holds, before anything about it is trusted (a named tuple: it is made
    for every payload, and builds faster than a frozen dataclass)."""

    sign1: cose.Sign1
    claims: Mapping[Any, Any]
    dcc: Any

    @property
    def issuer_country(self) -> str | None:
        iss = self.claims.get(CLAIM_ISS)
        return iss if isinstance(iss, str) else None

    @property
    def issued_at(self) -> int | float | None:
        """The iat claim in POSIX seconds; None when absent or no time (the report says why)."""
        return numeric_date(self.claims.get(CLAIM_IAT))

    @property
    def expires(self) -> int | float | None:
        return numeric_date(self.claims.get(CLAIM_EXP))

    @property
    def kind(self) -> EntryKind | None:
        dcc = self.dcc
        if dcc.__class__ is not dict:
            return None
        for group, kind in _KIND_OF_GROUP.items():
            if group in dcc:
                return kind
        return None


def looks_like(payload: str) -> bool:
    return payload.startswith(PREFIX)


def decode(payload: str) -> DecodedHcert:
    """Undo prefix, Base45, zlib, COSE and CWT; raise PayloadError naming the failing step."""
    sign1, claims = cwt.open_envelope(payload, PREFIX, "EU DCC", _TYPED_CLAIMS)
    hcert = claims.get(CLAIM_HCERT)
    if not isinstance(hcert, dict) or not isinstance(hcert.get(HCERT_DCC), dict):
        raise PayloadError(codes.CBOR_INVALID, "the CWT has no hcert claim (-260) with a DCC map")
    return DecodedHcert(sign1, claims, hcert[HCERT_DCC])


inflate = cwt.inflate

# The claims whose type the verifier checks (see ``cwt.decode_claims``).
_TYPED_CLAIMS = (CLAIM_ISS, CLAIM_EXP, CLAIM_IAT)


def verify_into(report: Report, payload: str, context: VerificationContext) -> None:
    verify_many(((report, payload),), context)


def verify_many(work: Sequence[tuple[Report, str]], context: VerificationContext) -> None:
    """Verify payloads into their reports, one stage at a time over all of them.

    Decoding, the schema, the signatures and the mapping each run over the whole batch before
    the next starts: their code and tables then stay in the CPU caches. Run payload by payload,
    each stage evicted the last one's, and verification took half as long again.
    """
    decoded = [_decode_into(report, payload) for report, payload in work]
    readable = [
        (report, found)
        for (report, _), found in zip(work, decoded, strict=True)
        if found is not None
    ]
    for report, found in readable:
        _check_schema(report, schema_errors(found.dcc))
    keys = [_check_signature(report, found.sign1, context) for report, found in readable]
    for (report, found), key in zip(readable, keys, strict=True):
        _check_claims(report, found, key, context)
    for report, found in readable:
        report.certificate = _canonical(found.dcc)


def _decode_into(report: Report, payload: str) -> DecodedHcert | None:
    report.format = name
    try:
        decoded = decode(payload)
    except PayloadError as error:
        report.fail(error.code, error.message, check="decode")
        return None
    report.checks["decode"] = True
    report.issuer["kid"] = _kid_text(decoded.sign1.kid)
    iss = decoded.claims.get(CLAIM_ISS)
    if iss.__class__ is str:
        report.issuer["country"] = iss
    elif CLAIM_ISS in decoded.claims:
        # iss is optional, but when written it is text (hcert 3.3.4): the CWT breaks its
        # schema, as a SMART Health Card without a text iss does.
        report.fail(
            codes.SCHEMA_INVALID, f"the CWT's iss claim holds {kind_of(iss)}, not text", "schema"
        )
    return decoded


def _check_claims(
    report: Report, decoded: DecodedHcert, key: TrustedKey | None, context: VerificationContext
) -> None:
    """The validity period, key usage and revocation: what the claims say against the signer.

    The hcert specification requires both iat and exp (3.3.1, 3.3.5, 3.3.6): without exp a
    certificate would never expire, and without iat the signer's not-before goes unchecked.
    It writes them as integers; RFC 8392 allows floats, and the EU test vectors (ES) use them.
    """
    claims = decoded.claims
    issued_at = time_claim(report, claims, CLAIM_IAT, "iat", required=True)
    expires = time_claim(report, claims, CLAIM_EXP, "exp", required=True)
    _record_claim_times(report, issued_at, expires)
    check_validity_period(
        report, issued_at=issued_at, expires=expires, clock=context.clock, key=key
    )
    check_key_usage(report, decoded.kind, key)
    if context.dcc_revocations is not None:
        _check_revocation(report, decoded, context.dcc_revocations)


_kid_text = cwt.kid_text


def _check_revocation(report: Report, decoded: DecodedHcert, revoked: DccRevocations) -> None:
    """Consulted only when the verifier has a list: ``checks.revocation`` then says so."""
    uci, country = _uci_and_country(decoded.dcc)
    listed = revoked.match(uci, country, decoded.sign1.signature)
    if listed is None:
        report.passed("revocation")
    else:
        report.fail(codes.REVOKED, f"listed as revoked (by its {listed} hash)", "revocation")


def _uci_and_country(dcc: Any) -> tuple[str | None, str | None]:
    for group in _KIND_OF_GROUP:
        entries = dcc.get(group) if isinstance(dcc, dict) else None
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            uci, country = entries[0].get("ci"), entries[0].get("co")
            return (
                uci if isinstance(uci, str) else None,
                country if isinstance(country, str) else None,
            )
    return None, None


def _record_claim_times(
    report: Report, issued_at: int | float | None, expires: int | float | None
) -> None:
    """The CWT's iat and exp, as entry rules see them (``external.iat`` / ``external.exp``)."""
    if issued_at is not None:
        report.extra["iat"] = utc_text(issued_at)
    if expires is not None:
        report.extra["exp"] = utc_text(expires)


def _check_schema(report: Report, problems: list[str]) -> None:
    if problems:
        report.fail(codes.SCHEMA_INVALID, "; ".join(problems[:5]), check="schema")
    else:
        report.passed("schema")


# A name of its own here: the batch's stages are each replaceable in tests.
_check_signature = cwt.check_signature


def _canonical(dcc: Any) -> dict[str, Any] | None:
    """The certificate as the canonical model's JSON; None when the DCC does not map to it."""
    try:
        return canonical_json(dcc)
    except DccMappingError:
        return None


def encode(
    dcc: Mapping[str, Any],
    *,
    issuer_country: str,
    issued_at: datetime,
    expires: datetime,
    signer: cose.SigningKey,
) -> str:
    """Sign a DCC and return its ``HC1:`` payload."""
    return encode_many([(dcc, issued_at, expires)], issuer_country=issuer_country, signer=signer)[0]


# DCCs signed together, then compressed together: few enough that their data stays in the
# CPU caches between the two stages.
_ENCODE_GROUP = 32


def encode_many(
    dccs: Sequence[tuple[Mapping[str, Any], datetime, datetime]],
    *,
    issuer_country: str,
    signer: cose.SigningKey,
) -> list[str]:
    """Sign DCCs, each with its issued-at and expiry, and return their payloads in order.

    Each group of DCCs is signed, then compressed: interleaved one payload at a time, zlib's
    few hundred kilobytes of state and OpenSSL's signing tables evicted each other from the
    CPU caches, and issuing took 40% longer.
    """
    payloads: list[str] = []
    for start in range(0, len(dccs), _ENCODE_GROUP):
        group = dccs[start : start + _ENCODE_GROUP]
        claims = [_claims(dcc, issuer_country, at, expires) for dcc, at, expires in group]
        payloads.extend(cwt.seal_many(claims, PREFIX, signer))
    return payloads


def _claims(
    dcc: Mapping[str, Any], issuer_country: str, issued_at: datetime, expires: datetime
) -> dict[int, Any]:
    return {
        CLAIM_ISS: issuer_country,
        CLAIM_IAT: int(issued_at.timestamp()),
        CLAIM_EXP: int(expires.timestamp()),
        CLAIM_HCERT: {HCERT_DCC: dict(dcc)},
    }
