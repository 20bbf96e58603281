"""COSE_Encrypt (RFC 9052 section 5.1) to one recipient: ECDH-ES + HKDF-256 and A256GCM
(RFC 9053 sections 6.3.1 and 4.1), direct key agreement on P-256.

    COSE_Encrypt = 96([protected {1: 3 (A256GCM), ...extra}, {5: iv}, ciphertext,
                       [[protected {1: -25 (ECDH-ES + HKDF-256)},
                         {-1: ephemeral key {1: 2, -1: 1, -2: x, -3: y}, 4: kid},
                         h'']]])

The content key is HKDF-SHA-256 (no salt) of the ECDH secret, with the COSE_KDF_Context
[3, [nil, nil, nil], [nil, nil, nil], [256, recipient protected header]] as info; the AAD is
the Enc_structure ["Encrypt", body protected header, h'']. The ephemeral key's y is sent in
full, though RFC 9053 allows its sign bit alone: ECDH yields only the x of the shared point,
the same for the key and its negation, so a flipped sign bit would open the payload all the
same. A changed byte of a full y is a point off the curve, refused.

Every structure is read strictly: an item of the wrong kind, an unknown algorithm or a
header more is refused before any key is used, so a changed byte can never pass unnoticed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cbor2
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from healthcert.codec import cbor
from healthcert.report import ErrorCode

TAG_ENCRYPT = 96
ALG_A256GCM = 3
ALG_ECDH_ES_HKDF_256 = -25
HEADER_ALG = 1
HEADER_KID = 4
HEADER_IV = 5
HEADER_EPHEMERAL_KEY = -1
# COSE_Key members (RFC 9053 section 7.1).
KEY_KTY, KTY_EC2, KEY_CRV, CRV_P256, KEY_X, KEY_Y = 1, 2, -1, 1, -2, -3
IV_BYTES = 12
KEY_BITS = 256
_COORDINATE = 32
# cbor2 gives lists and dicts, and tuples and frozendicts inside a tag.
_ARRAY = (list, tuple)
_MAP = (dict, cbor2.frozendict)


class EncryptError(ValueError):
    """Not a COSE_Encrypt of the one shape this module reads; ``code`` says at which level."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class DecryptError(ValueError):
    """Well-formed, but the key does not open it: another recipient's, or altered."""


@dataclass(frozen=True, slots=True)
class Encrypted:
    """A decoded COSE_Encrypt, before any key is used."""

    protected_raw: bytes
    protected: dict[Any, Any]
    iv: bytes
    ciphertext: bytes
    recipient_protected_raw: bytes
    ephemeral_key: ec.EllipticCurvePublicKey
    kid: bytes


def encrypt(
    plaintext: bytes,
    recipient: ec.EllipticCurvePublicKey,
    *,
    kid: bytes,
    protected_extra: dict[int, Any] | None = None,
) -> bytes:
    """The COSE_Encrypt bytes of ``plaintext`` for ``recipient`` (P-256)."""
    if not isinstance(recipient.curve, ec.SECP256R1):
        raise ValueError("the recipient key must be P-256")
    protected_raw = cbor.dumps({HEADER_ALG: ALG_A256GCM, **(protected_extra or {})})
    recipient_protected_raw = cbor.dumps({HEADER_ALG: ALG_ECDH_ES_HKDF_256})
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    key = _content_key(ephemeral.exchange(ec.ECDH(), recipient), recipient_protected_raw)
    iv = os.urandom(IV_BYTES)
    ciphertext = AESGCM(key).encrypt(iv, plaintext, _enc_structure(protected_raw))
    recipient_item = [
        recipient_protected_raw,
        {HEADER_EPHEMERAL_KEY: _cose_key(ephemeral.public_key()), HEADER_KID: kid},
        b"",
    ]
    item = [protected_raw, {HEADER_IV: iv}, ciphertext, [recipient_item]]
    return cbor2.dumps(cbor2.CBORTag(TAG_ENCRYPT, item))


def decode(data: bytes) -> Encrypted:
    """The parts of a COSE_Encrypt; EncryptError for anything but the shape written above."""
    common = _common_shape(data)
    return common if common is not None else _decode_general(data)


# What ``encrypt`` writes around its variable parts, byte for byte: tag 96 and an array of 4
# before the protected header; {5: 12 bytes} before the IV; after the ciphertext, one recipient
# of [<< {1: -25} >>, {-1: {1: 2, -1: 1, -2: 32 bytes, -3: 32 bytes}, 4: 8 bytes}, h''].
_HEAD = b"\xd8\x60\x84"
_IV_HEAD = b"\xa1\x05\x4c"
_RECIPIENT_HEAD = b"\x81\x83\x44\xa1\x01\x38\x18\xa2\x20\xa4\x01\x02\x20\x01\x21\x58\x20"
_Y_HEAD = b"\x22\x58\x20"
_KID_HEAD = b"\x04\x48"
_RECIPIENT_LENGTH = len(_RECIPIENT_HEAD) + 32 + len(_Y_HEAD) + 32 + len(_KID_HEAD) + 8 + 1


