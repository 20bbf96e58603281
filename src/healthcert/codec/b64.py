"""Base64url (RFC 4648 section 5) as JWS, JWK and VDS-NC use it, and plain base64 for ``x5c``.

Decoding accepts the text with or without its ``=`` padding, because issuers differ, but
nothing else: a character outside the alphabet is an error, never silently dropped as the
standard library's lenient decoder would.
"""

from __future__ import annotations

import base64
import binascii
import re

try:  # the C fast path (healthcert/codec/_jose.c), built where a compiler was found
    from healthcert.codec import _jose

    HAVE_C_EXTENSION = True
except ImportError:  # pragma: no cover - only without a compiler
    HAVE_C_EXTENSION = False

_URL_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")
_STD_ALPHABET = re.compile(r"[A-Za-z0-9+/]*")
# bytes.translate runs in C; str.translate goes character by character through a mapping.
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_PAD = ord("=")


class Base64Error(ValueError):
    """The text is not base64 (or base64url) of any byte string."""


def urlsafe_encode(data: bytes) -> str:
    """Base64url without padding, as JOSE writes it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def urlsafe_decode(text: str) -> bytes:
    """Base64url with or without padding."""
    bare = _strip_padding(text)
    if not _URL_ALPHABET.fullmatch(bare):
        raise Base64Error("not base64url: only A-Z a-z 0-9 - _ and trailing = may appear")
    return _decode_bare(bare.encode("ascii").translate(_TO_STANDARD))


def urlsafe_decode_checked(data: bytes) -> bytes:
    """Base64url bytes already known to hold only the alphabet and '=' (a checked JWS part)."""
    if HAVE_C_EXTENSION:
        decoded = _jose.b64url(data)
        if decoded is not None:
            return decoded
    return checked_decode_in_python(data)


def checked_decode_in_python(data: bytes) -> bytes:
    """``urlsafe_decode_checked`` without the C fast path (the tests hold the two equal)."""
    bare = data.rstrip(b"=")
    # Searched for as a byte value: a bytes needle costs an internal TypeError first.
    if _PAD in bare or (bare is not data and (len(data) - len(bare) > 2 or len(data) % 4)):
        raise Base64Error("'=' may only pad the end to a multiple of four characters")
    # Only the alphabet is left, exactly padded below: the lenient decoder then reads what the
    # strict one reads, in half its time (this runs on every part of every JWS).
    return _decode_bare(bare.translate(_TO_STANDARD), strict=False)


def standard_decode(text: str) -> bytes:
    """Plain base64 (the ``x5c`` member of a JWK), with or without padding."""
    bare = _strip_padding(text)
    if not _STD_ALPHABET.fullmatch(bare):
        raise Base64Error("not base64: only A-Z a-z 0-9 + / and trailing = may appear")
    return _decode_bare(bare.encode("ascii"))


def _strip_padding(text: str) -> str:
    bare = text.rstrip("=")
    if len(bare) != len(text) and (len(text) - len(bare) > 2 or len(text) % 4):
        raise Base64Error("'=' may only pad the end to a multiple of four characters")
    return bare


def _decode_bare(bare: bytes, *, strict: bool = True) -> bytes:
    if len(bare) % 4 == 1:
        raise Base64Error("a length of 4n+1 characters encodes no byte string")
    padded = bare + b"=" * (-len(bare) % 4)
    try:
        # The lenient mode is the default: asked for by name, it costs a keyword parse.
        if strict:
            return binascii.a2b_base64(padded, strict_mode=True)
        return binascii.a2b_base64(padded)
    except binascii.Error as error:
        raise Base64Error(str(error)) from None
