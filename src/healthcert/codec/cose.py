"""COSE_Sign1 (RFC 9052) as EU DCC uses it: ES256 and PS256 signatures over a CWT payload.

Written on cbor2 and cryptography so that verification runs in OpenSSL, in constant time.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from healthcert.codec import cbor
from healthcert.codec.ecdsa import ECDSA_SHA256, der_signature, is_ec_key
from healthcert.report import ErrorCode

TAG_SIGN1 = 18
TAG_CWT = 61
HEADER_ALG = 1
HEADER_KID = 4

ES256 = -7
PS256 = -37
ALGORITHM_NAMES = {ES256: "ES256", PS256: "PS256"}
ALGORITHM_IDS = {name: ident for ident, name in ALGORITHM_NAMES.items()}

_SIG_CONTEXT = b"\x6aSignature1"  # the text string "Signature1", CBOR-encoded


class CoseError(ValueError):
    """The bytes are not a COSE_Sign1 structure; ``code`` is the report error code."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class Sign1(NamedTuple):
    """A decoded COSE_Sign1. A named tuple, not a frozen dataclass: one is made per payload,
    and a tuple is built in a fifth of the time.

    ``algorithm`` and ``kid`` are read from the headers once, when it is made (``_sign1``):
    each is asked for twice per verification.
    """

    protected_raw: bytes
    protected: Mapping[Any, Any]
    unprotected: Mapping[Any, Any]
    payload: bytes
    signature: bytes
    algorithm: Any
    kid: bytes | None


def _sign1(
    protected_raw: bytes,
    protected: Mapping[Any, Any],
    unprotected: Mapping[Any, Any],
    payload: bytes,
    signature: bytes,
) -> Sign1:
    algorithm = protected.get(HEADER_ALG, unprotected.get(HEADER_ALG))
    kid = written_kid(protected, unprotected)
    return Sign1(
        protected_raw,
        protected,
        unprotected,
        payload,
        signature,
        algorithm,
        kid if isinstance(kid, bytes) else None,
    )


def written_kid(protected: Mapping[Any, Any], unprotected: Mapping[Any, Any]) -> Any:
    """The kid as written, of whatever type, or None when neither header has one. The protected
    header wins, as only it is covered by the signature: a kid written there as null or as
    text is a kid of the wrong type, not a licence to read the unprotected one."""
    if HEADER_KID in protected:
        return protected[HEADER_KID]
    return unprotected.get(HEADER_KID)


def decode_sign1(data: bytes) -> Sign1:
    """Parse a COSE_Sign1: tagged 18, untagged, or a CWT tag 61 around tag 18."""
    common = _common_sign1(data)
    if common is not None:
        return common
    try:
        item = cbor.loads(data)
    except cbor.CborError as error:
        raise CoseError(ErrorCode.CBOR_INVALID, str(error)) from None
    if isinstance(item, cbor2.CBORTag) and item.tag == TAG_CWT:
        item = item.value
    if isinstance(item, cbor2.CBORTag):
        if item.tag != TAG_SIGN1:
            raise CoseError(ErrorCode.COSE_INVALID, f"CBOR tag {item.tag} is not COSE_Sign1 (18)")
        item = item.value
    return _sign1_from_array(item)


# Concrete types, not the Mapping/Sequence ABCs: an ABC isinstance check costs a microsecond,
# and this runs on every verification. cbor2 gives lists and dicts, and tuples and frozendicts
# inside tags.
_ARRAY = (list, tuple)
_MAP = (dict, cbor2.frozendict)


_EMPTY_MAP: Mapping[Any, Any] = cbor2.frozendict()
# The openings of the three envelopes: tag 61 around tag 18, tag 18, untagged; then an array
# of four items.
_ENVELOPES = (b"\xd8\x3d\xd2\x84", b"\xd2\x84", b"\x84")


def _common_sign1(data: bytes) -> Sign1 | None:
    """The shape nearly every payload has, read without a general CBOR decoder: an envelope,
    three definite-length byte strings around an empty unprotected header, nothing after.
    None for anything else, which the general decoder then reads or refuses."""
    for envelope in _ENVELOPES:
        if data.startswith(envelope):
            break
    else:
        return None
    protected_raw, offset = _byte_string(data, len(envelope))
    if protected_raw is None or data[offset : offset + 1] != b"\xa0":
        return None
    payload, offset = _byte_string(data, offset + 1)
    signature, offset = _byte_string(data, offset) if payload is not None else (None, 0)
    if payload is None or signature is None or offset != len(data):
        return None
    try:
        protected = _protected_header(protected_raw)
    except CoseError:
        return None  # the general way reports it
    return _sign1(protected_raw, protected, _EMPTY_MAP, payload, signature)


