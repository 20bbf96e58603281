"""The short cuts of SMART Health Card verification give the answers of the long way."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcert import report as codes
from healthcert.codec import b64, jws
from healthcert.formats.base import VerificationContext, check_validity_period, time_claim
from healthcert.formats.shc import card as shc
from healthcert.formats.shc.issuers import ShcIssuers
from healthcert.model.kinds import ALL_KINDS
from healthcert.report import Report
from healthcert.trust.entry import TrustedKey
from healthcert.trust.store import ImportBatch, TrustStore

ISS = "https://health.example.org/shc"
KEY = ec.generate_private_key(ec.SECP256R1())
CLOCK = dt.datetime(2024, 3, 2, tzinfo=dt.UTC)
HEADER = {"zip": "DEF", "alg": "ES256", "kid": shc.issuer_jwk(KEY.public_key())["kid"]}
CLAIMS: dict[str, Any] = {
    "iss": ISS,
    "nbf": 1709283600,
    "vc": {
        "type": [shc.HEALTH_CARD_TYPE],
        "credentialSubject": {
            "fhirVersion": "4.0.1",
            "fhirBundle": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [
                    {
                        "fullUrl": "resource:0",
                        "resource": {
                            "resourceType": "Patient",
                            "name": [{"family": "Ng", "given": ["Wei"]}],
                            "birthDate": "1990",
                        },
                    },
                    {
                        "fullUrl": "resource:1",
                        "resource": {
                            "resourceType": "Immunization",
                            "status": "completed",
                            "vaccineCode": {
                                "coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "207"}]
                            },
                            "patient": {"reference": "resource:0"},
                            "occurrenceDateTime": "2024-02-12",
                        },
                    },
                ],
            },
        },
    },
}


def _token(header: dict[str, Any], claims: dict[str, Any], key: Any = KEY) -> str:
    payload = jws.deflate_raw(json.dumps(claims).encode())
    signing_input = (
        f"{b64.urlsafe_encode(json.dumps(header).encode())}.{b64.urlsafe_encode(payload)}"
    )
    return f"{signing_input}.{b64.urlsafe_encode(jws.sign(key, signing_input.encode()))}"


def _verify(payload: str, *, trust: TrustStore | None = None, bound: bool = True) -> Report:
    issuers = ShcIssuers()
    if bound:
        issuers.add_jwks(ISS, {"keys": [shc.issuer_jwk(KEY.public_key())]}, country="DE")
    context = VerificationContext(
        trust=trust if trust is not None else TrustStore(), clock=CLOCK, shc_issuers=issuers
    )
    report = Report(input="card")
    shc.verify_into(report, payload, context)
    return report


def test_a_header_once_read_is_not_read_again_but_a_bad_one_always_is() -> None:
    card = _token(HEADER, CLAIMS)
    assert _verify(card).valid
    assert card.split(".")[0].encode() in shc._KID_BY_HEADER
    assert _verify(card).valid  # from what was kept
    bad = _token({**HEADER, "alg": "ES384"}, CLAIMS)
    for _ in range(2):
        report = _verify(bad)
        assert report.error_codes == [codes.HEADER_INVALID]
        assert "ES384" in report.errors[0].message
    assert bad.split(".")[0].encode() not in shc._KID_BY_HEADER


def test_the_kept_headers_are_bounded() -> None:
    for index in range(shc._MAX_KEPT_HEADERS + 5):
        assert _verify(_token({**HEADER, "n": index}, CLAIMS)).valid
    assert len(shc._KID_BY_HEADER) <= shc._MAX_KEPT_HEADERS


def _trusted(public_key: Any) -> TrustStore:
    store = TrustStore()
    key = TrustedKey(
        kid=b64.urlsafe_decode(HEADER["kid"]),
        public_key=public_key,
        source="test",
        types=ALL_KINDS,
        issuer_url=ISS,
    )
    store.add_batch(ImportBatch(keys=[key]))
    return store


def test_keys_in_the_trust_store_are_checked_for_their_kind_and_curve() -> None:
    card = _token(HEADER, CLAIMS)
    assert _verify(card, trust=_trusted(KEY.public_key()), bound=False).valid
    for other in (
        rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key(),
        ec.generate_private_key(ec.SECP384R1()).public_key(),
    ):
        report = _verify(card, trust=_trusted(other), bound=False)
        assert report.error_codes == [codes.SIGNATURE_INVALID]


# --- the validity period -------------------------------------------------------------------

_SECONDS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(1709280000, 1709460000),
    st.integers(-(2**40), 2**40),
    st.floats(1709280000, 1709460000),
    st.just(1709337600),  # the clock itself
    st.just("1709337600"),
)
_BOUNDS = st.one_of(
    st.none(),
    st.datetimes(dt.datetime(2024, 2, 28), dt.datetime(2024, 3, 5), timezones=st.just(dt.UTC)),
)


def _long_way(claims: dict[str, Any], key: TrustedKey | None, clock: dt.datetime) -> Report:
    report = Report(input="x")
    issued = time_claim(report, claims, "nbf", "nbf", required=True)
    expires = time_claim(report, claims, "exp", "exp", required=False)
    check_validity_period(report, issued_at=issued, expires=expires, clock=clock, key=key)
    return report


@settings(max_examples=400, deadline=None)
@given(
    nbf=_SECONDS,
    exp=_SECONDS,
    not_before=_BOUNDS,
    not_after=_BOUNDS,
    bare=st.booleans(),
    microseconds=st.sampled_from([0, 1, 999_999]),
)
def test_the_validity_period_is_judged_as_the_long_way_judges_it(
    nbf: Any,
    exp: Any,
    not_before: dt.datetime | None,
    not_after: dt.datetime | None,
    bare: bool,
    microseconds: int,
) -> None:
    clock = CLOCK.replace(microsecond=microseconds)
    claims = {"nbf": nbf} if exp is None else {"nbf": nbf, "exp": exp}
    key = None
    if not bare:
        key = TrustedKey(
            kid=b"k",
            public_key=KEY.public_key(),
            source="test",
            types=ALL_KINDS,
            not_before=not_before,
            not_after=not_after,
        )
    report = Report(input="x")
    shc._check_validity(report, claims, key, clock)
    expected = _long_way(claims, key, clock)
    assert (report.checks, report.errors) == (expected.checks, expected.errors)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_a_card_valid_from_the_clock_itself(offset: int) -> None:
    clock = dt.datetime.fromtimestamp(1709337600, dt.UTC)
    report = Report(input="x")
    shc._check_validity(report, {"nbf": 1709337600 + offset}, None, clock)
    assert report.checks["validity_period"] is (offset <= 0)


# --- a batch, stage by stage ---------------------------------------------------------------

OTHER_KEY = ec.generate_private_key(ec.SECP256R1())


def _batch_payloads() -> list[str]:
    card = _token(HEADER, CLAIMS)
    header, payload, signature = card.split(".")
    unsupported = json.loads(json.dumps(CLAIMS))
    unsupported["vc"]["credentialSubject"]["fhirBundle"]["entry"].pop()
    untyped = {**CLAIMS, "vc": {**CLAIMS["vc"], "type": ["x"]}}
    return [
        shc.to_numeric(card),
        card,
        _token(HEADER, {**CLAIMS, "nbf": 1809283600}),  # not yet valid
        _token(HEADER, {**CLAIMS, "exp": 1709283601}),  # expired
        _token(HEADER, {**CLAIMS, "nbf": "yesterday"}),
        _token(HEADER, unsupported),
        _token(HEADER, untyped),
        _token({**HEADER, "kid": "unknown"}, CLAIMS),
        _token(HEADER, {**CLAIMS, "iss": "https://elsewhere.example/shc"}),
        _token(HEADER, CLAIMS, key=OTHER_KEY),  # the signature does not verify
        f"{header}.{payload}.{signature[:-4]}AAAA",
        _token({**HEADER, "zip": "GZIP"}, CLAIMS),
        f"{header}.{b64.urlsafe_encode(jws.deflate_raw(b'[1, 2]'))}.{signature}",
        "shc:/5678",
        "shc:/1/2/" + shc.to_numeric(card)[5:40],
        "eyJ.x.y",
        shc.to_numeric(card),  # the same card twice
    ]


def _reports(payloads: list[str], many: bool) -> list[dict[str, Any]]:
    issuers = ShcIssuers()
    issuers.add_jwks(ISS, {"keys": [shc.issuer_jwk(KEY.public_key())]}, country="DE")
    issuers.add_crl(ISS, {"kid": HEADER["kid"], "method": "rid", "ctr": 1, "rids": ["gone"]})
    context = VerificationContext(trust=TrustStore(), clock=CLOCK, shc_issuers=issuers)
    reports = [Report(input=str(index)) for index in range(len(payloads))]
    if many:
        shc.verify_many(list(zip(reports, payloads, strict=True)), context)
    else:
        for report, payload in zip(reports, payloads, strict=True):
            shc.verify_into(report, payload, context)
    return [report.to_dict() for report in reports]


def test_a_batch_reports_what_each_card_alone_reports() -> None:
    payloads = _batch_payloads()
    alone = _reports(payloads, many=False)
    assert _reports(payloads, many=True) == alone
    assert _reports(payloads[::-1], many=True) == [
        {**report, "input": str(index)} for index, report in enumerate(alone[::-1])
    ]
    # The batch held every outcome, not only one.
    assert {report["valid"] for report in alone} == {True, False}
    assert len({tuple(error["code"] for error in r["errors"]) for r in alone}) >= 10