def _common_shape(data: bytes) -> Encrypted | None:
    """The payload ``encrypt`` writes, read by its fixed layout rather than a CBOR decoder (a
    third of the cost of opening one). None for anything else: the general reader then reads
    or refuses it, and the tests hold the two equal."""
    if not data.startswith(_HEAD):
        return None
    protected_raw, offset = _byte_string(data, len(_HEAD))
    if protected_raw is None or data[offset : offset + 3] != _IV_HEAD:
        return None
    iv = data[offset + 3 : offset + 3 + IV_BYTES]
    ciphertext, offset = _byte_string(data, offset + 3 + IV_BYTES)
    if ciphertext is None or len(data) - offset != _RECIPIENT_LENGTH:
        return None
    tail = data[offset:]
    x = tail[len(_RECIPIENT_HEAD) : len(_RECIPIENT_HEAD) + 32]
    rest = tail[len(_RECIPIENT_HEAD) + 32 :]
    if not (
        tail.startswith(_RECIPIENT_HEAD)
        and rest.startswith(_Y_HEAD)
        and rest[35:37] == _KID_HEAD
        and rest[-1:] == b"\x40"
    ):
        return None
    try:
        protected = _header(protected_raw, "protected header")
    except EncryptError:
        return None
    if protected.get(HEADER_ALG) != ALG_A256GCM or _written_otherwise(protected_raw, protected):
        return None
    try:
        ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), b"\x04" + x + rest[3:35]
        )
    except ValueError:
        return None
    recipient_protected_raw = _RECIPIENT_HEAD[3:7]
    return Encrypted(
        protected_raw, protected, iv, ciphertext, recipient_protected_raw, ephemeral, rest[37:45]
    )


def _written_otherwise(protected_raw: bytes, protected: dict[Any, Any]) -> bool:
    """True when the protected header is NOT written as healthcert writes it (then the general
    reader decides): it is authenticated, but one reading of it is all either reader allows."""
    return cbor2.dumps(protected) != protected_raw


def _byte_string(data: bytes, offset: int) -> tuple[bytes | None, int]:
    """The shortest-form byte string at ``offset`` and the offset after it, or (None, 0)."""
    head = data[offset] if offset < len(data) else 0
    if 0x40 <= head <= 0x57:
        start, length = offset + 1, head - 0x40
    elif head == 0x58 and offset + 1 < len(data) and data[offset + 1] >= 24:
        start, length = offset + 2, data[offset + 1]
    elif head == 0x59 and offset + 2 < len(data):
        start, length = offset + 3, int.from_bytes(data[offset + 1 : offset + 3], "big")
        if length < 0x100:
            return None, 0
    else:
        return None, 0
    end = start + length
    return (data[start:end], end) if end <= len(data) else (None, 0)


def _decode_general(data: bytes) -> Encrypted:
    try:
        item = cbor.loads_with_tags(data)
    except cbor.CborError as error:
        raise EncryptError(ErrorCode.CBOR_INVALID, str(error)) from None
    if not isinstance(item, cbor.Tag) or item.tag != TAG_ENCRYPT:
        raise _invalid("not a COSE_Encrypt (CBOR tag 96)")
    # The unprotected headers are authenticated only through what they yield (the ephemeral
    # key through the ECDH secret): written another way (a key 1 as true, a longer integer)
    # they could yield the same. Only the one encoding healthcert writes is read.
    if cbor2.dumps(item) != data:
        raise _invalid("not in the shortest, ordered encoding a sealed payload is written in")
    body = _array(item.value, 4, "COSE_Encrypt")
    protected_raw, unprotected, ciphertext, recipients = body
    protected = _header(protected_raw, "protected header")
    if protected.get(HEADER_ALG) != ALG_A256GCM:
        raise _invalid("the content is not encrypted with A256GCM (alg 3)")
    iv = _only(unprotected, HEADER_IV, "unprotected header")
    if not isinstance(iv, bytes) or len(iv) != IV_BYTES or not isinstance(ciphertext, bytes):
        raise _invalid("the IV must be 12 bytes and the ciphertext a byte string")
    [recipient] = _array(recipients, 1, "recipients")
    r_protected_raw, r_unprotected, r_ciphertext = _array(recipient, 3, "recipient")
    if _header(r_protected_raw, "recipient protected header") != {HEADER_ALG: ALG_ECDH_ES_HKDF_256}:
        raise _invalid("the recipient's key agreement is not ECDH-ES + HKDF-256 (alg -25)")
    if r_ciphertext != b"" or not isinstance(r_unprotected, _MAP):
        raise _invalid("direct key agreement carries no wrapped key")
    if set(r_unprotected) != {HEADER_EPHEMERAL_KEY, HEADER_KID} or not _integers(r_unprotected):
        raise _invalid("the recipient header must hold the ephemeral key (-1) and a kid (4)")
    kid = r_unprotected[HEADER_KID]
    if not isinstance(kid, bytes):
        raise _invalid("the recipient kid is not a byte string")
    ephemeral = _public_key(r_unprotected[HEADER_EPHEMERAL_KEY])
    return Encrypted(protected_raw, protected, iv, ciphertext, r_protected_raw, ephemeral, kid)