def _byte_string(data: bytes, offset: int) -> tuple[bytes | None, int]:
    """The definite-length byte string at ``offset`` and the offset after it, or (None, 0)."""
    head = data[offset] if offset < len(data) else 0
    if 0x40 <= head <= 0x57:
        start, length = offset + 1, head - 0x40
    elif head == 0x58 and offset + 1 < len(data):
        start, length = offset + 2, data[offset + 1]
    elif head == 0x59:
        start, length = offset + 3, int.from_bytes(data[offset + 1 : offset + 3], "big")
    else:
        return None, 0
    end = start + length
    if end > len(data):
        return None, 0
    return data[start:end], end


def _sign1_from_array(item: Any) -> Sign1:
    if not isinstance(item, _ARRAY) or len(item) != 4:
        raise CoseError(ErrorCode.COSE_INVALID, "COSE_Sign1 must be an array of four items")
    protected_raw, unprotected, payload, signature = item
    if not all(isinstance(part, bytes) for part in (protected_raw, payload, signature)):
        raise CoseError(
            ErrorCode.COSE_INVALID, "COSE_Sign1 headers, payload and signature must be bytes"
        )
    if not isinstance(unprotected, _MAP):
        raise CoseError(ErrorCode.COSE_INVALID, "the unprotected header must be a map")
    protected = _protected_header(protected_raw)
    return _sign1(protected_raw, protected, unprotected, payload, signature)


@lru_cache(maxsize=1024)
def _protected_header(raw: bytes) -> Mapping[Any, Any]:
    """Every payload of one DSC has the same few protected-header bytes (alg and kid), so they
    are decoded once; the map is shared, read-only (a frozendict)."""
    if not raw:
        return cbor2.frozendict()
    try:
        header = cbor.loads(raw)
    except cbor.CborError as error:
        raise CoseError(ErrorCode.COSE_INVALID, f"protected header: {error}") from None
    if not isinstance(header, _MAP):
        raise CoseError(ErrorCode.COSE_INVALID, "the protected header must be a map")
    return cbor2.frozendict(header)


def _bstr_header(length: int) -> bytes:
    if length < 24:
        return bytes((0x40 | length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    return b"\x5a" + length.to_bytes(4, "big")


def signed_bytes(protected_raw: bytes, payload: bytes) -> bytes:
    """Sig_structure ["Signature1", protected, external_aad = h'', payload], CBOR-encoded.

    Built by hand: it is four fixed items, and this runs on every verification. All but the
    payload are the same for every payload of a signer.
    """
    return _sig_structure_head(protected_raw) + _bstr_header(len(payload)) + payload


@lru_cache(maxsize=1024)
def _sig_structure_head(protected_raw: bytes) -> bytes:
    """The Sig_structure up to the payload: the array, context, protected header, empty aad."""
    return b"\x84" + _SIG_CONTEXT + _bstr_header(len(protected_raw)) + protected_raw + b"\x40"


def verify(sign1: Sign1, public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bool:
    """True when the signature is valid for this key under the header's algorithm."""
    message = signed_bytes(sign1.protected_raw, sign1.payload)
    algorithm = sign1.algorithm
    try:
        if algorithm == ES256 and is_ec_key(public_key):
            return _verify_es256(public_key, sign1.signature, message)
        if algorithm == PS256 and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(sign1.signature, message, _pss(), hashes.SHA256())
            return True
    except InvalidSignature:
        return False
    return False


def _verify_es256(key: ec.EllipticCurvePublicKey, signature: bytes, message: bytes) -> bool:
    """ECDSA with SHA-256 over r||s. RFC 9053 ties ES256 to the hash, not the curve, and some
    countries sign with P-384 keys; the signature must be exactly two scalars of the curve."""
    half = (key.curve.key_size + 7) // 8
    if len(signature) != 2 * half:
        return False
    key.verify(der_signature(signature, half), message, ECDSA_SHA256)
    return True


def _pss() -> padding.PSS:
    # RFC 8230: the salt is as long as the hash.
    return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


class SigningKey(Protocol):
    """What signs: a key id, an algorithm name, and a function from message to signature."""

    @property
    def kid(self) -> bytes: ...

    @property
    def algorithm(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...


def sign(payload: bytes, signer: SigningKey) -> bytes:
    """A tagged COSE_Sign1 with alg and kid in the protected header.

    Written by hand around the signature, as ``signed_bytes`` is: tag 18, an array of four,
    the protected header, an empty unprotected map, the payload and the signature.
    """
    protected_raw = _protected_bytes(signer.algorithm, signer.kid)
    signature = signer.sign(signed_bytes(protected_raw, payload))
    return b"".join(
        (
            b"\xd2\x84",
            _bstr_header(len(protected_raw)),
            protected_raw,
            b"\xa0",
            _bstr_header(len(payload)),
            payload,
            _bstr_header(len(signature)),
            signature,
        )
    )


@lru_cache(maxsize=64)
def _protected_bytes(algorithm: str, kid: bytes) -> bytes:
    """The protected header of a signer: the same bytes for every payload it signs."""
    return cbor.dumps({HEADER_ALG: ALGORITHM_IDS[algorithm], HEADER_KID: kid})
