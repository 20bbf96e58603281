"""Issuing SMART Health Cards and verifying them back; each way a card fails has its own code."""

import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from healthcert import report as codes
from healthcert.codec import b64, jws, shc_numeric
from healthcert.errors import RequestError
from healthcert.formats.base import VerificationContext
from healthcert.formats.shc import card as shc
from healthcert.formats.shc.issuers import ShcIssuers
from healthcert.model import codes as model_codes
from healthcert.model.certificate import Certificate, Holder, Recovery, TestResult, Vaccination
from healthcert.report import Report
from healthcert.trust.store import TrustStore

ISS = "https://health.example.org/shc"
OTHER_ISS = "https://other.example.net/issuer"
SIGNED = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
CLOCK = dt.datetime(2024, 3, 2, tzinfo=dt.UTC)
ISSUER_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())

VACCINATION = Certificate(
    holder=Holder(family_name="Müller-Łęcka", given_name="Zoë Anaïs", date_of_birth="1985-11-02"),
    entry=Vaccination(
        vaccine="1119349007",
        product="EU/1/20/1528",
        manufacturer="ORG-100030215",
        dose_number=2,
        total_doses=2,
        date=dt.date(2024, 2, 12),
        country="DE",
        issuer="Robert Koch-Institut",
        certificate_id="URN:UVCI:01:DE:SHC/ROUNDTRIP#1",
    ),
)
TEST = Certificate(
    holder=Holder(family_name="Ng", given_name="Wei", date_of_birth="1990"),
    entry=TestResult(
        test_type=model_codes.TEST_TYPE_RAPID_ANTIGEN,
        sample_time=dt.datetime(2024, 3, 1, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        result=model_codes.RESULT_NOT_DETECTED,
        centre="Harbourside Test Centre",
        country="DE",
        issuer="Robert Koch-Institut",
        certificate_id="URN:UVCI:01:DE:SHC/TEST#2",
    ),
)


def _jwk(key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    return dict(shc.issuer_jwk(key.public_key()))


def _kid(key: ec.EllipticCurvePrivateKey) -> str:
    return str(_jwk(key)["kid"])


def _issuers(*, crl_version: int | None = None) -> ShcIssuers:
    issuers = ShcIssuers()
    jwk = _jwk(ISSUER_KEY)
    if crl_version is not None:
        jwk["crlVersion"] = crl_version
    issuers.add_jwks(ISS, {"keys": [jwk]}, name="Robert Koch-Institut", country="DE")
    issuers.add_jwks(OTHER_ISS, {"keys": [_jwk(OTHER_KEY)]}, name="Other", country="FR")
    return issuers


def _verify(
    payload: str, *, clock: dt.datetime = CLOCK, issuers: ShcIssuers | None = None
) -> Report:
    context = VerificationContext(
        trust=TrustStore(), clock=clock, shc_issuers=issuers if issuers is not None else _issuers()
    )
    report = Report(input="card")
    shc.verify_into(report, payload, context)
    return report


def _card(cert: Certificate = VACCINATION, **options: Any) -> str:
    arguments: dict[str, Any] = {"kid": None, "iss": ISS, "nbf": SIGNED, **options}
    key = arguments.pop("key", ISSUER_KEY)
    return shc.encode(
        cert, key, arguments.pop("kid"), arguments.pop("iss"), arguments.pop("nbf"), **arguments
    )


def _token(
    header: dict[str, Any], claims: dict[str, Any], key: ec.EllipticCurvePrivateKey = ISSUER_KEY
) -> str:
    """A JWS with any header, signed correctly: for the checks after the signature."""
    payload = jws.deflate_raw(json.dumps(claims).encode())
    signing_input = (
        f"{b64.urlsafe_encode(json.dumps(header).encode())}.{b64.urlsafe_encode(payload)}"
    )
    return f"{signing_input}.{b64.urlsafe_encode(jws.sign(key, signing_input.encode()))}"


def _claims(card: str) -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(jws.inflate_raw(jws.parse_compact(card).payload))
    return claims


@pytest.mark.parametrize("cert", [VACCINATION, TEST], ids=["vaccination", "test"])
def test_round_trip_through_the_numeric_qr(cert: Certificate) -> None:
    card = _card(cert, exp=SIGNED + dt.timedelta(days=365))
    qr = shc.to_numeric(card)
    assert qr.startswith("shc:/") and qr[5:].isdigit()
    report = _verify(qr)
    assert report.valid, report.errors
    assert report.issuer == {
        "country": "DE",
        "kid": _kid(ISSUER_KEY),
        "iss": ISS,
        "name": "Robert Koch-Institut",
    }
    assert report.certificate == cert.model_dump(mode="json")
    assert Certificate.model_validate(report.certificate) == cert


def test_issuer_jwk_is_what_the_framework_publishes() -> None:
    jwk = shc.issuer_jwk(ISSUER_KEY.public_key())
    assert set(jwk) == {"kty", "crv", "x", "y", "use", "alg", "kid"}
    assert (jwk["kty"], jwk["crv"], jwk["use"], jwk["alg"]) == ("EC", "P-256", "sig", "ES256")
    assert jwk["kid"] == jws.jwk_thumbprint(jwk)
    assert jws.parse_compact(_card()).header["kid"] == jwk["kid"]


def test_issued_card_follows_the_framework() -> None:
    card = _card(rid="abc_DEF-123")
    token = jws.parse_compact(card)
    assert token.header == {"zip": "DEF", "alg": "ES256", "kid": _kid(ISSUER_KEY)}
    claims = _claims(card)
    assert claims["iss"] == ISS and claims["nbf"] == int(SIGNED.timestamp()) and "exp" not in claims
    assert claims["vc"]["type"] == [shc.HEALTH_CARD_TYPE]
    assert claims["vc"]["rid"] == "abc_DEF-123"
    bundle = claims["vc"]["credentialSubject"]["fhirBundle"]
    assert [entry["fullUrl"] for entry in bundle["entry"]] == ["resource:0", "resource:1"]
    immunization = bundle["entry"][1]["resource"]
    assert immunization["vaccineCode"] == {
        "coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "208"}]
    }
    assert b" " not in jws.inflate_raw(token.payload).split(b'"fhirBundle"')[0]  # minified


def test_file_of_several_cards() -> None:
    cards = [_card(), _card(TEST)]
    text = shc.to_file(cards)
    assert shc.cards_from_file(text) == cards
    report = _verify(text)
    assert report.error_codes == [codes.INPUT_UNREADABLE]


def test_tampered_payload() -> None:
    card = _card()
    claims = _claims(card)
    claims["vc"]["credentialSubject"]["fhirBundle"]["entry"][0]["resource"]["birthDate"] = (
        "1955-11-02"
    )
    header_b64, _, signature_b64 = card.split(".")
    forged = jws.deflate_raw(json.dumps(claims, separators=(",", ":")).encode())
    report = _verify(f"{header_b64}.{b64.urlsafe_encode(forged)}.{signature_b64}")
    assert report.error_codes == [codes.SIGNATURE_INVALID]
    assert report.checks["signature"] is False
    assert report.checks["schema"] is True  # still read, for the operator to see


def test_wrong_kid() -> None:
    report = _verify(_card(kid=_kid(OTHER_KEY).replace("A", "B").replace("a", "b") + "x"))
    assert report.error_codes == [codes.KID_UNKNOWN]


def test_key_of_another_trusted_issuer() -> None:
    report = _verify(_card(key=OTHER_KEY))
    assert report.error_codes == [codes.KID_UNKNOWN]
    assert OTHER_ISS in report.errors[0].message


def test_issuer_not_trusted() -> None:
    report = _verify(_card(key=OTHER_KEY, iss="https://unknown.example/shc"))
    assert report.error_codes == [codes.ISSUER_UNKNOWN]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ({"zip": "DEF", "alg": "ES384", "kid": "k"}, "ES384"),
        ({"zip": "DEF", "alg": "none", "kid": "k"}, "none"),
        ({"zip": "DEF", "alg": "ES256"}, "kid"),
        ({"zip": "DEF", "alg": "ES256", "kid": ""}, "kid"),
        ({"alg": "ES256", "kid": "k"}, "zip"),
        ({"zip": "GZIP", "alg": "ES256", "kid": "k"}, "zip"),
    ],
)
def test_unknown_algorithm_and_incomplete_headers(header: dict[str, Any], message: str) -> None:
    report = _verify(_token(header, _claims(_card())))
    assert report.error_codes == [codes.HEADER_INVALID]
    assert message in report.errors[0].message


