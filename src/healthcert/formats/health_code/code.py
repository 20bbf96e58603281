"""Health codes (``HCD1:``): a CWT in COSE_Sign1 (ES256), zlib, Base45, as an EU DCC is.

    CWT claims {iss 1, iat 6, exp 4, [nbf 5], health code -65537: {...}} -> COSE_Sign1 -> zlib
    -> Base45 -> "HCD1:" + text

The health code claim is a private CWT claim: -65537 is the first key of the private-use
range (below -65536, RFC 8392 section 9.1), so it can meet no registered claim. Its members
have keys of one to three letters, to fit a phone's QR code:

    {"c": "green" | "yellow" | "red",
     "d": declaration id,
     "t": {"dc": destination country, "dt": departure, local time with offset
           ("2026-12-09T23:40+08:00"), "tr": transport ("CA982"), "pe": port of entry,
           "oc": origin country, ["oy": origin city], ["vi": [via, ...]]},
     "h": {"fn": family name, "gn": given name, "fnt", "gnt": their Doc 9303 forms,
           "dob": "YYYY-MM-DD", "dt": document type, "dc": issuing country,
           "dn": document number}}

A report of a health code carries its colour as ``verdict``, the trip as ``trip`` and the
holder and declaration as ``certificate``. ``valid`` says the code is genuine and in force,
whatever its colour: a red code is valid, and says no.
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
    check_key_usage,
    check_validity_period,
    iso_day,
    kind_of,
    text_members,
    time_claim,
    utc_text,
)
from healthcert.formats.health_code.model import Colour, HealthCode
from healthcert.model.kinds import EntryKind

if TYPE_CHECKING:
    from healthcert.report import Report
    from healthcert.trust.entry import TrustedKey

name = registry.HEALTH_CODE
PREFIX = registry.info(name).prefix

CLAIM_HEALTH_CODE = -65537
_TYPED_CLAIMS = (cwt.CLAIM_ISS, cwt.CLAIM_EXP, cwt.CLAIM_NBF, cwt.CLAIM_IAT)

# The members of the trip and of the holder: (key, name in the report, required).
_TRIP_FIELDS = (
    ("dc", "destination_country", True),
    ("dt", "departure", True),
    ("tr", "transport", True),
    ("pe", "port_of_entry", True),
    ("oc", "origin_country", True),
    ("oy", "origin_city", False),
)
_HOLDER_FIELDS = (
    ("fn", "family_name", False),
    ("gn", "given_name", False),
    ("fnt", "family_name_latin", False),
    ("gnt", "given_name_latin", False),
    ("dob", "date_of_birth", True),
    ("dt", "document_type", True),
    ("dc", "document_country", True),
    ("dn", "document_number", True),
)
_COLOURS = frozenset(colour.value for colour in Colour)


def looks_like(payload: str) -> bool:
    return payload.startswith(PREFIX)


def decode(payload: str) -> tuple[cose.Sign1, dict[Any, Any]]:
    """The COSE_Sign1 and its claims; PayloadError naming the failing step."""
    return cwt.open_envelope(payload, PREFIX, "health code", _TYPED_CLAIMS)


def verify_into(report: Report, payload: str, context: VerificationContext) -> None:
    report.format = name
    found = cwt.opened(report, payload, decode)
    if found is None:
        return
    sign1, claims, iss = found
    content = _read_content(report, claims, iss)
    key = cwt.check_signature(report, sign1, context)
    _check_claims(report, claims, key, context)
    check_key_usage(report, EntryKind.HEALTH_CODE, key)
    if context.health_code_revocations is not None:
        _check_revocation(report, sign1.signature, context.health_code_revocations)
    if content is not None:
        _record(report, content)
        if context.trip is not None:
            _check_trip(report, content["trip"], context)


def _read_content(report: Report, claims: Mapping[Any, Any], iss: Any) -> dict[str, Any] | None:
    """The health code claim as the report shows it; None, and the schema failed, when it is
    not what this format writes. Every problem is named, up to five."""
    problems: list[str] = []
    if iss.__class__ is not str:
        problems.append(f"the iss claim holds {kind_of(iss)}, not the issuing country's code")
    body = claims.get(CLAIM_HEALTH_CODE)
    if body.__class__ is not dict:
        problems.append(f"the health code claim ({CLAIM_HEALTH_CODE}) is absent or no map")
        body = {}
    colour = body.get("c")
    if colour.__class__ is not str or colour not in _COLOURS:
        problems.append("c (the colour) is not green, yellow or red")
    declaration = body.get("d")
    if declaration.__class__ is not str or not declaration:
        problems.append("d (the declaration id) is not a text")
    trip = text_members(body.get("t"), "t", _TRIP_FIELDS, problems)
    holder = text_members(body.get("h"), "h", _HOLDER_FIELDS, problems)
    if trip is not None:
        trip["via"] = _via(body["t"].get("vi", []), problems)
        if _departure(trip.get("departure")) is None:
            problems.append("t.dt (the departure) is no local time with its UTC offset")
    if holder is not None:
        if not (holder["family_name_latin"] or holder["given_name_latin"]):
            problems.append("h has neither fnt nor gnt (the name's Doc 9303 form)")
        if iso_day(holder["date_of_birth"]) is None:
            problems.append("h.dob (the date of birth) is no YYYY-MM-DD date")
    if problems:
        report.fail(codes.SCHEMA_INVALID, "; ".join(problems[:5]), check="schema")
        return None
    report.passed("schema")
    return {"colour": colour, "declaration_id": declaration, "trip": trip, "holder": holder}


def _via(value: Any, problems: list[str]) -> list[str]:
    if value.__class__ is not list or any(item.__class__ is not str for item in value):
        problems.append("t.vi (the places via) is not a list of texts")
        return []
    return list(value)


def _departure(text: Any) -> datetime | None:
    """An aware local time; None for anything else (a naive time names no moment)."""
    if text.__class__ is not str:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.utcoffset() is not None else None


def _check_claims(
    report: Report, claims: Mapping[Any, Any], key: TrustedKey | None, ctx: VerificationContext
) -> None:
    """iat and exp are required: a code without an end would be green forever. nbf, when
    written, is one more lower bound."""
    issued_at = time_claim(report, claims, cwt.CLAIM_IAT, "iat", required=True)
    expires = time_claim(report, claims, cwt.CLAIM_EXP, "exp", required=True)
    not_before = time_claim(report, claims, cwt.CLAIM_NBF, "nbf", required=False)
    if issued_at is not None:
        report.extra["iat"] = utc_text(issued_at)
    if expires is not None:
        report.extra["exp"] = utc_text(expires)
    check_validity_period(report, issued_at=issued_at, expires=expires, clock=ctx.clock, key=key)
    if not_before is not None and not_before > ctx.clock.timestamp():
        report.fail(codes.NOT_YET_VALID, f"valid from {utc_text(not_before)}, after the clock")
        report.checks["validity_period"] = False


def revocation_hash(signature: bytes) -> bytes:
    """What a list of revoked health codes holds for a code: the hash of its COSE signature,
    as the EU's SIGNATURE hash is made (SHA-256 of r for ES256, truncated to 128 bits)."""
    from healthcert.trust.revocation import revocation_hash as digest
    from healthcert.trust.revocation import signature_part

    return digest(signature_part(signature))


