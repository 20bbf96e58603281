"""Light certificates ``HCL1:``: made by ``issuance.issue_light`` from a verified certificate
with real keys, read back by the real verification pipeline; what they carry, how long they
last, who may sign them, revocation and the domestic-only verdict."""

from __future__ import annotations

import json
import zlib
from datetime import timedelta
from functools import cache

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.codec import base45
from healthcert.errors import RequestError
from healthcert.formats import cwt
from healthcert.formats.light import certificate as light
from healthcert.issuance import issue_health_code, issue_light
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.signer import Signer, signer_from
from healthcert.model.kinds import EntryKind
from healthcert.report import Report
from healthcert.rules.policy import load_policies
from healthcert.rules.verdict import NOT_FOR_ENTRY, Journey, Verdict, judge
from healthcert.trust.certificates import import_certificates
from healthcert.trust.revocation import SIGNATURE, DccRevocations, revocation_hash, signature_part
from healthcert.trust.store import TrustStore
from healthcert.verification import context, verify_payload

from ..rules.certs import CLOCK, HOLDER, Issuer, lab_test, make_issuer, vaccination
from .test_health_code import health_code

HEALTH_CODES = frozenset({EntryKind.HEALTH_CODE})


@cache
def issuer() -> Issuer:
    return make_issuer("DE")


@cache
def health_code_signer() -> tuple[Signer, TrustStore]:
    csca = create_csca("DE", now=CLOCK - timedelta(days=300))
    dsc = create_dsc(csca, HEALTH_CODES, now=CLOCK - timedelta(days=300))
    store = TrustStore()
    store.add_batch(import_certificates(dsc.certificate.public_bytes(Encoding.PEM), "hc.pem"))
    return signer_from(dsc), store


def source(entry: dict[str, object] | None = None, valid_days: int = 30) -> Report:
    payload = issuer().issue(entry or vaccination(), valid_days=valid_days)
    report = issuer().verify(payload)
    assert report.valid, report.to_dict()
    return report


def made(report: Report | None = None, **options: object) -> str:
    return issue_light(report or source(), issuer().signer, now=CLOCK, **options)  # type: ignore[arg-type]


def test_a_light_certificate_names_the_holder_and_nothing_of_their_health() -> None:
    payload = made()
    assert payload.startswith("HCL1:")
    report = issuer().verify(payload)
    assert report.valid, report.to_dict()
    assert report.format == "light"
    assert report.checks == {
        "decode": True,
        "schema": True,
        "signature": True,
        "validity_period": True,
        "key_usage": True,
    }
    assert report.certificate == {"kind": "light", "holder": HOLDER}
    assert report.extra == {"iat": "2026-11-20T08:00:00Z", "exp": "2026-11-22T08:00:00Z"}
    text = json.dumps(report.to_dict(), ensure_ascii=False)
    for health_data in ("vaccination", "EU/1/20/1528", "ORG-100030215", "dose", "URN:UVCI"):
        assert health_data not in text


def test_it_lasts_the_hours_asked_and_never_beyond_its_source() -> None:
    six_hours = issuer().verify(made(hours=6))
    assert six_hours.extra["exp"] == "2026-11-20T14:00:00Z"
    # A test certificate issued an hour before the clock and valid one day ends first.
    short_source = source(lab_test(), valid_days=1)
    bounded = issuer().verify(made(short_source))
    assert bounded.extra["exp"] == short_source.extra["exp"] == "2026-11-21T07:00:00Z"


@pytest.mark.parametrize("hours", [0, -1, 49, 1000])
def test_hours_beyond_the_limits_are_refused(hours: int) -> None:
    with pytest.raises(RequestError, match="1 to 48 hours"):
        made(hours=hours)


def test_an_invalid_source_is_refused_with_its_codes() -> None:
    report = issuer().verify(issuer().issue(vaccination()), CLOCK + timedelta(days=60))
    assert not report.valid
    with pytest.raises(RequestError, match="EXPIRED"):
        made(report)


def test_a_health_code_is_no_source() -> None:
    signer, store = health_code_signer()
    code = issue_health_code(health_code(), signer, now=CLOCK)
    report = verify_payload(code, context(store, CLOCK))
    with pytest.raises(RequestError, match="from a health certificate only"):
        made(report)


