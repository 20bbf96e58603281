"""Health codes ``HCD1:``: issued with real keys by ``issuance.issue_health_code`` and read back
by the real verification pipeline, each colour, each refusal."""

from __future__ import annotations

import dataclasses
import zlib
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.codec import base45, qr
from healthcert.errors import RequestError
from healthcert.formats import cwt
from healthcert.formats.base import TripQuery
from healthcert.formats.health_code import code as hcd
from healthcert.formats.health_code.model import (
    GREEN_AFTER_DEPARTURE,
    RED_VALIDITY,
    YELLOW_VALIDITY,
    Colour,
    HealthCode,
    HealthCodeHolder,
    Trip,
)
from healthcert.issuance import IssueRequest, issue_hc1, issue_health_code
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.eku import HEALTH_CODE_OID, kinds_from_certificate
from healthcert.keys.material import CertifiedKey
from healthcert.keys.signer import Signer, signer_from
from healthcert.model.kinds import ALL_KINDS, EntryKind
from healthcert.report import Report
from healthcert.trust.certificates import import_certificates
from healthcert.trust.store import TrustStore
from healthcert.verification import context, verify_payload

from ..rules.certs import HOLDER, vaccination

KEYS_MADE = datetime(2026, 1, 1, tzinfo=UTC)
ISSUED = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)
# CA982 leaves San Francisco at 23:40 local time (UTC-8) on 9 December: 07:40 UTC on the 10th.
DEPARTURE = datetime(2026, 12, 9, 23, 40, tzinfo=timezone(timedelta(hours=-8)))
HEALTH_CODES = frozenset({EntryKind.HEALTH_CODE})


@cache
def _csca() -> CertifiedKey:
    return create_csca("CN", now=KEYS_MADE)


@cache
def _dsc(kinds: frozenset[EntryKind]) -> CertifiedKey:
    return create_dsc(_csca(), kinds, now=KEYS_MADE)


def signer(kinds: frozenset[EntryKind] = HEALTH_CODES) -> Signer:
    return signer_from(_dsc(kinds))


@cache
def trust() -> TrustStore:
    store = TrustStore()
    for kinds in (HEALTH_CODES, ALL_KINDS):
        pem = _dsc(kinds).certificate.public_bytes(Encoding.PEM)
        store.add_batch(import_certificates(pem, f"dsc-{len(kinds)}.pem"))
    return store


def health_code(colour: Colour = Colour.GREEN, departure: datetime = DEPARTURE) -> HealthCode:
    return HealthCode(
        colour=colour,
        trip=Trip(
            destination_country="CN",
            departure=departure,
            transport="CA982",
            port_of_entry="PEK",
            origin_country="US",
            origin_city="San Francisco",
            via=("ICN",),
        ),
        holder=HealthCodeHolder(
            family_name="王",
            given_name="小明",
            family_name_latin="WANG",
            given_name_latin="XIAO<MING",
            date_of_birth=date(1985, 7, 21),
            document_type="P",
            document_country="CN",
            document_number="E12345678",
        ),
        declaration_id="DECL-2026-000123",
    )


def verify(
    payload: str, clock: datetime = ISSUED + timedelta(hours=1), **options: object
) -> Report:
    return verify_payload(payload, context(trust(), clock, **options))  # type: ignore[arg-type]


def codes_of(report: Report) -> list[str]:
    return [str(code) for code in report.error_codes]


@pytest.mark.parametrize(
    ("colour", "expires"),
    [
        (Colour.GREEN, DEPARTURE + GREEN_AFTER_DEPARTURE),
        (Colour.YELLOW, ISSUED + YELLOW_VALIDITY),
        (Colour.RED, ISSUED + RED_VALIDITY),
    ],
)
def test_each_colour_is_issued_and_verified(colour: Colour, expires: datetime) -> None:
    payload = issue_health_code(health_code(colour), signer(), ISSUED)
    assert payload.startswith("HCD1:")
    report = verify(payload)
    assert (report.valid, report.errors, report.format) == (True, [], "health-code")
    assert report.checks == {
        "decode": True,
        "schema": True,
        "signature": True,
        "validity_period": True,
        "key_usage": True,
    }
    document = report.to_dict()
    assert document["verdict"] == colour.value
    assert document["exp"] == expires.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert document["iat"] == "2026-12-09T08:00:00Z"
    assert document["issuer"] == {"country": "CN", "kid": report.issuer["kid"]}
    assert document["trip"] == {
        "destination_country": "CN",
        "departure": "2026-12-09T23:40-08:00",
        "transport": "CA982",
        "port_of_entry": "PEK",
        "origin_country": "US",
        "origin_city": "San Francisco",
        "via": ["ICN"],
    }
    assert document["certificate"] == {
        "kind": "health-code",
        "declaration_id": "DECL-2026-000123",
        "holder": {
            "family_name": "王",
            "given_name": "小明",
            "family_name_latin": "WANG",
            "given_name_latin": "XIAO<MING",
            "date_of_birth": "1985-07-21",
            "document_type": "P",
            "document_country": "CN",
            "document_number": "E12345678",
        },
    }