def payload_revocation_hash(payload: str) -> bytes:
    """``revocation_hash`` of an issued payload, for the list the issuer keeps."""
    sign1, _ = decode(payload)
    return revocation_hash(sign1.signature)


def _check_revocation(report: Report, signature: bytes, revoked: frozenset[bytes]) -> None:
    if revocation_hash(signature) in revoked:
        report.fail(codes.REVOKED, "listed as revoked (by its signature hash)", "revocation")
    else:
        report.passed("revocation")


def _record(report: Report, content: dict[str, Any]) -> None:
    report.certificate = {
        "kind": name,
        "declaration_id": content["declaration_id"],
        "holder": content["holder"],
    }
    report.extra["verdict"] = content["colour"]
    report.extra["trip"] = content["trip"]


def _check_trip(report: Report, trip: dict[str, Any], context: VerificationContext) -> None:
    wanted = context.trip
    departure = _departure(trip["departure"])
    if wanted is None or departure is None:
        return
    if trip["transport"] == wanted.transport and departure.date() == wanted.day:
        report.passed("trip")
        return
    report.fail(
        codes.TRIP_MISMATCH,
        f"the code is for {trip['transport']} departing {departure.date().isoformat()}, "
        f"not {wanted}",
        "trip",
    )


def encode(
    code: HealthCode,
    *,
    issuer_country: str,
    issued_at: datetime,
    expires: datetime,
    signer: cose.SigningKey,
) -> str:
    """Sign a health code and return its ``HCD1:`` payload."""
    claims = {
        cwt.CLAIM_ISS: issuer_country,
        cwt.CLAIM_IAT: int(issued_at.timestamp()),
        cwt.CLAIM_EXP: int(expires.timestamp()),
        CLAIM_HEALTH_CODE: _content(code),
    }
    return cwt.seal_many([claims], PREFIX, signer)[0]


def _content(code: HealthCode) -> dict[str, Any]:
    trip, holder = code.trip, code.holder
    written_trip: dict[str, Any] = {
        "dc": trip.destination_country,
        "dt": trip.departure.isoformat(timespec="minutes"),
        "tr": trip.transport,
        "pe": trip.port_of_entry,
        "oc": trip.origin_country,
    }
    if trip.origin_city:
        written_trip["oy"] = trip.origin_city
    if trip.via:
        written_trip["vi"] = list(trip.via)
    return {
        "c": code.colour.value,
        "d": code.declaration_id,
        "t": written_trip,
        "h": {
            "fn": holder.family_name,
            "gn": holder.given_name,
            "fnt": holder.family_name_latin,
            "gnt": holder.given_name_latin,
            "dob": holder.date_of_birth.isoformat(),
            "dt": holder.document_type,
            "dc": holder.document_country,
            "dn": holder.document_number,
        },
    }
