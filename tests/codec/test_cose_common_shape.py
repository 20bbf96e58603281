"""The hand reader for the common COSE_Sign1 shape agrees with the general CBOR path.

``cose._common_sign1`` reads an envelope and three definite-length byte strings around an
empty unprotected header without a CBOR decoder, and returns None for anything else so that
the general decoder decides. Every input here is built with cbor2 (or byte by byte where cbor2
would not write it) and decoded both ways: by ``decode_sign1`` as it is, and by
``decode_sign1`` with the hand reader switched off, which is the decoder as it was before.
The two must give equal Sign1 values or the same error code.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import cbor2
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from healthcert.codec import cose

# Tag 61 (CWT) around tag 18, tag 18 alone, and no tag: the envelopes the hand reader knows.
ENVELOPES: dict[str, tuple[int, ...]] = {"cwt": (18, 61), "sign1": (18,), "untagged": ()}
# Lengths at each edge of CBOR's byte string heads: inside the initial byte (0 to 23), one
# length byte (24 to 255), two (256 to 65535), four (65536 on), which the hand reader leaves
# to the general path. decode_sign1 has no size limit of its own (inflating has, at 64 KiB),
# so 65535 is read here.
BOUNDARY_LENGTHS = (0, 1, 22, 23, 24, 25, 254, 255, 256, 257, 65534, 65535, 65536)
HAND_LENGTHS = tuple(length for length in BOUNDARY_LENGTHS if length < 65536)

Outcome = tuple[str, Any]


@contextmanager
def general_path_only() -> Iterator[None]:
    """decode_sign1 as before the hand reader: every input goes through cbor2."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cose, "_common_sign1", lambda data: None)
        yield


def plain(sign1: cose.Sign1) -> tuple[Any, ...]:
    """A Sign1 as comparable values: its maps as dicts (the hand reader shares a frozendict
    where cbor2 builds a dict), every byte field as exact bytes."""
    for part in (sign1.protected_raw, sign1.payload, sign1.signature):
        assert type(part) is bytes
    return (
        sign1.protected_raw,
        dict(sign1.protected),
        dict(sign1.unprotected),
        sign1.payload,
        sign1.signature,
    )


def outcome(data: bytes) -> Outcome:
    try:
        return ("sign1", plain(cose.decode_sign1(data)))
    except cose.CoseError as error:
        return ("error", error.code)


def both_ways(data: bytes) -> tuple[Outcome, Outcome]:
    fast = outcome(data)
    with general_path_only():
        general = outcome(data)
    return fast, general


def envelope(items: list[Any], tags: tuple[int, ...]) -> bytes:
    wrapped: Any = items
    for tag in tags:
        wrapped = cbor2.CBORTag(tag, wrapped)
    return cbor2.dumps(wrapped)


def protected_of_length(length: int) -> bytes:
    """A protected header (a CBOR map with alg and/or kid) exactly ``length`` bytes long; 0 is
    the empty header (no bytes), 1 an empty map."""
    if length == 0:
        return b""
    if length == 1:
        return cbor2.dumps({})
    for kid_length in range(length, -1, -1):
        for header in ({4: b"k" * kid_length}, {1: -7, 4: b"k" * kid_length}):
            encoded = cbor2.dumps(header)
            if len(encoded) == length:
                return encoded
    raise AssertionError(f"no header of {length} bytes")


