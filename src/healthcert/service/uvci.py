"""Unique certificate identifiers (UVCI) as the EU guidelines define them (volume 3, annex 2):
``URN:UVCI:01:CC:<opaque>#<checksum>``.

The opaque part is random (no registry numbers in it: a UVCI must not reveal the person), and
the checksum is Luhn mod N (ISO/IEC 7812-1 generalised to N characters) over the whole string
before ``#``, prefix included, with the code points of ``ALPHABET`` in its order.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:"
_CODE = {character: index for index, character in enumerate(ALPHABET)}
# 22 characters of 32 (no 0/O, 1/I ambiguity for people who type it from paper): 110 bits.
_OPAQUE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_OPAQUE_LENGTH = 22
_UVCI = re.compile(r"URN:UVCI:01:[A-Z]{2}:[A-Z0-9/]+#[A-Z0-9/:]")


def checksum(text: str) -> str:
    """The Luhn mod N check character of ``text`` (characters of ALPHABET only)."""
    size = len(ALPHABET)
    total = 0
    factor = 2  # the right-most character is doubled when the check character is appended
    for character in reversed(text):
        addend = factor * _CODE[character]
        total += addend // size + addend % size
        factor = 3 - factor
    return ALPHABET[(size - total % size) % size]


def new_uvci(country: str) -> str:
    """A fresh random UVCI of ``country`` (uniqueness is enforced again by the database)."""
    # One read of the OS's random source, five bits per character: a choice() per character
    # cost more than the signature in batch issuance.
    bits = int.from_bytes(secrets.token_bytes(14), "big")
    opaque = "".join(_OPAQUE_ALPHABET[(bits >> (5 * i)) & 31] for i in range(_OPAQUE_LENGTH))
    body = f"URN:UVCI:01:{country.upper()}:{opaque}"
    return f"{body}#{checksum(body)}"


def is_valid(uvci: str) -> bool:
    """The UVCI has the form above and its check character is right."""
    if not _UVCI.fullmatch(uvci):
        return False
    body, _, check = uvci.rpartition("#")
    return checksum(body) == check