def test_der_signature_is_invalid() -> None:
    header_b64, payload_b64, _ = _card().split(".")
    der = ISSUER_KEY.sign(f"{header_b64}.{payload_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    report = _verify(f"{header_b64}.{payload_b64}.{b64.urlsafe_encode(der)}")
    assert report.error_codes == [codes.SIGNATURE_INVALID]


def test_inflated_payload_over_the_limit() -> None:
    claims = _claims(_card())
    claims["padding"] = "0" * 70_000
    header = {"zip": "DEF", "alg": "ES256", "kid": _kid(ISSUER_KEY)}
    card = _token(header, claims)
    assert len(card) < 2000  # small on the wire, large once inflated
    report = _verify(card)
    assert report.error_codes == [codes.INPUT_TOO_LARGE]
    assert report.checks["decode"] is False


def test_not_yet_valid_card() -> None:
    report = _verify(_card(nbf=CLOCK + dt.timedelta(hours=1)))
    assert report.error_codes == [codes.NOT_YET_VALID]
    assert report.checks["validity_period"] is False


def test_expired_card() -> None:
    report = _verify(_card(exp=CLOCK - dt.timedelta(seconds=1)))
    assert report.error_codes == [codes.EXPIRED]


def test_nbf_is_required() -> None:
    claims = _claims(_card())
    del claims["nbf"]
    report = _verify(_token({"zip": "DEF", "alg": "ES256", "kid": _kid(ISSUER_KEY)}, claims))
    assert report.error_codes == [codes.CLAIM_MISSING]
    assert report.errors[0].message == "the nbf claim is required and absent"
    assert report.checks["validity_period"] is False


def test_credential_type_must_be_health_card() -> None:
    claims = _claims(_card())
    claims["vc"]["type"] = ["https://smarthealth.cards#covid19"]
    report = _verify(_token({"zip": "DEF", "alg": "ES256", "kid": _kid(ISSUER_KEY)}, claims))
    assert report.error_codes == [codes.SCHEMA_INVALID]
    assert report.checks["schema"] is False and report.checks["signature"] is True


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("shc:/5676290952432060346029243740", codes.JWS_INVALID),
        ("shc:/567", codes.NUMERIC_INVALID),
        ("eyJ.eHh4.eXl5", codes.HEADER_INVALID),
        ("eyJ.x.eXl5", codes.JWS_INVALID),
    ],
)
def test_undecodable_payloads(payload: str, code: str) -> None:
    report = _verify(payload)
    assert report.error_codes == [code]
    assert report.checks["decode"] is False