def test_a_dsc_for_health_codes_alone_may_not_sign_one() -> None:
    signer, _ = health_code_signer()
    with pytest.raises(RequestError, match="may sign no health certificate"):
        issue_light(source(), signer, now=CLOCK)


def test_a_verifier_refuses_one_signed_by_a_dsc_for_health_codes_alone() -> None:
    signer, store = health_code_signer()
    # Made by hand: issue_light itself refuses such a signer.
    payload = light.encode(
        HOLDER,
        issuer_country="DE",
        issued_at=CLOCK,
        expires=CLOCK + timedelta(hours=1),
        source_hash=None,
        signer=signer,
    )
    report = verify_payload(payload, context(store, CLOCK))
    assert report.error_codes == ["KEY_USAGE_MISMATCH"]
    assert report.checks["key_usage"] is False


def test_a_signer_that_writes_more_than_48_hours_is_refused() -> None:
    payload = light.encode(
        HOLDER,
        issuer_country="DE",
        issued_at=CLOCK,
        expires=CLOCK + timedelta(hours=48, seconds=1),
        source_hash=None,
        signer=issuer().signer,
    )
    report = issuer().verify(payload)
    assert report.error_codes == ["CLAIMS_INVALID"]
    assert report.checks["validity_period"] is False


def test_it_expires_after_its_hours() -> None:
    report = issuer().verify(made(hours=2), CLOCK + timedelta(hours=2, seconds=1))
    assert report.error_codes == ["EXPIRED"]


def test_a_revoked_source_revokes_its_light_certificate() -> None:
    original = source()
    assert original.payload is not None
    sign1 = cwt.decode_sign1(cwt.inflate(base45.decode(original.payload[4:])))
    listed = DccRevocations.of([(SIGNATURE, revocation_hash(signature_part(sign1.signature)))])
    payload = made(original)
    ctx = context(issuer().trust, CLOCK, dcc_revocations=listed)
    report = verify_payload(payload, ctx)
    assert report.error_codes == ["REVOKED"]
    assert report.checks["revocation"] is False
    others = context(issuer().trust, CLOCK, dcc_revocations=DccRevocations.of([]))
    assert verify_payload(payload, others).checks["revocation"] is True


def test_every_byte_is_signed() -> None:
    payload = made()
    body = bytearray(cwt.inflate(base45.decode(payload[5:])))
    refused = 0
    for position in range(len(body)):
        tampered = bytearray(body)
        tampered[position] ^= 0x01
        text = "HCL1:" + base45.encode(zlib.compress(bytes(tampered)))
        refused += not issuer().verify(text).valid
    assert refused == len(body)


def test_an_unreadable_claim_names_each_problem() -> None:
    payload = cwt.seal_many(
        [
            {
                cwt.CLAIM_ISS: 7,
                cwt.CLAIM_IAT: int(CLOCK.timestamp()),
                cwt.CLAIM_EXP: int(CLOCK.timestamp()) + 60,
                light.CLAIM_LIGHT: {"h": {"fn": 3, "dob": "21.07.1985"}, "r": b"short"},
            }
        ],
        "HCL1:",
        issuer().signer,
    )[0]
    report = issuer().verify(payload)
    assert report.error_codes == ["SCHEMA_INVALID"]
    message = report.errors[0].message
    for problem in ("iss claim", "h.fn", "neither fnt nor gnt", "h.dob", "r (the source"):
        assert problem in message
    assert report.certificate is None


@pytest.mark.parametrize(
    ("destination", "verdict", "reasons"),
    [("DE", Verdict.GREEN, []), ("FR", Verdict.RED, [NOT_FOR_ENTRY])],
)
def test_it_is_green_only_in_the_country_that_issued_it(
    destination: str, verdict: Verdict, reasons: list[str]
) -> None:
    report = issuer().verify(made())
    assert judge(report, load_policies(), Journey(destination), clock=CLOCK) is verdict
    assert [reason["code"] for reason in report.extra["verdict_reasons"]] == reasons


def test_an_invalid_one_is_red_at_home_too() -> None:
    report = issuer().verify(made(), CLOCK + timedelta(days=3))
    assert judge(report, load_policies(), Journey("DE"), clock=CLOCK) is Verdict.RED
    assert report.extra["verdict_reasons"][0]["code"] == "CERTIFICATE_INVALID"