def content(length: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(length)


def assert_common_and_agreeing(
    data: bytes, protected_raw: bytes, payload: bytes, signature: bytes
) -> None:
    """The hand reader took this input, read it as built, and as the general path reads it."""
    common = cose._common_sign1(data)
    assert common is not None, "the common shape was left to the general path"
    assert plain(common) == (
        protected_raw,
        dict(cbor2.loads(protected_raw)) if protected_raw else {},
        {},
        payload,
        signature,
    )
    fast, general = both_ways(data)
    assert fast == general == ("sign1", plain(common))


# -- the common shape -------------------------------------------------------------------------


def test_headers_are_built_to_length() -> None:
    for length in BOUNDARY_LENGTHS:
        assert len(protected_of_length(length)) == length


@pytest.mark.parametrize("tags", ENVELOPES.values(), ids=ENVELOPES.keys())
@pytest.mark.parametrize("length", BOUNDARY_LENGTHS)
@pytest.mark.parametrize("field", ["protected", "payload", "signature"])
def test_each_field_at_each_length_boundary(field: str, length: int, tags: tuple[int, ...]) -> None:
    protected = protected_of_length(length) if field == "protected" else cbor2.dumps({1: -7})
    payload = content(length if field == "payload" else 40, seed=length)
    signature = content(length if field == "signature" else 64, seed=length + 1)
    data = envelope([protected, {}, payload, signature], tags)
    if length >= 65536:  # a four-byte length head: not the common shape
        assert cose._common_sign1(data) is None
        fast, general = both_ways(data)
        assert fast == general
        assert fast[0] == "sign1"
        return
    assert_common_and_agreeing(data, protected, payload, signature)


lengths = st.sampled_from(HAND_LENGTHS) | st.integers(min_value=0, max_value=300)


@settings(max_examples=300, deadline=None)
@given(
    tags=st.sampled_from(list(ENVELOPES.values())),
    # Two bytes hold no map but the empty one, which is one byte: 2 is no header length.
    protected_length=st.sampled_from(HAND_LENGTHS) | st.integers(3, 40),
    payload=st.binary(max_size=300)
    | st.tuples(lengths, st.integers(0, 2**32)).map(lambda drawn: content(*drawn)),
    signature=st.binary(max_size=300),
)
def test_random_byte_strings_in_the_common_shape(
    tags: tuple[int, ...], protected_length: int, payload: bytes, signature: bytes
) -> None:
    protected = protected_of_length(protected_length)
    data = envelope([protected, {}, payload, signature], tags)
    assert_common_and_agreeing(data, protected, payload, signature)


@pytest.mark.parametrize("tags", ENVELOPES.values(), ids=ENVELOPES.keys())
def test_lengths_written_longer_than_needed_are_read_as_cbor2_reads_them(
    tags: tuple[int, ...],
) -> None:
    # Not canonical CBOR, but well-formed: a short string given a one- or two-byte length.
    # cbor2 reads them, and the hand reader must read the same bytes.
    protected = cbor2.dumps({1: -7, 4: b"kid"})
    parts = (
        b"\x58" + bytes([len(protected)]) + protected,
        b"\xa0",
        b"\x59\x00\x03abc",
        b"\x58\x02xy",
    )
    head = envelope([], tags)[:-1]  # the tags, without the empty array
    data = head + b"\x84" + b"".join(parts)
    assert_common_and_agreeing(data, protected, b"abc", b"xy")


# -- shapes the hand reader leaves to the general path ----------------------------------------

PROTECTED = cbor2.dumps({1: -7, 4: b"kid-1"})
PAYLOAD = cbor2.dumps({1: "DE", 4: 1_900_000_000, 6: 1_800_000_000})
SIGNATURE = bytes(range(64))
ITEMS: list[Any] = [PROTECTED, {}, PAYLOAD, SIGNATURE]
COMMON = envelope(ITEMS, (18,))


def indefinite(data: bytes, chunk: int = 7) -> bytes:
    """``data`` as an indefinite-length byte string of definite chunks."""
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    return b"\x5f" + b"".join(cbor2.dumps(part) for part in chunks) + b"\xff"


def _array(*items: bytes) -> bytes:
    return bytes([0x80 + len(items)]) + b"".join(items)


UNCOMMON: dict[str, bytes] = {
    "unprotected kid": envelope([PROTECTED, {4: b"kid-2"}, PAYLOAD, SIGNATURE], (18,)),
    "unprotected alg": envelope([b"", {1: -7}, PAYLOAD, SIGNATURE], (18, 61)),
    "unprotected not a map": envelope([PROTECTED, b"", PAYLOAD, SIGNATURE], ()),
    "indefinite protected": b"\xd2"
    + _array(indefinite(PROTECTED), b"\xa0", cbor2.dumps(PAYLOAD), cbor2.dumps(SIGNATURE)),
    "indefinite payload": b"\xd2"
    + _array(cbor2.dumps(PROTECTED), b"\xa0", indefinite(PAYLOAD), cbor2.dumps(SIGNATURE)),
    "indefinite signature": b"\x84"
    + cbor2.dumps(PROTECTED)
    + b"\xa0"
    + cbor2.dumps(PAYLOAD)
    + indefinite(SIGNATURE),
    "indefinite unprotected map": b"\xd2"
    + _array(cbor2.dumps(PROTECTED), b"\xbf\xff", cbor2.dumps(PAYLOAD), cbor2.dumps(SIGNATURE)),
    "indefinite array": b"\xd2\x9f" + b"".join(cbor2.dumps(part) for part in ITEMS) + b"\xff",
    "trailing byte": COMMON + b"\x00",
    "trailing item": COMMON + COMMON,
    "tag 61 without 18": envelope([PROTECTED, {}, PAYLOAD, SIGNATURE], (61,)),
    "tag 61 around another tag": envelope([PROTECTED, {}, PAYLOAD, SIGNATURE], (19, 61)),
    "another tag": envelope([PROTECTED, {}, PAYLOAD, SIGNATURE], (98,)),
    "tag 18 twice": envelope([PROTECTED, {}, PAYLOAD, SIGNATURE], (18, 18)),
    "array of 3": envelope([PROTECTED, {}, PAYLOAD], (18,)),
    "array of 5": envelope([PROTECTED, {}, PAYLOAD, SIGNATURE, b""], (18,)),
    "untagged array of 3": envelope([PROTECTED, {}, PAYLOAD], ()),
    "cwt array of 5": envelope([PROTECTED, {}, PAYLOAD, SIGNATURE, SIGNATURE], (18, 61)),
    "payload as text": envelope([PROTECTED, {}, "text", SIGNATURE], (18,)),
    "payload nil": envelope([PROTECTED, {}, None, SIGNATURE], (18,)),
    "protected not CBOR": envelope([b"\xff\xff", {}, PAYLOAD, SIGNATURE], (18,)),
    "protected not a map": envelope([cbor2.dumps([1, -7]), {}, PAYLOAD, SIGNATURE], (18,)),
    "protected duplicate keys": envelope([b"\xa2\x01\x26\x01\x26", {}, PAYLOAD, SIGNATURE], ()),
    "protected trailing": envelope([PROTECTED + b"\x00", {}, PAYLOAD, SIGNATURE], (18,)),
    "four-byte length": b"\xd2\x84"
    + b"\x5a\x00\x00\x00"
    + bytes([len(PROTECTED)])
    + PROTECTED
    + b"\xa0"
    + cbor2.dumps(PAYLOAD)
    + cbor2.dumps(SIGNATURE),
    "empty": b"",
    "a map": cbor2.dumps({1: 2}),
}


@pytest.mark.parametrize("data", UNCOMMON.values(), ids=UNCOMMON.keys())
def test_uncommon_shapes_are_left_to_the_general_path(data: bytes) -> None:
    assert cose._common_sign1(data) is None
    fast, general = both_ways(data)
    assert fast == general


def test_the_uncommon_shapes_still_give_their_answers() -> None:
    # Spelled out for a few, so that "equal to the general path" is not equal in failing.
    read = {name: both_ways(data)[0] for name, data in UNCOMMON.items()}
    sign1 = ("sign1", plain(cose.decode_sign1(COMMON)))
    assert read["tag 61 without 18"] == sign1
    for name in ("indefinite protected", "indefinite payload", "indefinite array"):
        assert read[name] == sign1, name
    assert read["unprotected kid"][0] == "sign1"
    assert read["unprotected kid"][1][2] == {4: b"kid-2"}
    for name in ("trailing byte", "trailing item", "empty", "protected duplicate keys"):
        assert read[name][0] == "error", name
    assert read["trailing byte"] == ("error", "CBOR_INVALID")
    assert read["empty"] == ("error", "CBOR_INVALID")
    for name in ("array of 3", "array of 5", "payload as text", "protected not a map"):
        assert read[name] == ("error", "COSE_INVALID"), name
    assert read["another tag"] == ("error", "COSE_INVALID")


@pytest.mark.parametrize("tags", ENVELOPES.values(), ids=ENVELOPES.keys())
def test_every_truncation_is_refused_alike(tags: tuple[int, ...]) -> None:
    data = envelope([PROTECTED, {}, PAYLOAD, SIGNATURE], tags)
    for end in range(len(data)):
        cut = data[:end]
        assert cose._common_sign1(cut) is None, end
        fast, general = both_ways(cut)
        assert fast == general, end
        assert fast[0] == "error", end


@pytest.mark.parametrize("length", [24, 255, 256, 300])
def test_truncated_long_length_heads(length: int) -> None:
    # A length head whose own bytes are cut short, or that promises more than follows.
    body = content(length, seed=length)
    data = envelope([PROTECTED, {}, body, SIGNATURE], (18,))
    start = data.index(body) - (2 if length < 256 else 3)
    for end in range(start, start + 4):
        fast, general = both_ways(data[:end])
        assert fast == general == ("error", "CBOR_INVALID"), end


# -- any bytes --------------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(
    prefix=st.sampled_from([b"\xd8\x3d\xd2\x84", b"\xd2\x84", b"\x84"]),
    rest=st.binary(max_size=80),
)
@example(prefix=b"\x84", rest=b"\x40\xa0\x40\x40")
@example(prefix=b"\x84", rest=b"\x40\xa0\x40\x58")
@example(prefix=b"\x84", rest=b"\x40\xa0\x40\x59\x00")
@example(prefix=b"\xd2\x84", rest=b"\x41\xa0\xa0\x40\x40")
def test_any_bytes_after_an_envelope_decode_alike(prefix: bytes, rest: bytes) -> None:
    """Whatever follows an opening the hand reader recognises, both ways agree."""
    fast, general = both_ways(prefix + rest)
    assert fast == general


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_mutated_payloads_decode_alike(data: st.DataObject) -> None:
    """A valid common Sign1 with bytes replaced, inserted or removed: near misses of the
    common shape, where a hand reader is likeliest to read what the general path refuses."""
    tags = data.draw(st.sampled_from(list(ENVELOPES.values())))
    encoded = bytearray(envelope([PROTECTED, {}, PAYLOAD, SIGNATURE], tags))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(encoded)))
        action = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = data.draw(st.integers(0, 255))
        if action == "insert" or at == len(encoded):
            encoded.insert(at, byte)
        elif action == "replace":
            encoded[at] = byte
        else:
            del encoded[at]
    fast, general = both_ways(bytes(encoded))
    assert fast == general


def test_the_shared_empty_header_cannot_be_changed() -> None:
    # Every common Sign1 shares one unprotected map; a caller writing to it would write to all.
    sign1 = cose.decode_sign1(COMMON)
    assert isinstance(sign1.unprotected, Mapping)
    with pytest.raises(TypeError):
        sign1.unprotected[4] = b"x"  # type: ignore[index]