def test_payload_that_is_not_json() -> None:
    header = b64.urlsafe_encode(json.dumps({"zip": "DEF", "alg": "ES256", "kid": "k"}).encode())
    body = b64.urlsafe_encode(jws.deflate_raw(b"not json"))
    report = _verify(f"{header}.{body}.AAAA")
    assert report.error_codes == [codes.JSON_INVALID]


def test_stale_crl_is_noted() -> None:
    issuers = _issuers(crl_version=3)
    issuers.add_crl(ISS, {"kid": _kid(ISSUER_KEY), "method": "rid", "ctr": 2, "rids": ["gone"]})
    report = _verify(_card(rid="kept"), issuers=issuers)
    assert report.valid and report.checks["revocation"] is True
    assert "version 2" in report.extra["revocation"]
    revoked = _verify(_card(rid="gone"), issuers=issuers)
    assert revoked.error_codes == [codes.REVOKED]


def test_looks_like() -> None:
    assert shc.looks_like("shc:/5676")
    assert shc.looks_like("SHC:/1/2/5676")
    assert shc.looks_like(_card())
    assert shc.looks_like('{"verifiableCredential": []}')
    assert not shc.looks_like("HC1:6BF")
    assert not shc.looks_like('{"data": {}, "sig": {}}')
    assert not shc.looks_like("eyJhbGciOiJFUzI1NiJ9.only-two")


def test_refused_issue_requests() -> None:
    recovery = Certificate(
        holder=VACCINATION.holder,
        entry=Recovery(
            first_positive=dt.date(2024, 1, 1),
            country="DE",
            issuer="RKI",
            valid_from=dt.date(2024, 1, 12),
            valid_until=dt.date(2024, 6, 30),
            certificate_id="URN:UVCI:01:DE:R",
        ),
    )
    with pytest.raises(RequestError, match="recovery"):
        _card(recovery)
    with pytest.raises(RequestError, match="trailing"):
        _card(iss=ISS + "/")
    with pytest.raises(RequestError, match="P-256"):
        _card(key=ec.generate_private_key(ec.SECP384R1()))
    unknown_product = VACCINATION.model_copy(
        update={"entry": VACCINATION.entry.model_copy(update={"product": "Mystery-Vax"})}
    )
    with pytest.raises(RequestError, match="Mystery-Vax"):
        _card(unknown_product)


def test_chunked_payload_numeric_round_trip() -> None:
    card = _card()
    digits = shc_numeric.encode_digits(card)
    half = len(digits) // 4 * 2
    chunks = [f"shc:/1/2/{digits[:half]}", f"shc:/2/2/{digits[half:]}"]
    assert _verify("\n".join(chunks)).valid
