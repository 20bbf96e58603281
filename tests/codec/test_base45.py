"""Base45 (RFC 9285): the specification's examples, every way to be invalid, and round trips.

The codec decodes in big-integer lanes rather than character by character; a plain loop over
the RFC's definition, written here, is the reference it must agree with.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcert.codec import base45
from healthcert.codec.base45 import ALPHABET, Base45Error, decode, encode

FAST = settings(max_examples=200, deadline=None)

# RFC 9285, sections 4.3 and 4.4.
RFC_EXAMPLES = [
    (b"AB", "BB8"),
    (b"Hello!!", "%69 VD92EX0"),
    (b"base-45", "UJCLQE7W581"),
    (b"ietf!", "QED8WEX0"),
]


def reference_decode(text: str) -> bytes:
    """RFC 9285 section 4.2, one character at a time."""
    if len(text) % 3 == 1:
        raise Base45Error("length")
    out = bytearray()
    for start in range(0, len(text), 3):
        chunk = text[start : start + 3]
        if any(char not in ALPHABET for char in chunk):
            raise Base45Error("character")
        value = sum(ALPHABET.index(char) * 45**power for power, char in enumerate(chunk))
        if len(chunk) == 3:
            if value > 0xFFFF:
                raise Base45Error("triplet")
            out += value.to_bytes(2, "big")
        else:
            if value > 0xFF:
                raise Base45Error("pair")
            out.append(value)
    return bytes(out)


@pytest.mark.parametrize(("data", "text"), RFC_EXAMPLES)
def test_rfc_examples_encode(data: bytes, text: str) -> None:
    assert encode(data) == text


@pytest.mark.parametrize(("data", "text"), RFC_EXAMPLES)
def test_rfc_examples_decode(data: bytes, text: str) -> None:
    assert decode(text) == data


def test_empty() -> None:
    assert encode(b"") == ""
    assert decode("") == b""


@pytest.mark.parametrize(
    "text",
    [
        "bb8",  # lower case is not in the alphabet
        "BB8#",
        "BB8\n",
        "BB\t",
        "BB=",
        "BB8_B",
        "BBä",  # not ASCII
        "BB\u00a0",
        "\x00BB",
        "BB\ud800",  # a lone surrogate, as an undecodable command-line argument gives
    ],
)
def test_invalid_characters(text: str) -> None:
    with pytest.raises(Base45Error):
        decode(text)


@pytest.mark.parametrize("text", ["A", "0", "BB8A", "BB8BB8:", "%69 VD92EX0" + "00"])
def test_length_leaving_one_character(text: str) -> None:
    with pytest.raises(Base45Error):
        decode(text)


@pytest.mark.parametrize("text", ["GGW", "HGW", "::::::", "BB8GGW", "GGWBB8", "BB8GGWBB"])
def test_triplet_over_65535(text: str) -> None:
    with pytest.raises(Base45Error):
        decode(text)


def test_largest_triplet_and_pair() -> None:
    assert decode("FGW") == b"\xff\xff"  # 15 + 16*45 + 32*2025 = 65535
    assert decode("U5") == b"\xff"  # 30 + 5*45 = 255
    assert decode("FGWU5") == b"\xff\xff\xff"


@pytest.mark.parametrize("text", ["V5", ":5", "::", "BB8V5", "FGW::"])
def test_final_pair_over_255(text: str) -> None:
    with pytest.raises(Base45Error):
        decode(text)


def test_every_byte_pair_encodes_as_the_rfc_defines() -> None:
    # The encoder divides by 45 with a multiply-and-shift; check it for all 65536 pairs at once.
    data = b"".join(value.to_bytes(2, "big") for value in range(0x10000))
    text = encode(data)
    for value in range(0x10000):
        c, rest = divmod(value, 45 * 45)
        e, d = divmod(rest, 45)
        assert text[3 * value : 3 * value + 3] == ALPHABET[d] + ALPHABET[e] + ALPHABET[c]
    assert decode(text) == data


def test_every_single_byte() -> None:
    for value in range(256):
        assert decode(encode(bytes([value]))) == bytes([value])
        assert encode(bytes([value])) == ALPHABET[value % 45] + ALPHABET[value // 45]


@FAST
@given(st.binary(max_size=2000))
def test_round_trip(data: bytes) -> None:
    text = encode(data)
    assert len(text) == 3 * (len(data) // 2) + 2 * (len(data) % 2)
    assert set(text) <= set(ALPHABET)
    assert decode(text) == data
    assert reference_decode(text) == data


@FAST
@given(st.text(alphabet=ALPHABET, max_size=300))
def test_decode_agrees_with_the_rfc_loop(text: str) -> None:
    try:
        expected = reference_decode(text)
    except Base45Error:
        with pytest.raises(Base45Error):
            decode(text)
    else:
        assert decode(text) == expected
        assert encode(expected) == text


@FAST
@given(st.text(max_size=100))
def test_any_text_decodes_or_raises_base45_error(text: str) -> None:
    try:
        data = decode(text)
    except Base45Error:
        return
    assert encode(data) == text


# --- the C fast path and the Python implementation must be one codec ---------------------------


def c_codec() -> Any:
    """The C fast path; the test is skipped where it could not be compiled."""
    return pytest.importorskip(
        "healthcert.codec._base45", reason="the C extension was not built (no compiler found)"
    )


def test_every_byte_pair_encodes_the_same_in_c_and_python() -> None:
    data = bytes(byte for pair in range(0x10000) for byte in pair.to_bytes(2, "big"))
    text = base45.encode_python(data)
    assert c_codec().encode(data) == text
    assert c_codec().decode(text) == data == base45.decode_python(text)


@FAST
@given(st.binary(max_size=600))
def test_c_and_python_encode_alike(data: bytes) -> None:
    assert c_codec().encode(data) == base45.encode_python(data)


@FAST
@given(st.text(alphabet=ALPHABET + "a\u00e4\U0001f600", max_size=40))
def test_c_decodes_what_python_decodes_and_leaves_the_rest(text: str) -> None:
    # The C code answers None for every invalid text, so that Python words the error.
    try:
        expected: bytes | None = base45.decode_python(text)
    except Base45Error:
        expected = None
    assert c_codec().decode(text) == expected


def test_errors_are_worded_by_python_either_way() -> None:
    for text in ("A", "GGW", "a b", "ÄÄÄ", ":;"):
        with pytest.raises(Base45Error) as through_decode:
            decode(text)
        with pytest.raises(Base45Error) as through_python:
            base45.decode_python(text)
        assert str(through_decode.value) == str(through_python.value)