def test_the_code_fits_a_phone_qr_and_reads_back_from_its_image() -> None:
    payload = issue_health_code(health_code(), signer(), ISSUED)
    assert len(payload) < 600  # a version 14 QR code at level Q holds 535 alphanumerics
    assert qr.default_error_level(payload) == "Q"
    assert qr.read_image(qr.image_bytes(payload, "png")) == [payload]


def test_a_forged_signature_is_refused() -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    forger = dataclasses.replace(signer(), private_key=other)  # the genuine DSC's kid
    report = verify(issue_health_code(health_code(), forger, ISSUED))
    assert codes_of(report) == ["SIGNATURE_INVALID"]
    assert report.checks["signature"] is False and not report.valid


def test_a_changed_byte_is_refused() -> None:
    payload = issue_health_code(health_code(Colour.RED), signer(), ISSUED)
    signed = zlib.decompress(base45.decode(payload[len(hcd.PREFIX) :]))
    assert signed.count(b"E12345678") == 1
    altered = signed.replace(b"E12345678", b"E12345679")
    forged = hcd.PREFIX + base45.encode(zlib.compress(altered))
    report = verify(forged)
    assert codes_of(report) == ["SIGNATURE_INVALID"]
    assert report.certificate is not None  # what it claims is still shown, untrusted
    assert report.certificate["holder"]["document_number"] == "E12345679"


def test_an_expired_code_is_refused() -> None:
    payload = issue_health_code(health_code(Colour.YELLOW), signer(), ISSUED)
    report = verify(payload, ISSUED + YELLOW_VALIDITY + timedelta(seconds=1))
    assert codes_of(report) == ["EXPIRED"]
    assert report.checks["validity_period"] is False
    assert report.to_dict()["verdict"] == "yellow"  # still shown: the operator sees why


def test_a_green_code_ends_a_day_after_departure() -> None:
    payload = issue_health_code(health_code(), signer(), ISSUED)
    end = DEPARTURE + GREEN_AFTER_DEPARTURE
    assert verify(payload, end).valid
    assert codes_of(verify(payload, end + timedelta(seconds=1))) == ["EXPIRED"]


def test_a_code_never_outlives_its_dsc() -> None:
    dsc_end = signer().not_after
    code = health_code(departure=dsc_end + timedelta(days=2))
    payload = issue_health_code(code, signer(), dsc_end - timedelta(hours=3))
    assert verify(payload, dsc_end - timedelta(hours=1)).to_dict()["exp"] == (
        dsc_end.strftime("%Y-%m-%dT%H:%M:%SZ")
    )


def test_a_green_code_past_its_departure_is_not_issued() -> None:
    with pytest.raises(RequestError, match="would already be expired"):
        issue_health_code(health_code(), signer(), DEPARTURE + timedelta(days=2))


# -- key usage --------------------------------------------------------------------------------


def test_only_a_named_usage_signs_health_codes() -> None:
    assert kinds_from_certificate(_dsc(HEALTH_CODES).certificate) == HEALTH_CODES
    # A DSC without an EKU may sign every kind of certificate, and no health code.
    assert EntryKind.HEALTH_CODE not in ALL_KINDS
    assert HEALTH_CODE_OID.startswith("2.25.")
    assert int(HEALTH_CODE_OID.removeprefix("2.25.")) < 2**128


def test_a_certificate_dsc_may_not_issue_health_codes() -> None:
    with pytest.raises(RequestError, match="may not sign health codes"):
        issue_health_code(health_code(), signer(ALL_KINDS), ISSUED)


def test_a_health_code_signed_by_a_certificate_dsc_is_refused() -> None:
    careless = dataclasses.replace(signer(ALL_KINDS), kinds=HEALTH_CODES)
    report = verify(issue_health_code(health_code(), careless, ISSUED))
    assert codes_of(report) == ["KEY_USAGE_MISMATCH"]
    assert report.errors[0].message == (
        "the signer may sign recovery, test, vaccination, not health-code"
    )
    assert (report.checks["signature"], report.checks["key_usage"], report.valid) == (
        True,
        False,
        False,
    )


def test_a_health_code_dsc_may_not_issue_certificates() -> None:
    request = IssueRequest.model_validate({"holder": HOLDER, "entry": vaccination()})
    with pytest.raises(RequestError, match="may not sign vaccination"):
        issue_hc1(request, signer(), now=ISSUED)


def test_a_certificate_signed_by_a_health_code_dsc_is_refused() -> None:
    careless = dataclasses.replace(signer(), kinds=ALL_KINDS)
    request = IssueRequest.model_validate({"holder": HOLDER, "entry": vaccination()})
    report = verify(issue_hc1(request, careless, now=ISSUED))
    assert codes_of(report) == ["KEY_USAGE_MISMATCH"]
    assert report.errors[0].message == "the signer may sign health-code, not vaccination"


# -- trip -------------------------------------------------------------------------------------