def decrypt(encrypted: Encrypted, key: ec.EllipticCurvePrivateKey) -> bytes:
    """The plaintext; DecryptError when ``key`` is not the recipient's or a byte was changed."""
    return open_with(encrypted, shared_secret(encrypted, key))


def shared_secret(encrypted: Encrypted, key: ec.EllipticCurvePrivateKey) -> bytes:
    """The ECDH secret of ``key`` and the sender's ephemeral key (the costly step, which a
    batch runs for all its payloads before it decrypts any)."""
    return key.exchange(ec.ECDH(), encrypted.ephemeral_key)


def open_with(encrypted: Encrypted, secret: bytes) -> bytes:
    """The plaintext, from the ECDH secret; DecryptError as ``decrypt`` says."""
    content_key = _content_key(secret, encrypted.recipient_protected_raw)
    try:
        return AESGCM(content_key).decrypt(
            encrypted.iv, encrypted.ciphertext, _enc_structure(encrypted.protected_raw)
        )
    except InvalidTag:
        raise DecryptError("the key does not open it: sealed to another key, or altered") from None


def _content_key(secret: bytes, recipient_protected_raw: bytes) -> bytes:
    hkdf = HKDF(
        hashes.SHA256(), KEY_BITS // 8, salt=None, info=_kdf_context(recipient_protected_raw)
    )
    return hkdf.derive(secret)


# The headers, and so the KDF context and the AAD, are the same few bytes in every payload:
# each is built (or read) once.
@lru_cache(maxsize=64)
def _kdf_context(recipient_protected_raw: bytes) -> bytes:
    party = [None, None, None]
    return cbor2.dumps([ALG_A256GCM, party, party, [KEY_BITS, recipient_protected_raw]])


@lru_cache(maxsize=64)
def _enc_structure(protected_raw: bytes) -> bytes:
    return cbor2.dumps(["Encrypt", protected_raw, b""])


def _cose_key(key: ec.EllipticCurvePublicKey) -> dict[int, Any]:
    numbers = key.public_numbers()
    return {
        KEY_KTY: KTY_EC2,
        KEY_CRV: CRV_P256,
        KEY_X: numbers.x.to_bytes(_COORDINATE, "big"),
        KEY_Y: numbers.y.to_bytes(_COORDINATE, "big"),
    }


def _public_key(value: Any) -> ec.EllipticCurvePublicKey:
    if not isinstance(value, _MAP) or set(value) != {KEY_KTY, KEY_CRV, KEY_X, KEY_Y}:
        raise _invalid("the ephemeral key is not an EC2 COSE_Key of kty, crv, x and y")
    x, y = value[KEY_X], value[KEY_Y]
    kty, crv = value[KEY_KTY], value[KEY_CRV]
    if not _integers(value) or type(kty) is not int or type(crv) is not int:
        raise _invalid("the ephemeral key's labels, kty and crv must be integers")
    if kty != KTY_EC2 or crv != CRV_P256:
        raise _invalid("the ephemeral key is not EC2 on P-256")
    if not all(isinstance(c, bytes) and len(c) == _COORDINATE for c in (x, y)):
        raise _invalid("the ephemeral key's x and y must be 32 bytes each")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
    except ValueError:
        raise _invalid("the ephemeral key is not a point of P-256") from None


def _integers(header: Any) -> bool:
    """Whether every label is an integer (true would pass for 1 in a Python set)."""
    return all(type(label) is int for label in header)


def _array(value: Any, length: int, what: str) -> list[Any]:
    if not isinstance(value, _ARRAY) or len(value) != length:
        raise _invalid(f"{what} must be an array of {length}")
    return list(value)


def _header(raw: Any, what: str) -> dict[Any, Any]:
    if not isinstance(raw, bytes):
        raise _invalid(f"the {what} is not a byte string")
    return dict(_read_header(raw, what))


@lru_cache(maxsize=64)
def _read_header(raw: bytes, what: str) -> dict[Any, Any]:
    try:
        header = cbor.loads_with_tags(raw)
    except cbor.CborError as error:
        raise _invalid(f"the {what}: {error}") from None
    if not isinstance(header, _MAP) or not _integers(header):
        raise _invalid(f"the {what} is not a map of integer labels")
    return dict(header)  # a copy is returned to each caller; this one stays in the cache


def _only(header: Any, label: int, what: str) -> Any:
    if not isinstance(header, _MAP) or set(header) != {label} or not _integers(header):
        raise _invalid(f"the {what} must hold exactly label {label}")
    return header[label]


def _invalid(message: str) -> EncryptError:
    return EncryptError(ErrorCode.COSE_INVALID, message)
