"""The chain EU DCCs and health codes share: CWT claims in a COSE_Sign1, zlib, Base45, a prefix.

    claims -> CBOR -> COSE_Sign1 -> zlib -> Base45 -> prefix + text

Each format keeps its own claims and what they mean; this module reads and writes the
envelope, and checks the signature against the keys the kid names.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from healthcert import report as codes
from healthcert.codec import base45, cbor, cose, deflate
from healthcert.errors import PayloadError
from healthcert.formats.base import VerificationContext, kind_of

if TYPE_CHECKING:
    from healthcert.report import Report
    from healthcert.trust.entry import TrustedKey

CLAIM_ISS = 1
CLAIM_EXP = 4
CLAIM_NBF = 5
CLAIM_IAT = 6


def open_envelope(
    payload: str, prefix: str, title: str, typed_claims: Collection[int]
) -> tuple[cose.Sign1, dict[Any, Any]]:
    """Undo prefix, Base45, zlib, COSE and CWT; raise PayloadError naming the failing step.

    ``typed_claims`` are the claims whose type the verifier checks: see ``decode_claims``.
    """
    if not payload.startswith(prefix):
        raise PayloadError(codes.PREFIX_INVALID, f"an {title} payload starts with {prefix!r}")
    try:
        compressed = base45.decode(payload[len(prefix) :])
    except base45.Base45Error as error:
        raise PayloadError(codes.BASE45_INVALID, str(error)) from None
    sign1 = decode_sign1(inflate(compressed))
    return sign1, decode_claims(sign1.payload, typed_claims)


def opened(
    report: Report, payload: str, decode: Callable[[str], tuple[cose.Sign1, dict[Any, Any]]]
) -> tuple[cose.Sign1, dict[Any, Any], Any] | None:
    """``payload`` decoded for ``report``: the decode check passes, the issuer's kid and (when
    the iss claim is a text) country are recorded; the COSE_Sign1, the claims and the iss claim
    as written. None, and the decode check failed with its code, when it cannot be read."""
    try:
        sign1, claims = decode(payload)
    except PayloadError as error:
        report.fail(error.code, error.message, check="decode")
        return None
    report.checks["decode"] = True
    report.issuer["kid"] = kid_text(sign1.kid)
    iss = claims.get(CLAIM_ISS)
    if iss.__class__ is str:
        report.issuer["country"] = iss
    return sign1, claims, iss


def inflate(compressed: bytes) -> bytes:
    """zlib-inflate at most MAX_DECOMPRESSED_BYTES; a larger payload is refused, not truncated."""
    return deflate.inflate(compressed, wbits=deflate.ZLIB)


def decode_sign1(data: bytes) -> cose.Sign1:
    try:
        return cose.decode_sign1(data)
    except cose.CoseError as error:
        raise PayloadError(error.code, str(error)) from None


def decode_claims(payload: bytes, typed_claims: Collection[int]) -> dict[Any, Any]:
    """The CWT claims map. The decoder reads some tags as the value they wrap (the date tags,
    for a DCC's sake; bignums); but a NumericDate is untagged (RFC 8392 section 2), and a
    tagged iss is no text string, so each of ``typed_claims`` is shown with its tag again."""
    try:
        claims, maybe_tagged = cbor.loads_noting_tags(payload)
    except cbor.CborError as error:
        raise PayloadError(codes.CBOR_INVALID, f"CWT claims: {error}") from None
    if not isinstance(claims, dict):  # cbor2 decodes a top-level map as a dict
        raise PayloadError(codes.CBOR_INVALID, "the CWT claims are not a map")
    if maybe_tagged:
        _restore_claim_tags(payload, claims, typed_claims)
    return claims


def _restore_claim_tags(
    payload: bytes, claims: dict[Any, Any], typed_claims: Collection[int]
) -> None:
    try:
        written = cbor.loads_with_tags(payload)
    except cbor.CborError as error:  # read once already: only a tag kept could refuse it
        raise PayloadError(codes.CBOR_INVALID, f"CWT claims: {error}") from None
    if not isinstance(written, dict):
        return
    for key, value in written.items():
        if isinstance(key, cbor.Tag) and key.value in typed_claims:
            del claims[key.value]  # a tagged key names no claim: the claim is not there
        elif key in typed_claims and isinstance(value, cbor.Tag):
            claims[key] = value


def seal_many(
    claims: Sequence[Mapping[Any, Any]], prefix: str, signer: cose.SigningKey
) -> list[str]:
    """Sign each claims map, then compress each: the two stages apart, as ``encode_many`` of
    the EU DCC explains."""
    signed = [cose.sign(cbor.dumps(item), signer) for item in claims]
    return [prefix + base45.encode(zlib.compress(item, 9)) for item in signed]


@lru_cache(maxsize=4096)
def kid_text(kid: bytes | None) -> str | None:
    """The kid as the trust lists write it; a verifier sees few distinct kids."""
    return base64.b64encode(kid).decode("ascii") if kid is not None else None


def check_signature(
    report: Report, sign1: cose.Sign1, context: VerificationContext
) -> TrustedKey | None:
    """Check the signature with every trusted key of the kid.

    Returns the key that verified, or else the kid's first key, so that the validity and key
    usage checks still report on the signer the payload names: each check stands on its own.
    """
    kid = sign1.kid
    candidates = context.trust.keys_for(kid) if kid is not None else ()
    algorithm = sign1.algorithm
    # Any CBOR value may sit in the header: a list or a map is not hashable.
    if algorithm.__class__ is not int or algorithm not in cose.ALGORITHM_NAMES:
        report.fail(
            codes.ALG_UNSUPPORTED,
            f"COSE algorithm {_header_text(algorithm)} is not ES256 (-7) or PS256 (-37)",
            check="signature",
        )
    elif kid is None:
        _refuse_kid(report, sign1)
    elif not candidates:
        _report_unknown_kid(report, kid, context)
    else:
        for key in candidates:
            if cose.verify(sign1, key.public_key):
                report.passed("signature")
                if key.warning is not None:
                    report.issuer["warning"] = key.warning
                return key
        report.fail(codes.SIGNATURE_INVALID, "the signature does not verify", check="signature")
    return candidates[0] if candidates else None


def _report_unknown_kid(report: Report, kid: bytes | None, context: VerificationContext) -> None:
    anchor = context.trust.anchor_with_kid(kid) if kid is not None else None
    if anchor is None:
        report.fail(codes.KID_UNKNOWN, "no trusted key has this kid", check="signature")
        return
    report.fail(
        codes.SIGNER_NOT_DSC,
        f"the kid names a CSCA of {anchor.country} (from {anchor.source}), trusted only to vouch"
        " for DSCs: its keyUsage or its trust list does not make it a signer",
        check="signature",
    )


def _header_text(value: Any) -> str:
    """A header value for a message: a small integer as itself, anything else by its kind."""
    if value.__class__ is int:
        return str(value) if -(2**64) <= value < 2**64 else "an integer beyond 64 bits"
    return "absent or null" if value is None else kind_of(value)


def _refuse_kid(report: Report, sign1: cose.Sign1) -> None:
    """No kid to look up: none written (no key can be chosen), or one that is no byte string."""
    protected, unprotected = sign1.protected, sign1.unprotected
    if cose.HEADER_KID not in protected and cose.HEADER_KID not in unprotected:
        report.fail(codes.KID_UNKNOWN, "neither COSE header carries a kid", check="signature")
    else:
        report.fail(
            codes.HEADER_INVALID,
            f"the COSE kid holds {kind_of(cose.written_kid(protected, unprotected))}, "
            "not a byte string",
            check="signature",
        )
