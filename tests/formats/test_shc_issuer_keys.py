"""Issuer keys as real SMART Health Card issuers publish them: coordinates one byte short or
long, numbers written as text, and a country the card itself does not carry."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from healthcert import report as codes
from healthcert.codec import b64, jws
from healthcert.formats.base import VerificationContext
from healthcert.formats.shc import card as shc
from healthcert.formats.shc.issuers import ShcIssuers
from healthcert.model.certificate import Certificate, Holder, Vaccination
from healthcert.report import Report
from healthcert.trust.jwks import import_jwks
from healthcert.trust.store import ImportBatch, TrustStore
from healthcert.trust.verifier import load_verifier_trust

ISS = "https://health.example.org/shc"
CLOCK = dt.datetime(2024, 3, 2, tzinfo=dt.UTC)
CERTIFICATE = Certificate(
    holder=Holder(family_name="Ng", given_name="Wei", date_of_birth="1990-04-01"),
    entry=Vaccination(
        vaccine="J07BX03",
        product="EU/1/20/1528",
        manufacturer="ORG-100030215",
        dose_number=1,
        total_doses=2,
        date=dt.date(2024, 2, 12),
        country="DE",
        issuer="Example Health",
        certificate_id="rid-1",
    ),
)
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())


def _key_with_a_leading_zero(coordinate: str) -> ec.EllipticCurvePrivateKey:
    """A real P-256 key whose ``coordinate`` starts with a zero byte (one key in 256)."""
    while True:
        key = ec.generate_private_key(ec.SECP256R1())
        if getattr(key.public_key().public_numbers(), coordinate) < 1 << 248:
            return key


ZERO_X_KEY = _key_with_a_leading_zero("x")
ZERO_Y_KEY = _key_with_a_leading_zero("y")
KEYS = {"x": ZERO_X_KEY, "y": ZERO_Y_KEY}


def _published(
    key: ec.EllipticCurvePrivateKey, coordinate: str, raw: bytes, *, kid: str = "as written"
) -> dict[str, Any]:
    """The issuer's JWK with ``coordinate`` written as ``raw`` bytes; its kid is the thumbprint
    of the members as written, or (``kid="full size"``) of the full-size form."""
    jwk: dict[str, Any] = {**jws.public_jwk(key.public_key()), "use": "sig", "alg": "ES256"}
    full = jws.jwk_thumbprint(jwk)
    jwk[coordinate] = b64.urlsafe_encode(raw)
    jwk["kid"] = full if kid == "full size" else jws.jwk_thumbprint(jwk)
    return jwk


def _coordinate(key: ec.EllipticCurvePrivateKey, coordinate: str) -> bytes:
    value: int = getattr(key.public_key().public_numbers(), coordinate)
    return value.to_bytes(32, "big")


def _short(key: ec.EllipticCurvePrivateKey, coordinate: str) -> bytes:
    full = _coordinate(key, coordinate)
    assert full[0] == 0
    return full[1:]


def _long(key: ec.EllipticCurvePrivateKey, coordinate: str) -> bytes:
    return b"\x00" + _coordinate(key, coordinate)


def _issuers(*jwks: dict[str, Any], country: str | None = None) -> ShcIssuers:
    issuers = ShcIssuers()
    issuers.add_jwks(ISS, {"keys": list(jwks)}, country=country)
    return issuers


def _verify(card: str, issuers: ShcIssuers) -> Report:
    context = VerificationContext(trust=TrustStore(), clock=CLOCK, shc_issuers=issuers)
    report = Report(input="card")
    shc.verify_into(report, card, context)
    return report


def _card(key: ec.EllipticCurvePrivateKey, kid: str) -> str:
    return shc.encode(CERTIFICATE, key, kid, ISS, nbf=dt.datetime(2024, 3, 1, tzinfo=dt.UTC))


@pytest.mark.parametrize("coordinate", ["x", "y"])
@pytest.mark.parametrize("written", [_short, _long], ids=["31 bytes", "33 bytes"])
@pytest.mark.parametrize("kid", ["as written", "full size"])
def test_a_coordinate_one_byte_short_or_long_is_read_and_its_cards_verify(
    coordinate: str, written: Any, kid: str
) -> None:
    key = KEYS[coordinate]
    jwk = _published(key, coordinate, written(key, coordinate), kid=kid)
    issuers = _issuers(jwk)
    assert issuers.skipped == []
    issuer = issuers.issuer(ISS)
    assert issuer is not None
    assert issuer.keys[jwk["kid"]].public_key.public_numbers() == key.public_key().public_numbers()
    report = _verify(_card(key, jwk["kid"]), issuers)
    assert report.valid, report.errors
    assert report.issuer["kid"] == jwk["kid"]


@pytest.mark.parametrize("written", [_short, _long], ids=["31 bytes", "33 bytes"])
def test_a_forged_card_under_a_normalised_key_is_still_refused(written: Any) -> None:
    jwk = _published(ZERO_X_KEY, "x", written(ZERO_X_KEY, "x"))
    issuers = _issuers(jwk)
    forged = _card(OTHER_KEY, jwk["kid"])  # another key signs under the issuer's kid
    assert _verify(forged, issuers).error_codes == [codes.SIGNATURE_INVALID]
    genuine = _card(ZERO_X_KEY, jwk["kid"])
    head, _, signature = genuine.rpartition(".")
    flipped = bytearray(b64.urlsafe_decode(signature))
    flipped[5] ^= 1
    tampered = f"{head}.{b64.urlsafe_encode(bytes(flipped))}"
    assert _verify(tampered, issuers).error_codes == [codes.SIGNATURE_INVALID]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (lambda full: full[2:], "'x' is 30 bytes; P-256 coordinates are 32 bytes"),
        (lambda full: b"\x01" + full, "'x' is 33 bytes and does not start with a zero byte"),
        (lambda full: b"\x00\x00" + full, "'x' is 34 bytes"),
        (lambda full: b"", "no coordinate 'x'"),
    ],
    ids=["30 bytes", "33 bytes without a zero", "34 bytes", "empty"],
)
def test_other_coordinate_lengths_are_refused_with_the_reason(raw: Any, reason: str) -> None:
    jwk = _published(ZERO_X_KEY, "x", raw(_coordinate(ZERO_X_KEY, "x")))
    good = _published(OTHER_KEY, "x", _coordinate(OTHER_KEY, "x"))
    issuers = _issuers(jwk, good)
    issuer = issuers.issuer(ISS)
    assert issuer is not None and list(issuer.keys) == [good["kid"]]
    (skipped,) = issuers.skipped
    assert reason in skipped and repr(jwk["kid"]) in skipped
    batch = import_jwks({"keys": [jwk]}, "jwks.json")
    assert batch.keys == [] and reason in batch.skipped[0].reason


@pytest.mark.parametrize("written", [_short, _long], ids=["31 bytes", "33 bytes"])
def test_the_trust_store_reads_short_and_long_coordinates_too(written: Any) -> None:
    jwk = _published(ZERO_Y_KEY, "y", written(ZERO_Y_KEY, "y"))
    (key,) = import_jwks({"keys": [jwk]}, "jwks.json", issuer_url=ISS).keys
    assert key.public_key.public_numbers() == ZERO_Y_KEY.public_key().public_numbers()
    trust = TrustStore()
    trust.add_batch(ImportBatch(keys=[key]))
    context = VerificationContext(trust=trust, clock=CLOCK, shc_issuers=ShcIssuers())
    report = Report(input="card")
    shc.verify_into(report, _card(ZERO_Y_KEY, jwk["kid"]), context)
    assert report.valid, report.errors


# --- numbers written as text ----------------------------------------------------------------


@pytest.mark.parametrize(("written", "read"), [("1", 1), ("12", 12), ("007", 7), (3, 3)])
def test_crl_version_as_text_is_read_as_a_number(written: object, read: int) -> None:
    jwk = {**_published(OTHER_KEY, "x", _coordinate(OTHER_KEY, "x")), "crlVersion": written}
    issuer = _issuers(jwk).issuer(ISS)
    assert issuer is not None and issuer.keys[jwk["kid"]].crl_version == read


@pytest.mark.parametrize(
    "written", ["1.0", " 1", "1 ", "+1", "-1", "1e3", "١", "²", "", "0", 0, 1.0, True, None]
)
def test_a_crl_version_that_is_no_positive_whole_number_is_refused(written: object) -> None:
    jwk = {**_published(OTHER_KEY, "x", _coordinate(OTHER_KEY, "x")), "crlVersion": written}
    issuers = _issuers(jwk)
    issuer = issuers.issuer(ISS)
    assert issuer is not None
    if written is None:  # absent in effect: the key keeps no revocation list
        assert issuer.keys[jwk["kid"]].crl_version is None
        return
    assert issuer.keys == {}
    (skipped,) = issuers.skipped
    assert "crlVersion" in skipped and repr(written) in skipped


def test_crl_counter_as_text() -> None:
    issuers = ShcIssuers()
    issuers.add_crl(ISS, {"kid": "k", "method": "rid", "ctr": "2", "rids": ["a"]})
    issuers.add_crl(ISS, {"kid": "k", "method": "rid", "ctr": "2.5", "rids": ["b"]})
    issuers.add_crl(ISS, {"kid": "k", "method": "rid", "ctr": "٣", "rids": ["c"]})
    issuer = issuers.issuer(ISS)
    assert issuer is not None and issuer.crls["k"].ctr == 2 and issuer.crls["k"].rids == {"a": None}
    assert len(issuers.skipped) == 2
    assert all("ctr must be an integer or ASCII digits" in line for line in issuers.skipped)


# --- the issuer's country -------------------------------------------------------------------


def _directory(**issuer: object) -> dict[str, Any]:
    jwk = _published(OTHER_KEY, "x", _coordinate(OTHER_KEY, "x"))
    return {
        "issuerInfo": [{"issuer": {"iss": ISS, "name": "Example Health", **issuer}, "keys": [jwk]}]
    }


def test_without_a_country_the_report_says_null() -> None:
    jwk = _published(OTHER_KEY, "x", _coordinate(OTHER_KEY, "x"))
    report = _verify(_card(OTHER_KEY, jwk["kid"]), _issuers(jwk))
    assert report.valid, report.errors
    assert report.issuer["country"] is None


def test_a_country_given_with_the_keys_is_shown() -> None:
    jwk = _published(OTHER_KEY, "x", _coordinate(OTHER_KEY, "x"))
    report = _verify(_card(OTHER_KEY, jwk["kid"]), _issuers(jwk, country="sg"))
    assert report.issuer["country"] == "SG"
    assert report.certificate is not None and report.certificate["entry"]["country"] == "SG"


def test_a_vci_directory_entry_may_carry_a_country() -> None:
    issuers = ShcIssuers()
    issuers.add_vci_directory(_directory(country="ca"))
    issuer = issuers.issuer(ISS)
    assert issuer is not None and issuer.country == "CA" and issuers.skipped == []
    report = _verify(_card(OTHER_KEY, next(iter(issuer.keys))), issuers)
    assert report.issuer["country"] == "CA"


@pytest.mark.parametrize("country", ["CAN", "C1", "", 124])
def test_a_bad_directory_country_is_noted_and_the_issuer_kept(country: object) -> None:
    issuers = ShcIssuers()
    issuers.add_vci_directory(_directory(country=country))
    issuer = issuers.issuer(ISS)
    assert issuer is not None and issuer.country is None and len(issuer.keys) == 1
    (skipped,) = issuers.skipped
    assert f"country {country!r} is not a two-letter ISO 3166 code" in skipped


def test_directory_keys_or_crls_that_are_not_arrays_are_noted() -> None:
    document = _directory()
    document["issuerInfo"][0]["keys"] = {"kty": "EC"}
    document["issuerInfo"][0]["crls"] = "none"
    issuers = ShcIssuers()
    assert issuers.add_vci_directory(document) == 1
    assert issuers.skipped == [
        "vci-directory#0: 'keys' is not an array; none of it was read",
        "vci-directory#0: 'crls' is not an array; none of it was read",
    ]


def test_countries_reach_bound_issuers_and_trust_store_issuers(tmp_path: Path) -> None:
    jwk = _published(OTHER_KEY, "x", _coordinate(OTHER_KEY, "x"))
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    card = _card(OTHER_KEY, jwk["kid"])
    bound = load_verifier_trust([f"{ISS}={path}"], {ISS: "NZ"})
    assert bound.shc_issuers is not None
    assert _verify(card, bound.shc_issuers).issuer["country"] == "NZ"
    # Keys a trust store holds for the issuer become the issuer's, with the country.
    (key,) = import_jwks({"keys": [jwk]}, "jwks.json", issuer_url=ISS).keys
    issuers = ShcIssuers()
    assert issuers.add_trusted_key(key, country="NZ")
    assert not issuers.add_trusted_key(dataclasses.replace(key, issuer_url=None))
    report = _verify(card, issuers)
    assert report.valid, report.errors
    assert report.issuer["country"] == "NZ"
