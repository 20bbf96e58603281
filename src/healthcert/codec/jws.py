"""Compact JWS (RFC 7515) with ECDSA (RFC 7518 ES256/ES384/ES512), raw DEFLATE, JWK thumbprints.

Written on cryptography so that signatures are checked in OpenSSL, in constant time. The
signature is the JOSE form, the fixed-size big-endian r||s; a DER-encoded ECDSA signature is not
a JWS signature and fails verification like any other wrong signature.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from healthcert import report as codes
from healthcert.codec import b64, canonical_json, deflate
from healthcert.codec.ecdsa import der_signature, raw_signature
from healthcert.errors import PayloadError
from healthcert.limits import MAX_DECOMPRESSED_BYTES

# JWS omits base64 padding; a padded part is accepted all the same, as everywhere in healthcert.
_COMPACT_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="


@dataclass(frozen=True, slots=True)
class EcAlgorithm:
    """An ECDSA JWS algorithm: its curve, hash, and the size of each of r and s."""

    name: str
    curve: type[ec.EllipticCurve]
    ecdsa: ec.ECDSA
    coordinate_bytes: int


ALGORITHMS: dict[str, EcAlgorithm] = {
    "ES256": EcAlgorithm("ES256", ec.SECP256R1, ec.ECDSA(hashes.SHA256()), 32),
    "ES384": EcAlgorithm("ES384", ec.SECP384R1, ec.ECDSA(hashes.SHA384()), 48),
    "ES512": EcAlgorithm("ES512", ec.SECP521R1, ec.ECDSA(hashes.SHA512()), 66),
}
# JWK curve names, each with the curve and the byte size of a coordinate.
_JWK_CURVES: dict[str, tuple[ec.EllipticCurve, int]] = {
    "P-256": (ec.SECP256R1(), 32),
    "P-384": (ec.SECP384R1(), 48),
    "P-521": (ec.SECP521R1(), 66),
}
# RFC 7638 section 3.2: the required members of each key type, in lexicographic order.
_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
}


@dataclass(frozen=True, slots=True)
class CompactJws:
    """A compact JWS taken apart; nothing in it is trusted yet."""

    header: dict[str, Any]
    signing_input: bytes
    payload: bytes
    signature: bytes


def parse_compact(token: str) -> CompactJws:
    """Split and base64url-decode a compact JWS; PayloadError names the failing part."""
    data = token.encode("utf-8")
    header_b64, signing_input, payload, signature = decode_compact(data)
    return CompactJws(parse_header(header_b64), signing_input, payload, signature)


def decode_compact(
    data: bytes, *, alphabet_checked: bool = False
) -> tuple[bytes, bytes, bytes, bytes]:
    """A compact JWS as (header still in base64url, signing input, payload, signature).

    The header is left encoded for callers that meet the same header on many tokens and read
    it once (``parse_header``); the payload and signature are checked first, as ever. With
    ``alphabet_checked`` the caller vouches that every byte is a base64url character, '.' or
    '=' (as the shc:/ digits can only spell), and that pass over the token is skipped.
    """
    parts = data.split(b".")
    # translate(None, alphabet) deletes every allowed byte: what is left does not belong.
    if (
        len(parts) != 3
        or not all(parts)
        or (not alphabet_checked and data.translate(None, _COMPACT_BYTES))
    ):
        raise PayloadError(
            codes.JWS_INVALID, "not a compact JWS: three base64url parts joined by '.'"
        )
    header_b64, payload_b64, signature_b64 = parts
    try:
        payload = b64.urlsafe_decode_checked(payload_b64)
        signature = b64.urlsafe_decode_checked(signature_b64)
    except b64.Base64Error as error:
        raise PayloadError(codes.JWS_INVALID, f"JWS payload or signature: {error}") from None
    signing_input = data[: len(header_b64) + 1 + len(payload_b64)]
    return header_b64, signing_input, payload, signature


def parse_header(header_b64: bytes) -> dict[str, Any]:
    """The JSON object of a JWS header part that ``decode_compact`` split off."""
    # orjson keeps the last of duplicate names, which RFC 7515 section 5.2 allows; every
    # reader of the header here uses this one parse, so a duplicate cannot mean two things.

    try:
        header = orjson.loads(b64.urlsafe_decode_checked(header_b64))
    except (b64.Base64Error, orjson.JSONDecodeError) as error:
        raise PayloadError(codes.HEADER_INVALID, f"JWS header: {error}") from None
    if not isinstance(header, dict):
        raise PayloadError(codes.HEADER_INVALID, "the JWS header is not a JSON object")
    return header


def encode_compact(
    header: dict[str, Any], payload: bytes, private_key: ec.EllipticCurvePrivateKey
) -> str:
    """Sign ``payload`` under ``header`` (whose ``alg`` must fit the key) as a compact JWS."""
    algorithm = algorithm_for_key(private_key)
    if header.get("alg") != algorithm.name:
        raise ValueError(f"the header's alg is not {algorithm.name}, which the key signs with")
    # Minified, members in the order given: the order is the issuer's, the signature covers it.
    header_json = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    signing_input = f"{b64.urlsafe_encode(header_json)}.{b64.urlsafe_encode(payload)}"
    signature = sign(private_key, signing_input.encode("ascii"))
    return f"{signing_input}.{b64.urlsafe_encode(signature)}"


def algorithm_for_key(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> EcAlgorithm:
    for algorithm in ALGORITHMS.values():
        if isinstance(key.curve, algorithm.curve):
            return algorithm
    raise ValueError(f"no JWS algorithm signs with the curve {key.curve.name}")


def sign(private_key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    """The JOSE signature of ``message``: r||s, each left-padded to the curve's size."""
    algorithm = algorithm_for_key(private_key)
    return raw_signature(private_key.sign(message, algorithm.ecdsa), algorithm.coordinate_bytes)


