"""Key identifiers: how a payload names the key that signed it."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.serialization import Encoding

if TYPE_CHECKING:
    from cryptography import x509

KID_LENGTH = 8
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def kid_of_der(der: bytes) -> bytes:
    """The EU DCC kid of a DSC: the first 8 bytes of the SHA-256 of its DER encoding."""
    return hashlib.sha256(der).digest()[:KID_LENGTH]


def kid_of(cert: x509.Certificate) -> bytes:
    """The EU DCC kid of a DSC (see ``kid_of_der``)."""
    return kid_of_der(cert.public_bytes(Encoding.DER))


def kid_from_text(text: str) -> bytes:
    """The kid bytes of a textual kid (a JWK ``kid`` or a JWS header ``kid``).

    A base64url string that decodes canonically gives its bytes (SMART Health Cards kids are
    base64url thumbprints); any other string gives its UTF-8 bytes. Verifiers must convert a
    header kid with this same function so that lookups meet the stored keys.
    """
    if text and _BASE64URL.fullmatch(text):
        bare = text.rstrip("=")
        try:
            decoded = base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
        except (binascii.Error, ValueError):
            return text.encode("utf-8")
        # Only a canonical encoding counts: otherwise two strings would name one kid.
        if decoded and base64.urlsafe_b64encode(decoded).rstrip(b"=").decode() == bare:
            return decoded
    return text.encode("utf-8")
