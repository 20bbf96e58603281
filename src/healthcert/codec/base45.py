"""Base45 (RFC 9285), the QR-alphanumeric encoding of EU DCC payloads.

Decoding is on the hot path of every verification, so it avoids a Python loop per character:
the digit string is read as one big integer whose 24-bit lanes are the triplets (a, b, c); masks
pick each digit out of every lane at once, and a + 45*b + 2025*c is computed for all lanes in
three big-integer operations (no lane can overflow: 44 + 45*44 + 2025*44 < 2**24). A lane whose
value needs a third byte is an invalid triplet. Encoding works on 64-bit lanes the same way.

Both run in C when the optional extension ``_base45`` was built: four times faster again, on a
path every issued and verified EU DCC takes. The C code handles valid input only and leaves
every error to the Python code, so the messages are the same with or without it.
"""

from __future__ import annotations

from functools import cache

try:  # the C fast path (healthcert/codec/_base45.c), built where a compiler was found
    from healthcert.codec import _base45

    HAVE_C_EXTENSION = True
except ImportError:  # pragma: no cover - only without a compiler
    HAVE_C_EXTENSION = False

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INVALID = 0xFF
_DIGITS = bytes(
    ALPHABET.index(chr(byte)) if chr(byte) in ALPHABET else _INVALID for byte in range(256)
)


class Base45Error(ValueError):
    """The text is not valid Base45."""


def decode(text: str) -> bytes:
    """Decode Base45 text; raise Base45Error on a bad character, length or triplet value."""
    if HAVE_C_EXTENSION:
        decoded = _base45.decode(text)
        if decoded is not None:
            return decoded
    return decode_python(text)  # valid text where C is missing, and every error message


def decode_python(text: str) -> bytes:
    """``decode`` without the C extension."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise Base45Error("Base45 text holds a non-ASCII character") from None
    digits = raw.translate(_DIGITS)
    if _INVALID in digits:
        bad = chr(raw[digits.index(_INVALID)])
        raise Base45Error(f"{bad!r} is not a Base45 character")
    full, rest = divmod(len(digits), 3)
    if rest == 1:
        raise Base45Error("Base45 text length leaves a single character")
    head = _decode_triplets(digits[: full * 3], full) if full else b""
    if rest == 0:
        return head
    value = digits[-2] + 45 * digits[-1]
    if value > 0xFF:
        raise Base45Error("the final Base45 pair is larger than one byte")
    return head + bytes((value,))


def _decode_triplets(digits: bytes, count: int) -> bytes:
    lanes = int.from_bytes(digits, "big")
    low_byte = _lane_mask(count, b"\0\0\xff")
    values = ((lanes >> 16) & low_byte) + 45 * ((lanes >> 8) & low_byte) + 2025 * (lanes & low_byte)
    if values & _lane_mask(count, b"\xff\0\0"):
        raise Base45Error("a Base45 triplet is larger than two bytes")
    packed = values.to_bytes(3 * count, "big")
    out = bytearray(2 * count)
    out[0::2] = packed[1::3]
    out[1::2] = packed[2::3]
    return bytes(out)


@cache
def _lane_mask(count: int, lane: bytes, width: int = 3) -> int:
    return int.from_bytes(lane * count, "big")


def encode(data: bytes) -> str:
    """Encode bytes as Base45 text."""
    if HAVE_C_EXTENSION and data.__class__ is bytes:
        return _base45.encode(data)
    return encode_python(data)


def encode_python(data: bytes) -> str:
    """``encode`` without the C extension."""
    count, odd = divmod(len(data), 2)
    head = _encode_pairs(data[: 2 * count], count) if count else b""
    if odd:
        high, low = divmod(data[-1], 45)
        head += bytes((low, high))
    return head.translate(_ALPHABET_BYTES).decode("ascii")


# Division by 45 as a multiplication and a shift, exact for every value in range (the tests
# check all of them): n // 45 == (n * 11651) >> 19 for n < 2**16, and q // 45 ==
# (q * 1457) >> 16 for q < 1457. Products stay below 2**30, inside a lane of 64 bits.
_DIV45_PAIR = (11651, 19)
_DIV45_QUOTIENT = (1457, 16)


def _encode_pairs(data: bytes, count: int) -> bytes:
    """The three Base45 digits of every byte pair, all pairs at once in 64-bit lanes."""
    spread = bytearray(8 * count)
    spread[6::8] = data[0::2]
    spread[7::8] = data[1::2]
    values = int.from_bytes(spread, "big")
    low_bits = _lane_mask(count, b"\0\0\0\0\0\0\xff\xff", 8)
    quotients = ((values * _DIV45_PAIR[0]) >> _DIV45_PAIR[1]) & low_bits
    highs = ((quotients * _DIV45_QUOTIENT[0]) >> _DIV45_QUOTIENT[1]) & low_bits
    digits = bytearray(3 * count)
    for offset, lane in enumerate((values - 45 * quotients, quotients - 45 * highs, highs)):
        digits[offset::3] = lane.to_bytes(8 * count, "big")[7::8]
    return bytes(digits)


_ALPHABET_BYTES = bytes.maketrans(bytes(range(45)), ALPHABET.encode("ascii"))
