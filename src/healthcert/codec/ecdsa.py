"""ECDSA for COSE and JOSE alike: signatures as both carry them (r||s, each half the curve's
size) turned into what OpenSSL verifies (a DER ECDSA-Sig-Value) and back, and a cheap test
for EC keys."""

from __future__ import annotations

from typing import TypeGuard

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePublicKey

# Built once and shared: an ECDSA(SHA256()) object costs a few microseconds, and every ES256
# signature made or checked would otherwise build one.
ECDSA_SHA256 = ECDSA(hashes.SHA256())

# The classes of EC public keys met so far: an isinstance check against the ABC costs almost a
# microsecond, and every verification asks it.
_EC_KEY_CLASSES: set[type] = set()


def is_ec_key(key: object) -> TypeGuard[EllipticCurvePublicKey]:
    """Whether ``key`` is an EC public key, answered from its class after the first time."""
    if type(key) in _EC_KEY_CLASSES:
        return True
    if isinstance(key, EllipticCurvePublicKey):
        _EC_KEY_CLASSES.add(type(key))
        return True
    return False


def der_signature(signature: bytes, size: int) -> bytes:
    """The DER ECDSA-Sig-Value OpenSSL verifies, of an r||s whose halves are ``size`` bytes.

    Written with byte operations: a third faster than through two integers and
    ``encode_dss_signature``, on a path that runs per payload. Each half becomes a minimal
    non-negative INTEGER (leading zeros dropped, one put back before a high bit).
    """
    r = signature[:size].lstrip(b"\0")
    s = signature[size:].lstrip(b"\0")
    if not r or r[0] & 0x80:
        r = b"\0" + r
    if not s or s[0] & 0x80:
        s = b"\0" + s
    length = len(r) + len(s) + 4
    # At most 2 * (66 + 1 + 2) = 138 bytes (P-521): one length byte, or 0x81 and one.
    head = bytes((0x30, length)) if length < 0x80 else bytes((0x30, 0x81, length))
    return head + bytes((2, len(r))) + r + bytes((2, len(s))) + s


def raw_signature(der: bytes, size: int) -> bytes:
    """The r||s, each half ``size`` bytes, of a DER ECDSA-Sig-Value as OpenSSL signs it.

    Read with byte operations, as ``der_signature`` writes: through ``decode_dss_signature``
    and two integers it cost a tenth of a signature. ValueError for anything but a SEQUENCE
    (its length in one byte, or 0x81 and one for P-521) of two INTEGERs of at most ``size``
    significant bytes.
    """
    start = 3 if der[1:2] == b"\x81" else 2
    if len(der) < start + 6 or der[0] != 0x30 or der[start - 1] != len(der) - start:
        raise ValueError("not a DER ECDSA signature")
    r_end = start + 2 + der[start + 1]
    if (
        der[start] != 2
        or r_end + 2 > len(der)
        or der[r_end] != 2
        or der[r_end + 1] != len(der) - r_end - 2
    ):
        raise ValueError("not a DER ECDSA signature")
    r = der[start + 2 : r_end].lstrip(b"\0")
    s = der[r_end + 2 :].lstrip(b"\0")
    if len(r) > size or len(s) > size:
        raise ValueError("an ECDSA signature half is longer than the curve")
    return r.rjust(size, b"\0") + s.rjust(size, b"\0")
