"""Light certificates (``HCL1:``): a CWT in COSE_Sign1 (ES256), zlib, Base45, as an EU DCC is.

    CWT claims {iss 1, iat 6, exp 4, light certificate -65538: {...}} -> COSE_Sign1 -> zlib
    -> Base45 -> "HCL1:" + text

A light certificate says only that its holder has a valid health certificate of the issuing
country, until ``exp``: at a venue at home, no one needs to learn which vaccine or test it was.
Its claim is the next private-use CWT claim after the health code's (RFC 8392 section 9.1):

    {"h": {"fn": family name, "gn": given name, "fnt", "gnt": their Doc 9303 forms,
           "dob": "YYYY-MM-DD"},
     ["r": the EU DCC SIGNATURE revocation hash of the certificate it was made from]}

``r`` lets a verifier that holds the EU DCC revocation list refuse a light certificate whose
certificate was revoked after it was made. It is a hash of a signature, which is random, so it
says nothing about the person or their health. The issuer keeps a light certificate short
(``issuance.issue_light``: at most 48 hours, never beyond the certificate it comes from).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from healthcert import report as codes
from healthcert.codec import cose
from healthcert.formats import cwt, registry
from healthcert.formats.base import (
    VerificationContext,
    check_validity_period,
    iso_day,
    seconds_of,
    text_members,
    time_claim,
    utc_text,
)
from healthcert.model.kinds import ALL_KINDS
from healthcert.trust.revocation import HASH_BYTES, SIGNATURE

if TYPE_CHECKING:
    from healthcert.report import Report
    from healthcert.trust.entry import TrustedKey

name = registry.LIGHT
PREFIX = registry.info(name).prefix

CLAIM_LIGHT = -65538
# The longest a light certificate may be valid: it is checked without its health data, so
# it must not outlive a test result by much, and a revoked certificate's light one must end soon.
MAX_HOURS = 48
_TYPED_CLAIMS = (cwt.CLAIM_ISS, cwt.CLAIM_EXP, cwt.CLAIM_NBF, cwt.CLAIM_IAT)
_HOLDER_FIELDS = (
    ("fn", "family_name", False),
    ("gn", "given_name", False),
    ("fnt", "family_name_latin", False),
    ("gnt", "given_name_latin", False),
    ("dob", "date_of_birth", True),
)
_HOLDER_KEYS = {report_name: member for member, report_name, _ in _HOLDER_FIELDS}


def looks_like(payload: str) -> bool:
    return payload.startswith(PREFIX)


def decode(payload: str) -> tuple[cose.Sign1, dict[Any, Any]]:
    """The COSE_Sign1 and its claims; PayloadError naming the failing step."""
    return cwt.open_envelope(payload, PREFIX, "light certificate", _TYPED_CLAIMS)


def encode(
    holder: Mapping[str, str],
    *,
    issuer_country: str,
    issued_at: datetime,
    expires: datetime,
    source_hash: bytes | None,
    signer: cose.SigningKey,
) -> str:
    """Sign a light certificate for ``holder`` (the report names of ``_HOLDER_FIELDS``)."""
    body: dict[str, Any] = {
        "h": {member: holder.get(field, "") for field, member in _HOLDER_KEYS.items()}
    }
    if source_hash is not None:
        body["r"] = source_hash
    claims = {
        cwt.CLAIM_ISS: issuer_country,
        cwt.CLAIM_IAT: int(issued_at.timestamp()),
        cwt.CLAIM_EXP: int(expires.timestamp()),
        CLAIM_LIGHT: body,
    }
    return cwt.seal_many([claims], PREFIX, signer)[0]


def verify_into(report: Report, payload: str, context: VerificationContext) -> None:
    report.format = name
    found = cwt.opened(report, payload, decode)
    if found is None:
        return
    sign1, claims, iss = found
    content = _read_content(report, claims, iss)
    key = cwt.check_signature(report, sign1, context)
    _check_claims(report, claims, key, context)
    _check_key_usage(report, key)
    if content is not None:
        report.certificate = {"kind": name, "holder": content["holder"]}
        if context.dcc_revocations is not None:
            _check_revocation(report, content["source_hash"], context)


def _read_content(report: Report, claims: Mapping[Any, Any], iss: Any) -> dict[str, Any] | None:
    """The holder and source hash; None, and the schema failed, when the claim is not what
    this format writes. Every problem is named, up to five."""
    problems: list[str] = []
    if iss.__class__ is not str:
        problems.append("the iss claim is not the issuing country's code")
    body = claims.get(CLAIM_LIGHT)
    if body.__class__ is not dict:
        problems.append(f"the light certificate claim ({CLAIM_LIGHT}) is absent or no map")
        body = {}
    holder = text_members(body.get("h"), "h", _HOLDER_FIELDS, problems)
    if holder is not None:
        if not (holder["family_name_latin"] or holder["given_name_latin"]):
            problems.append("h has neither fnt nor gnt (the name's Doc 9303 form)")
        if holder["date_of_birth"].__class__ is str and iso_day(holder["date_of_birth"]) is None:
            problems.append("h.dob (the date of birth) is no YYYY-MM-DD date")
    source_hash = body.get("r")
    if source_hash is not None and (
        source_hash.__class__ is not bytes or len(source_hash) != HASH_BYTES
    ):
        problems.append(f"r (the source's revocation hash) is not {HASH_BYTES} bytes")
    if problems:
        report.fail(codes.SCHEMA_INVALID, "; ".join(problems[:5]), check="schema")
        return None
    report.passed("schema")
    return {"holder": holder, "source_hash": source_hash}


def _check_claims(
    report: Report, claims: Mapping[Any, Any], key: TrustedKey | None, ctx: VerificationContext
) -> None:
    """iat and exp are required, and exp at most MAX_HOURS after iat: a signer cannot make a
    light certificate that lasts longer than the format promises its verifiers."""
    issued_at = time_claim(report, claims, cwt.CLAIM_IAT, "iat", required=True)
    expires = time_claim(report, claims, cwt.CLAIM_EXP, "exp", required=True)
    if issued_at is not None:
        report.extra["iat"] = utc_text(issued_at)
    if expires is not None:
        report.extra["exp"] = utc_text(expires)
    check_validity_period(report, issued_at=issued_at, expires=expires, clock=ctx.clock, key=key)
    if (
        issued_at is not None
        and expires is not None
        and seconds_of(expires) - seconds_of(issued_at) > MAX_HOURS * 3600
    ):
        report.fail(
            codes.CLAIMS_INVALID,
            f"valid for more than {MAX_HOURS} hours after its issue: no light certificate is",
            check="validity_period",
        )


def _check_key_usage(report: Report, key: TrustedKey | None) -> None:
    """A light certificate stands for a health certificate: its signer must be a DSC that may
    sign health certificates (a DSC for health codes alone may not)."""
    if key is None:
        return
    if key.types & ALL_KINDS:
        report.passed("key_usage")
    else:
        allowed = ", ".join(sorted(key.types)) or "nothing"
        report.fail(
            codes.KEY_USAGE_MISMATCH,
            f"the signer may sign {allowed}, not health certificates",
            check="key_usage",
        )


def _check_revocation(
    report: Report, source_hash: bytes | None, context: VerificationContext
) -> None:
    revocations = context.dcc_revocations
    if source_hash is None or revocations is None:
        return
    if (SIGNATURE, source_hash) in revocations.hashes:
        report.fail(
            codes.REVOKED,
            "the certificate it was made from is listed as revoked (by its signature hash)",
            check="revocation",
        )
    else:
        report.passed("revocation")
