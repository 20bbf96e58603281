"""The ``shc:/`` QR text of a SMART Health Card: a JWS written as digits, one pair per character.

Each JWS character c becomes the two decimal digits of ord(c) - 45 ('-' is the lowest character
a compact JWS uses, 'z' the highest: 00..77). Numeric QR mode packs digits densely, so the card
fits a smaller code than its text would. The deprecated chunked form ``shc:/i/n/<digits>``
splits one JWS over n codes; ``join`` puts the chunks back together, in any order given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from healthcert import report as codes
from healthcert.errors import PayloadError
from healthcert.limits import MAX_QR_CHUNKS

PREFIX = "shc:/"
_OFFSET = 45
_CHUNKED = re.compile(r"([0-9]{1,3})/([0-9]{1,3})/")
_JWS_TEXT = re.compile(r"[A-Za-z0-9_.=-]*")
_DIGIT_BYTES = b"0123456789"
_JWS_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-="
# Read as hexadecimal, the digit pair "ab" is the byte 16a+b; this table turns that byte into
# the character 10a+b+45 in one C-level pass. Pairs beyond 77 and non-decimal bytes become '!',
# which is no JWS character and so fails the check that follows.
_PAIR_TO_CHAR = bytes(
    10 * (byte >> 4) + (byte & 15) + _OFFSET
    if (byte >> 4) < 10 and (byte & 15) < 10 and 10 * (byte >> 4) + (byte & 15) <= 77
    else 0x21
    for byte in range(256)
)
# And back: a JWS character as its tens digit and as its units digit.
_TO_TENS = bytes(0x30 + max(code - _OFFSET, 0) // 10 for code in range(256))
_TO_UNITS = bytes(0x30 + max(code - _OFFSET, 0) % 10 for code in range(256))


@dataclass(frozen=True, slots=True)
class Chunk:
    """One QR code's share of a card: chunk ``index`` of ``total`` (1 of 1 when unchunked)."""

    index: int
    total: int
    digits: str


def has_prefix(text: str) -> bool:
    # A URI scheme is case-insensitive (RFC 3986); some scanners report it in capitals.
    return text[:5].lower() == PREFIX


def decode_digits(digits: str) -> str:
    """The JWS text that ``digits`` encode; NUMERIC_INVALID when they encode none."""
    raw = digits.encode("utf-8")
    if len(raw) % 2 or raw.translate(None, _DIGIT_BYTES):  # anything left is no digit
        raise PayloadError(codes.NUMERIC_INVALID, "shc:/ must be followed by pairs of digits")
    decoded = bytes.fromhex(digits).translate(_PAIR_TO_CHAR)
    if decoded.translate(None, _JWS_BYTES):  # anything left is no JWS character
        raise PayloadError(
            codes.NUMERIC_INVALID, "a digit pair encodes no JWS character (pairs run 00 to 77)"
        )
    return decoded.decode("ascii")


def encode_digits(jws: str) -> str:
    """The digits of ``jws``: each character as two digits, ord(c) - 45."""
    if not _JWS_TEXT.fullmatch(jws):
        raise ValueError("a compact JWS holds only A-Z a-z 0-9 - _ . and padding '='")
    raw = jws.encode("ascii")
    digits = bytearray(2 * len(raw))
    digits[0::2] = raw.translate(_TO_TENS)
    digits[1::2] = raw.translate(_TO_UNITS)
    return digits.decode("ascii")


def to_qr_text(jws: str) -> str:
    """The single-code QR text ``shc:/<digits>`` (issuers no longer chunk)."""
    return PREFIX + encode_digits(jws)


def parse_chunk(text: str) -> Chunk:
    """One QR text: ``shc:/<digits>`` or the chunked ``shc:/i/n/<digits>``."""
    if not has_prefix(text):
        raise PayloadError(codes.PREFIX_INVALID, f"a SMART Health Card QR starts with {PREFIX!r}")
    rest = text[len(PREFIX) :]
    match = _CHUNKED.match(rest)
    if match is None:
        return Chunk(1, 1, rest)
    index, total = int(match.group(1)), int(match.group(2))
    if total > MAX_QR_CHUNKS:
        raise PayloadError(codes.CHUNKS_INVALID, f"more than {MAX_QR_CHUNKS} chunks")
    if not 1 <= index <= total:
        raise PayloadError(codes.CHUNKS_INVALID, f"chunk {index} of {total} cannot exist")
    return Chunk(index, total, rest[match.end() :])


def join(texts: Iterable[str]) -> str:
    """The JWS of a whole card from its QR texts: one, or every chunk of a set exactly once."""
    chunks = [parse_chunk(text) for text in texts]
    if len(chunks) == 1 and chunks[0].total == 1:
        return decode_digits(chunks[0].digits)  # the common case: one code, one card
    if not chunks:
        raise PayloadError(codes.CHUNKS_INVALID, "no QR text was given")
    total = chunks[0].total
    if any(chunk.total != total for chunk in chunks):
        raise PayloadError(codes.CHUNKS_INVALID, "the chunks come from sets of different sizes")
    by_index = {chunk.index: chunk for chunk in chunks}
    if len(by_index) != len(chunks):
        raise PayloadError(codes.CHUNKS_INVALID, "a chunk was given more than once")
    missing = sorted(set(range(1, total + 1)) - set(by_index))
    if missing:
        listed = ", ".join(map(str, missing))
        raise PayloadError(
            codes.CHUNKS_INVALID, f"chunk {listed} of {total} is missing: give all chunks together"
        )
    return "".join(decode_digits(by_index[index].digits) for index in range(1, total + 1))