def verify(
    public_key: ec.EllipticCurvePublicKey, algorithm: str, message: bytes, signature: bytes
) -> bool:
    """True when ``signature`` (raw r||s) is ``algorithm``'s signature of ``message``."""
    spec = ALGORITHMS.get(algorithm)
    if spec is None:
        return False
    curve = public_key.curve
    # The exact class first: isinstance goes through the ABC machinery, on every payload.
    if type(curve) is not spec.curve and not isinstance(curve, spec.curve):
        return False
    size = spec.coordinate_bytes
    if len(signature) != 2 * size:
        return False  # a DER signature, or a truncated one
    try:
        public_key.verify(der_signature(signature, size), message, spec.ecdsa)
    except InvalidSignature:
        return False
    return True


def inflate_raw(data: bytes, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Raw DEFLATE (RFC 1951, no zlib header) of at most ``limit`` bytes; more is refused."""
    return deflate.inflate(data, wbits=deflate.RAW, limit=limit)


def deflate_raw(data: bytes) -> bytes:
    """Raw DEFLATE at the best compression: a QR code holds every byte it saves."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9)
    return deflater.compress(data) + deflater.flush()


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK, base64url: what SHC uses as ``kid``."""
    members = _THUMBPRINT_MEMBERS.get(str(jwk.get("kty")))
    if members is None:
        raise ValueError(f"no thumbprint for a JWK of kty {jwk.get('kty')!r}")
    if not all(isinstance(jwk.get(name), str) for name in members):
        raise ValueError(f"a {jwk['kty']} JWK needs the string members {', '.join(members)}")
    digest = hashes.Hash(hashes.SHA256())
    digest.update(canonical_json.dumps({name: jwk[name] for name in members}))
    return b64.urlsafe_encode(digest.finalize())


def public_key_from_jwk(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    """The EC public key of a JWK; ValueError when it is not a valid point of a known curve."""
    known = _JWK_CURVES.get(str(jwk.get("crv")))
    if jwk.get("kty") != "EC" or known is None:
        raise ValueError("only EC keys on P-256, P-384 or P-521 are supported")
    curve, size = known
    x, y = (jwk_coordinate(jwk, name, size) for name in ("x", "y"))
    # from_encoded_point checks that the point lies on the curve.
    return ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + x + y)


def jwk_coordinate(jwk: Mapping[str, Any], name: str, size: int) -> bytes:
    """The coordinate ``name`` of an EC JWK as exactly ``size`` bytes; ValueError otherwise.

    RFC 7518 wants the full size, but real issuers publish coordinates one byte short (the
    leading zero byte dropped, as an integer encoder does) or one byte long (a zero byte put
    in front, as for a signed integer). Both name the same number, so both are read as it;
    the point is still checked on the curve. Any other length is not the key it claims.
    """
    value = jwk.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"the JWK has no coordinate {name!r}")
    try:
        data = b64.urlsafe_decode(value)
    except b64.Base64Error as error:
        raise ValueError(f"JWK coordinate {name!r}: {error}") from None
    if len(data) == size - 1:
        return b"\x00" + data
    if len(data) == size + 1 and data[0] == 0:
        return data[1:]
    if len(data) != size:
        extra = " and does not start with a zero byte" if len(data) == size + 1 else ""
        raise ValueError(
            f"JWK coordinate {name!r} is {len(data)} byte{'s' if len(data) != 1 else ''}{extra}; "
            f"{jwk.get('crv')} coordinates are {size} bytes ({size - 1} with the leading zero "
            f"byte dropped, {size + 1} with one added)"
        )
    return data


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The public JWK members (kty, crv, x, y) of an EC key."""
    curve_name = next(
        (name for name, (curve, _) in _JWK_CURVES.items() if curve.name == public_key.curve.name),
        None,
    )
    if curve_name is None:
        raise ValueError(f"no JWK curve name for {public_key.curve.name}")
    numbers = public_key.public_numbers()
    size = _JWK_CURVES[curve_name][1]
    return {
        "kty": "EC",
        "crv": curve_name,
        "x": b64.urlsafe_encode(numbers.x.to_bytes(size, "big")),
        "y": b64.urlsafe_encode(numbers.y.to_bytes(size, "big")),
    }
