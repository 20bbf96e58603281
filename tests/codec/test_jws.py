"""Compact JWS with ECDSA, raw DEFLATE and RFC 7638 thumbprints, on real keys."""

import json
import zlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from healthcert import report as codes
from healthcert.codec import b64, jws
from healthcert.errors import PayloadError

EXAMPLES = Path(__file__).parents[1] / "data" / "shc" / "examples"

# RFC 7515 appendix A.3: an ES256 JWS and the public key that signed it.
RFC7515_JWS = (
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
)
RFC7515_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}
# RFC 7638 section 3.1: an RSA key and its thumbprint.
RFC7638_JWK = {
    "kty": "RSA",
    "n": (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FD"
        "W2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQ"
        "Fh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ),
    "e": "AQAB",
    "alg": "RS256",
    "kid": "2011-04-29",
}


def test_rfc7515_es256_example_verifies() -> None:
    token = jws.parse_compact(RFC7515_JWS)
    assert token.header == {"alg": "ES256"}
    key = jws.public_key_from_jwk(RFC7515_JWK)
    assert jws.verify(key, "ES256", token.signing_input, token.signature)
    assert not jws.verify(key, "ES256", token.signing_input + b"x", token.signature)


def test_rfc7638_thumbprint() -> None:
    assert jws.jwk_thumbprint(RFC7638_JWK) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_shc_example_kids_are_their_thumbprints() -> None:
    keys = json.loads((EXAMPLES / "issuer" / ".well-known" / "jwks.json").read_text())["keys"]
    assert [jws.jwk_thumbprint(key) for key in keys] == [key["kid"] for key in keys]


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()])
def test_sign_and_verify_on_each_curve(curve: ec.EllipticCurve) -> None:
    key = ec.generate_private_key(curve)
    algorithm = jws.algorithm_for_key(key)
    token = jws.encode_compact({"alg": algorithm.name, "kid": "k"}, b"payload", key)
    parsed = jws.parse_compact(token)
    assert parsed.payload == b"payload"
    assert len(parsed.signature) == 2 * algorithm.coordinate_bytes
    assert jws.verify(key.public_key(), algorithm.name, parsed.signing_input, parsed.signature)
    assert jws.public_key_from_jwk(jws.public_jwk(key.public_key())) == key.public_key()


def test_padded_parts_are_accepted_and_misplaced_padding_is_not() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signing_input = "eyJhbGciOiJFUzI1NiJ9.YWI="  # {"alg":"ES256"} . b"ab", padded
    signature = b64.urlsafe_encode(jws.sign(key, signing_input.encode())) + "=="
    parsed = jws.parse_compact(f"{signing_input}.{signature}")
    assert parsed.header == {"alg": "ES256"} and parsed.payload == b"ab"
    assert jws.verify(key.public_key(), "ES256", parsed.signing_input, parsed.signature)
    for token in ("eyJhbGciOiJFUzI1NiJ9.Y=Q.YQ", "eyJhbGciOiJFUzI1NiJ9.YWI==.YQ"):
        with pytest.raises(PayloadError):
            jws.parse_compact(token)


def test_a_der_signature_is_not_a_jws_signature() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.sign(b"message", ec.ECDSA(hashes.SHA256()))
    key.public_key().verify(der, b"message", ec.ECDSA(hashes.SHA256()))  # valid as DER
    assert not jws.verify(key.public_key(), "ES256", b"message", der)


def test_verify_refuses_an_algorithm_the_key_does_not_fit() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signature = jws.sign(key, b"m")
    assert not jws.verify(key.public_key(), "ES384", b"m", signature)
    assert not jws.verify(key.public_key(), "RS256", b"m", signature)


def test_encode_refuses_a_header_naming_another_algorithm() -> None:
    with pytest.raises(ValueError, match="ES256"):
        jws.encode_compact({"alg": "ES384"}, b"p", ec.generate_private_key(ec.SECP256R1()))


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("a.b", codes.JWS_INVALID),
        ("a.b.c.d", codes.JWS_INVALID),
        ("eyJhbGciOiJFUzI1NiJ9.YQ.Y+", codes.JWS_INVALID),
        ("eyJhbGciOiJFUzI1NiJ9.Y.YQ", codes.JWS_INVALID),  # 4n+1 characters
        (b64.urlsafe_encode(b"[1]") + ".YQ.YQ", codes.HEADER_INVALID),
        (b64.urlsafe_encode(b"{nope") + ".YQ.YQ", codes.HEADER_INVALID),
    ],
)
def test_malformed_tokens_name_the_failing_part(token: str, code: str) -> None:
    with pytest.raises(PayloadError) as raised:
        jws.parse_compact(token)
    assert raised.value.code == code


def test_of_duplicate_header_names_the_last_counts() -> None:
    # RFC 7515 section 5.2: reject, or use the lexically last; every check reads this one value.
    token = b64.urlsafe_encode(b'{"alg":"ES256","alg":"none"}') + ".YQ.YQ"
    assert jws.parse_compact(token).header == {"alg": "none"}


def test_raw_deflate_round_trip() -> None:
    data = b'{"iss":"https://issuer.example"}' * 10
    compressed = jws.deflate_raw(data)
    assert compressed[:2] != b"\x78\x9c"  # no zlib header
    assert jws.inflate_raw(compressed) == data


def test_inflate_stops_at_the_limit() -> None:
    bomb = jws.deflate_raw(b"\0" * 100_000)
    with pytest.raises(PayloadError) as raised:
        jws.inflate_raw(bomb, limit=65_536)
    assert raised.value.code == codes.INPUT_TOO_LARGE


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xff\xff",  # not DEFLATE
        jws.deflate_raw(b"x" * 100)[:-2],  # truncated
        jws.deflate_raw(b"x") + b"trailing",
        zlib.compress(b"x"),  # zlib-wrapped, not raw
    ],
)
def test_inflate_refuses_broken_streams(data: bytes) -> None:
    with pytest.raises(PayloadError) as raised:
        jws.inflate_raw(data)
    assert raised.value.code == codes.DECOMPRESS_FAILED


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "EC", "crv": "P-256", "x": RFC7515_JWK["x"], "y": RFC7515_JWK["x"]},  # off curve
        {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},  # too short
        {"kty": "EC", "crv": "secp256k1", "x": RFC7515_JWK["x"], "y": RFC7515_JWK["y"]},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"},
    ],
)
def test_public_key_from_jwk_refuses_bad_keys(jwk: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        jws.public_key_from_jwk(jwk)


def test_decode_compact_leaves_the_header_for_parse_header() -> None:
    header_b64, signing_input, payload, signature = jws.decode_compact(RFC7515_JWS.encode())
    token = jws.parse_compact(RFC7515_JWS)
    assert jws.parse_header(header_b64) == token.header
    assert (signing_input, payload, signature) == (
        token.signing_input,
        token.payload,
        token.signature,
    )
