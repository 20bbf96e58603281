"""JWKS sources: EC and RSA keys, x5c chains, kids, and keys that are no use."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from healthcert.keys.kid import kid_of
from healthcert.model.kinds import ALL_KINDS, EntryKind
from healthcert.trust.jwks import import_jwks, jwk_thumbprint
from healthcert.trust.store import load_trust

from . import pki


def _b64url(number: int, size: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes(size, "big")).rstrip(b"=").decode()


def ec_jwk(key: ec.EllipticCurvePrivateKey, **extra: Any) -> dict[str, Any]:
    numbers = key.public_key().public_numbers()
    size = (key.curve.key_size + 7) // 8
    crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}[key.curve.name]
    coordinates = {"x": _b64url(numbers.x, size), "y": _b64url(numbers.y, size)}
    return {"kty": "EC", "crv": crv, **coordinates} | extra


def rsa_jwk(key: rsa.RSAPrivateKey, **extra: Any) -> dict[str, Any]:
    numbers = key.public_key().public_numbers()
    return {
        "kty": "RSA",
        "n": _b64url(numbers.n, (numbers.n.bit_length() + 7) // 8),
        "e": _b64url(numbers.e, 3),
    } | extra


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()])
def test_ec_curves(curve: ec.EllipticCurve) -> None:
    key = ec.generate_private_key(curve)
    [trusted] = import_jwks({"keys": [ec_jwk(key, kid="k1")]}, "jwks.json").keys
    assert isinstance(trusted.public_key, ec.EllipticCurvePublicKey)
    assert trusted.public_key.public_numbers() == key.public_key().public_numbers()
    assert trusted.types == ALL_KINDS and trusted.not_after is None and trusted.country is None


def test_rsa_key() -> None:
    key = pki.rsa_key()
    [trusted] = import_jwks({"keys": [rsa_jwk(key, kid="rsa")]}, "jwks.json").keys
    assert isinstance(trusted.public_key, rsa.RSAPublicKey)
    assert trusted.kid == b"rsa"  # "rsa" is not canonical base64url: its UTF-8 bytes


def test_kid_rules() -> None:
    key = pki.ec_key()
    thumbprint = base64.urlsafe_b64encode(jwk_thumbprint(ec_jwk(key))).rstrip(b"=").decode()
    keys = [ec_jwk(key, kid=thumbprint), ec_jwk(key, kid="issuer key #1"), ec_jwk(key)]
    kids = [k.kid for k in import_jwks({"keys": keys}, "jwks.json").keys]
    assert kids == [jwk_thumbprint(ec_jwk(key)), b"issuer key #1", jwk_thumbprint(ec_jwk(key))]


def test_rfc7638_thumbprint_example() -> None:
    # The RSA key of RFC 7638, section 3.1, and the thumbprint the RFC gives for it.
    jwk = {
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSo"
        "c_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0"
        "_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI"
        "4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    expected = base64.urlsafe_b64decode("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs=")
    assert jwk_thumbprint(jwk) == expected


def test_x5c_gives_the_dsc_facts_and_both_kids() -> None:
    csca = pki.csca("CH")
    dsc = pki.dsc(csca, [EntryKind.TEST])
    assert isinstance(dsc.private_key, ec.EllipticCurvePrivateKey)
    x5c = [base64.b64encode(pki.der(c)).decode() for c in (dsc.certificate, csca.certificate)]
    jwk = ec_jwk(dsc.private_key, kid="shc-style-kid", x5c=x5c)
    batch = import_jwks({"keys": [jwk]}, "jwks.json", issuer_url="https://issuer.example")
    assert [k.kid for k in batch.keys] == [kid_of(dsc.certificate), b"shc-style-kid"]
    for key in batch.keys:
        assert key.country == "CH" and key.types == {EntryKind.TEST}
        assert key.certificate == dsc.certificate and key.issuer_url == "https://issuer.example"
    # The CSCA inside x5c is part of the payload's claim, never an anchor by itself.
    assert batch.anchors == []


def test_x5c_for_another_key_is_skipped() -> None:
    dsc = pki.dsc(pki.csca())
    jwk = ec_jwk(pki.ec_key(), kid="k", x5c=[base64.b64encode(pki.der(dsc.certificate)).decode()])
    batch = import_jwks({"keys": [jwk]}, "jwks.json")
    assert batch.keys == [] and "another key" in batch.skipped[0].reason


def test_keys_of_no_use() -> None:
    good = ec_jwk(pki.ec_key(), kid="good")
    off_curve = ec_jwk(pki.ec_key(), kid="bent")
    off_curve["y"] = off_curve["x"]
    keys = [
        good,
        ec_jwk(pki.ec_key(), kid="enc", use="enc"),
        {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
        off_curve,
        rsa_jwk(pki.rsa_key(1024), kid="short"),
        {"kty": "EC", "crv": "P-192", "x": "AA", "y": "AA"},
        {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
        "not an object",
    ]
    batch = import_jwks({"keys": keys}, "jwks.json")
    assert [k.kid for k in batch.keys] == [b"\x82\x8a\x1d"]  # "good" decodes as base64url
    assert batch.ignored == 1
    reasons = [s.reason for s in batch.skipped]
    assert len(reasons) == 6
    assert "unsupported key type 'OKP'" in reasons[0]
    assert reasons[1].startswith("invalid EC key")
    assert "1024 bits is too short" in reasons[2]
    assert "unsupported curve 'P-192'" in reasons[3]
    assert "32 bytes" in reasons[4]


def test_jwks_file_with_issuer_url(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [ec_jwk(pki.ec_key(), kid="k1")]}))
    store = load_trust([path], issuer_url="https://issuer.example/path")
    [key] = store
    assert key.issuer_url == "https://issuer.example/path" and key.source == "jwks.json"


def test_single_jwk_file(tmp_path: Path) -> None:
    path = tmp_path / "key.jwk.json"
    path.write_text(json.dumps(ec_jwk(pki.ec_key(), kid="solo")))
    assert len(load_trust([path])) == 1
