"""The ``shc:/`` QR text of a SMART Health Card: a JWS written as digits, one pair per character.

Each JWS character c becomes the two decimal digits of ord(c) - 45 ('-' is the lowest character
a compact JWS uses, 'z' the highest: 00..77). Numeric QR mode packs digits densely, so the card
fits a smaller code than its text would. The deprecated chunked form ``shc:/i/n/<digits>``
splits one JWS over n codes (at most ``MAX_QR_CHUNKS``, the most one input can hold);
``join`` puts the chunks back together, in any order given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from healthcert import report as codes
from healthcert.errors import PayloadError
from healthcert.limits import MAX_QR_CHUNKS

try:  # the C fast path (healthcert/codec/_jose.c), built where a compiler was found
    from healthcert.codec import _jose

    HAVE_C_EXTENSION = True
except ImportError:  # pragma: no cover - only without a compiler
    HAVE_C_EXTENSION = False

PREFIX = "shc:/"
_OFFSET = 45
_CHUNKED = re.compile(r"([0-9]{1,3})/([0-9]{1,3})/")
_JWS_TEXT = re.compile(r"[A-Za-z0-9_.=-]*")
_DIGIT_BYTES = b"0123456789"
_JWS_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-="
_INVALID = 0x21  # '!': below '-', so no digit pair can stand for it


def _pair_char(byte: int) -> int:
    """The JWS character of the digit pair that reads as ``byte`` in hexadecimal, else '!'."""
    tens, units = byte >> 4, byte & 15
    code = 10 * tens + units + _OFFSET
    if tens < 10 and units < 10 and code in _JWS_BYTES:
        return code
    return _INVALID


# Read as hexadecimal, the digit pair "ab" is the byte 16a+b; this table turns that byte into
# the character 10a+b+45 in one C-level pass. Hex letters, pairs beyond 77 and pairs of no JWS
# character ('/', '@', ...) all become '!', so one search for '!' checks the whole card.
_PAIR_TO_CHAR = bytes(_pair_char(byte) for byte in range(256))
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
    return decode_digits_to_bytes(digits).decode("ascii")


def decode_digits_to_bytes(digits: str) -> bytes:
    """The JWS that ``digits`` encode, as ASCII bytes (each one a compact JWS character)."""
    decoded = _read_pairs(digits)
    if decoded is None:
        raw = digits.encode("utf-8")
        if len(raw) % 2 or raw.translate(None, _DIGIT_BYTES):  # anything left is no digit
            raise PayloadError(codes.NUMERIC_INVALID, "shc:/ must be followed by pairs of digits")
        raise PayloadError(
            codes.NUMERIC_INVALID, "a digit pair encodes no JWS character (pairs run 00 to 77)"
        )
    return decoded


def _read_pairs(digits: str) -> bytes | None:
    """The JWS characters of ``digits``, or None when they are not all pairs of such."""
    if HAVE_C_EXTENSION:
        decoded = _jose.shc_digits(digits)
        if decoded is not None:
            return decoded
    return read_pairs_in_python(digits)


def read_pairs_in_python(digits: str) -> bytes | None:
    """``_read_pairs`` without the C fast path (the tests hold the two equal)."""
    try:
        pairs = bytes.fromhex(digits)
    except ValueError:
        return None
    decoded = pairs.translate(_PAIR_TO_CHAR)
    # fromhex skips white space between pairs: then fewer pairs were read than digits given.
    if 2 * len(decoded) != len(digits) or _INVALID in decoded:
        return None
    return decoded


def qr_text_to_bytes(text: str) -> bytes:
    """The JWS of a card given as its QR text: one code, or chunks separated by white space."""
    # The i/ of a chunk's i/n/ puts a '/' within four characters of the prefix. A string
    # search, where _CHUNKED.match would bring the regular expression engine into every card.
    if has_prefix(text) and text.find("/", len(PREFIX), len(PREFIX) + 4) < 0:
        # The usual case, one code, read straight. Anything unusual (white space, a second
        # code, a bad pair, chunks) is left to ``join``, which says exactly what is wrong.
        decoded = _read_pairs(text[len(PREFIX) :])
        if decoded is not None:
            return decoded
    return join(text.split()).encode("ascii")


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
        raise PayloadError(
            codes.CHUNKS_INVALID,
            f"a card in {total} chunks: no more than {MAX_QR_CHUNKS} fit in one input",
        )
    if not 1 <= index <= total:
        raise PayloadError(codes.CHUNKS_INVALID, f"chunk {index} of {total} cannot exist")
    digits = rest[match.end() :]
    if not digits:  # MAX_QR_CHUNKS counts on every chunk holding a part of the card
        raise PayloadError(codes.CHUNKS_INVALID, f"chunk {index} of {total} holds no digits")
    return Chunk(index, total, digits)


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