def test_the_trip_asked_for_is_accepted() -> None:
    payload = issue_health_code(health_code(), signer(), ISSUED)
    # The local departure date: 23:40 in San Francisco is already the 10th in UTC.
    report = verify(payload, trip=TripQuery.parse("ca982@2026-12-09"))
    assert (report.valid, report.checks["trip"]) == (True, True)


@pytest.mark.parametrize(
    ("asked", "message"),
    [
        ("CA981@2026-12-09", "the code is for CA982 departing 2026-12-09, not CA981@2026-12-09"),
        ("CA982@2026-12-10", "the code is for CA982 departing 2026-12-09, not CA982@2026-12-10"),
    ],
)
def test_another_trip_is_refused(asked: str, message: str) -> None:
    payload = issue_health_code(health_code(), signer(), ISSUED)
    report = verify(payload, trip=TripQuery.parse(asked))
    assert [(str(error.code), error.message) for error in report.errors] == [
        ("TRIP_MISMATCH", message)
    ]
    assert (report.valid, report.checks["trip"], report.checks["signature"]) == (False, False, True)


def test_with_a_trip_a_certificate_is_refused() -> None:
    request = IssueRequest.model_validate({"holder": HOLDER, "entry": vaccination()})
    payload = issue_hc1(request, signer(ALL_KINDS), now=ISSUED)
    assert verify(payload).valid
    report = verify(payload, trip=TripQuery.parse("CA982@2026-12-09"))
    assert codes_of(report) == ["TRIP_MISMATCH"]
    assert report.checks["trip"] is False and not report.valid


@pytest.mark.parametrize("text", ["CA982", "CA982@2026-13-01", "CA 982@2026-12-09", "@2026-12-09"])
def test_a_malformed_trip_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"TRANSPORT@YYYY-MM-DD|no calendar date"):
        TripQuery.parse(text)


# -- revocation and content -------------------------------------------------------------------


def test_a_revoked_code_is_refused_by_its_signature_hash() -> None:
    payload = issue_health_code(health_code(), signer(), ISSUED)
    other = issue_health_code(health_code(Colour.RED), signer(), ISSUED)
    revoked = frozenset({hcd.payload_revocation_hash(payload)})
    report = verify(payload, health_code_revocations=revoked)
    assert codes_of(report) == ["REVOKED"] and report.checks["revocation"] is False
    kept = verify(other, health_code_revocations=revoked)
    assert kept.valid and kept.checks["revocation"] is True
    assert "revocation" not in verify(payload).checks


def test_content_it_does_not_write_is_a_schema_failure() -> None:
    claims = {
        cwt.CLAIM_ISS: "CN",
        cwt.CLAIM_IAT: int(ISSUED.timestamp()),
        cwt.CLAIM_EXP: int((ISSUED + RED_VALIDITY).timestamp()),
        hcd.CLAIM_HEALTH_CODE: {"c": "blue", "d": "X", "t": {"dc": 1}, "h": []},
    }
    (payload,) = cwt.seal_many([claims], hcd.PREFIX, signer())
    report = verify(payload)
    assert codes_of(report) == ["SCHEMA_INVALID"]
    assert report.errors[0].message.startswith(
        "c (the colour) is not green, yellow or red; t.dc (destination country) is not a text"
    )
    assert (report.checks["signature"], report.certificate, report.valid) == (True, None, False)


def test_a_text_expiry_follows_the_typed_claims_rule() -> None:
    claims = {
        cwt.CLAIM_ISS: "CN",
        cwt.CLAIM_IAT: int(ISSUED.timestamp()),
        cwt.CLAIM_EXP: "2026-12-09T10:00:00Z",
        hcd.CLAIM_HEALTH_CODE: hcd._content(health_code(Colour.RED)),
    }
    (payload,) = cwt.seal_many([claims], hcd.PREFIX, signer())
    report = verify(payload)
    assert codes_of(report) == ["CLAIMS_INVALID"]
    assert report.errors[0].message == (
        "the exp claim holds text, not a number of seconds since 1970"
    )


def test_a_later_nbf_is_not_yet_valid() -> None:
    claims = {
        cwt.CLAIM_ISS: "CN",
        cwt.CLAIM_IAT: int(ISSUED.timestamp()),
        cwt.CLAIM_NBF: int((ISSUED + timedelta(hours=2)).timestamp()),
        cwt.CLAIM_EXP: int((ISSUED + YELLOW_VALIDITY).timestamp()),
        hcd.CLAIM_HEALTH_CODE: hcd._content(health_code(Colour.YELLOW)),
    }
    (payload,) = cwt.seal_many([claims], hcd.PREFIX, signer())
    assert codes_of(verify(payload)) == ["NOT_YET_VALID"]
    assert verify(payload, ISSUED + timedelta(hours=3)).valid


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"transport": "CA 982"}, "trip.transport"),
        ({"departure": datetime(2026, 12, 9, 23, 40)}, "trip.departure"),
        ({"destination_country": "China"}, "trip.destination_country"),
    ],
)
def test_a_trip_it_cannot_carry_is_refused_on_issue(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(RequestError, match=message):
        dataclasses.replace(health_code().trip, **change)  # type: ignore[arg-type]
