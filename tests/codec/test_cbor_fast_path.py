"""The C fast path of CBOR decoding (_cbor.c) against the general decoder (cbor2), its reference.

The rule: whenever C returns a value, the general decoder returns an equal one of the same
types all the way down; whenever the general decoder raises, C returns NotImplemented (so the
general decoder alone words every error). And the public cbor.loads, which tries C first,
answers every input exactly as it does without the C extension.
"""

from __future__ import annotations

import contextlib
import enum
import json
import math
import struct
from functools import cache
from pathlib import Path
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcert.codec import base45, cbor, cose
from healthcert.errors import PayloadError
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.limits import MAX_NESTING_DEPTH

FAST = settings(max_examples=200, deadline=None)
VECTORS = Path(__file__).parent.parent / "data" / "eu-dcc"
JSON_TAGS = (0, 1, 100, 1004)


def c_codec() -> Any:
    """The C fast path; the test is skipped where it could not be compiled."""
    return pytest.importorskip(
        "healthcert.codec._cbor", reason="the C extension was not built (no compiler found)"
    )


def assert_same(left: Any, right: Any) -> None:
    """Equal, and of the same types all the way down (True is not 1; a NaN is a NaN)."""
    assert type(left) is type(right), (left, right)
    if isinstance(left, float):
        same_bits = struct.pack(">d", left) == struct.pack(">d", right)
        assert same_bits or (math.isnan(left) and math.isnan(right)), (left, right)
    elif isinstance(left, dict):  # item by item, in order: a NaN key is never == itself
        assert_same([*left.items()], [*right.items()])
    elif isinstance(left, list | tuple):
        for one, other in zip(left, right, strict=True):
            assert_same(one, other)
    else:
        assert left == right


def fast(data: bytes) -> Any:
    return c_codec().loads(data, MAX_NESTING_DEPTH)


def loads_without_c(data: bytes) -> Any:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cbor, "HAVE_C_EXTENSION", False)
        return cbor.loads(data)


def assert_rule(data: bytes) -> Any:
    """Check the rule on data, and that the public loads answers as it does without C; return
    what C returned."""
    answer = fast(data)
    try:
        general = cbor._general_loads(data)
    except cbor.CborError:
        assert answer is NotImplemented, data.hex()
        with pytest.raises(cbor.CborError) as with_c:
            cbor.loads(data)
        with pytest.raises(cbor.CborError) as without_c:
            loads_without_c(data)
        assert str(with_c.value) == str(without_c.value)  # the same words either way
        return answer
    if answer is not NotImplemented:
        assert_same(answer, general)
    assert_same(cbor.loads(data), loads_without_c(data))
    return answer


@cache
def vector_items() -> tuple[bytes, ...]:
    """The protected header and CWT claims of every EU vector whose envelope can be opened."""
    items: list[bytes] = []
    for path in sorted(VECTORS.rglob("*.json")):
        payload = json.loads(path.read_text(encoding="utf-8-sig")).get("PREFIX") or ""
        try:  # only the envelope is opened: the claims are what is tested
            compressed = base45.decode(payload.removeprefix(eu_dcc.PREFIX))
            sign1 = cose.decode_sign1(eu_dcc.inflate(compressed))
        except (base45.Base45Error, PayloadError, cose.CoseError):
            continue  # broken before the CWT claims
        if eu_dcc.looks_like(payload):
            items += [sign1.protected_raw, sign1.payload]
    return tuple(items)


def test_every_eu_vector_decodes_in_c_as_in_the_general_decoder() -> None:
    decoded = sum(assert_rule(data) is not NotImplemented for data in vector_items())
    # 396 of 398 when written; the other two are empty payloads the general decoder refuses.
    assert decoded >= 390


def test_every_truncation_of_a_claims_payload_is_left_to_the_general_decoder() -> None:
    claims = vector_items()[1]
    for end in range(len(claims)):
        assert assert_rule(claims[:end]) is NotImplemented


# --- hypothesis: JSON-like values as cbor2 encodes them ---------------------------------------

# Ints reach past both 64-bit ends; texts past the 16 bytes C caches, some not ASCII.
keys = st.integers(-(2**64), 2**64) | st.text(max_size=20) | st.binary(max_size=20)
scalars = keys | st.floats() | st.booleans() | st.none()
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(keys, inner, max_size=4)
        | st.builds(cbor2.CBORTag, st.sampled_from(JSON_TAGS), inner)
    ),
    max_leaves=20,
)


def in_subset(value: Any, depth_left: int = MAX_NESTING_DEPTH) -> bool:
    """Whether C must decode the value: ints of 64 bits, fewer than 16 containers and tags."""
    if isinstance(value, int):
        return -(2**63) <= value < 2**64
    if isinstance(value, cbor2.CBORTag):
        value = [value.value]
    elif isinstance(value, dict):
        value = [*value, *value.values()]
    elif not isinstance(value, list):
        return True
    return depth_left > 1 and all(in_subset(child, depth_left - 1) for child in value)


@FAST
@given(values)
def test_encoded_json_like_values_decode_alike(value: Any) -> None:
    # Within the subset C must answer (not leave it all to the general decoder); outside it,
    # it must not: a bignum tag, or a negative int beyond 64 bits, or too deep.
    answer = assert_rule(cbor2.dumps(value))
    assert (answer is not NotImplemented) == in_subset(value), value


# --- hypothesis: arbitrary and damaged bytes --------------------------------------------------


@FAST
@given(st.binary(max_size=64))
def test_random_bytes_follow_the_rule(data: bytes) -> None:
    assert_rule(data)


mutation = st.tuples(st.sampled_from("xid"), st.integers(0, 10**6), st.integers(1, 255))


@FAST
@given(st.integers(0, 50), st.lists(mutation, min_size=1, max_size=3))
def test_damaged_claims_payloads_follow_the_rule(which: int, mutations: list[Any]) -> None:
    """Flip (x), insert (i) or delete (d) bytes of real CWT claims (the odd items)."""
    data = bytearray(vector_items()[(2 * which + 1) % len(vector_items())])
    for kind, position, byte in mutations:
        if kind == "i":
            data.insert(position % (len(data) + 1), byte)
        elif data and kind == "d":
            del data[position % len(data)]
        elif data:
            data[position % len(data)] ^= byte
    assert_rule(bytes(data))


# --- specific cases ---------------------------------------------------------------------------


REFUSED_OR_OUTSIDE = {
    "duplicate key, same cached text value": b"\xa2\x01\x62AT\x01\x62AT",
    "true and 1 as keys": b"\xa2\xf5\x00\x01\x00",
    "false and 0 as keys": b"\xa2\xf4\x00\x00\x00",
    "1.0 and 1 as keys": b"\xa2\xf9\x3c\x00\x00\x01\x00",
    "16 nested arrays": b"\x81" * 16 + b"\x00",
    "17 nested arrays": b"\x81" * 17 + b"\x00",
    "bignum": b"\xc2\x41\x01",
    "tag 28 shareable": b"\xd8\x1c\x00",
    "tag 29 shared reference": b"\xd8\x1d\x00",
    "indefinite array": b"\x9f\x01\xff",
    "indefinite text": b"\x7f\x61a\xff",
    "undefined": b"\xf7",
    "simple 16": b"\xf0",
    "simple 32": b"\xf8\x20",
    "lone break": b"\xff",
    "trailing byte": b"\x00\x00",
    "invalid UTF-8": b"\x62\xc3\x28",
    "encoded surrogate": b"\x63\xed\xa0\x80",
    "below -2**63": b"\x3b\x80" + b"\x00" * 7,
    "empty": b"",
    "truncated double": b"\xfb\x00",
    "array claiming more items than bytes": b"\x9a\xff\xff\xff\xff\x00",
    "container map key": b"\xa1\x80\x00",
    **{
        f"info {info} of major {major}": bytes([major << 5 | info])
        for info in (28, 29, 30)
        for major in range(8)
    },
}


@pytest.mark.parametrize("data", REFUSED_OR_OUTSIDE.values(), ids=REFUSED_OR_OUTSIDE.keys())
def test_outside_the_subset_is_not_implemented(data: bytes) -> None:
    assert assert_rule(data) is NotImplemented


def test_what_the_general_decoder_says_of_duplicates_depth_and_big_negatives() -> None:
    for data in (b"\xa2\x01\x62AT\x01\x62AT", b"\xa2\xf5\x00\x01\x00", b"\x81" * 17 + b"\x00"):
        with pytest.raises(cbor.CborError):
            cbor._general_loads(data)
    # C gives up one level earlier than the general decoder, never later, and leaves it the
    # ints below -2**63.
    nested = [[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]
    assert_same(cbor._general_loads(b"\x81" * 16 + b"\x00"), nested)
    assert_same(cbor._general_loads(b"\x3b\x80" + b"\x00" * 7), -(2**63) - 1)


DECODED = {
    "15 nested arrays": (b"\x81" * 15 + b"\x00", [[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]),
    "tag 0": (b"\xc0\x6a2021-06-15", "2021-06-15"),
    "tag 1": (b"\xc1\x1a\x60\xc8\x5b\x00", 1623743232),
    "tag 100": (b"\xd8\x64\x19\x49\xd2", 18898),
    "tag 1004 around a map": (b"\xd9\x03\xec\xa1\x61a\xf6", {"a": None}),
    "tag 0 around a key": (b"\xa1\xc0\x61k\xf5", {"k": True}),
    "half 1.0": (b"\xf9\x3c\x00", 1.0),
    "half -0.0": (b"\xf9\x80\x00", -0.0),
    "half NaN": (b"\xf9\x7e\x00", math.nan),
    "half infinity": (b"\xf9\x7c\x00", math.inf),
    "single": (b"\xfa\x47\xc3\x50\x00", 100000.0),
    "double": (b"\xfb\x3f\xf1\x99\x99\x99\x99\x99\x9a", 1.1),
    "2**64-1": (b"\x1b" + b"\xff" * 8, 2**64 - 1),
    "-2**63": (b"\x3b\x7f" + b"\xff" * 7, -(2**63)),
    "non-minimal int": (b"\x19\x00\x01", 1),
    "bytes and text": (b"\x82\x42\x00\xff\x62\xc3\xa9", [b"\x00\xff", "é"]),
    "two NaN keys": (b"\xa2\xf9\x7e\x00\x00\xf9\x7e\x00\x01", {float("nan"): 0, float("nan"): 1}),
}


@pytest.mark.parametrize(("data", "expected"), DECODED.values(), ids=DECODED.keys())
def test_the_subset_decodes_in_c(data: bytes, expected: Any) -> None:
    answer = assert_rule(data)
    assert answer is not NotImplemented
    assert_same(answer, expected)


def test_every_half_float_decodes_alike() -> None:
    # cbor2 encodes floats as doubles (a NaN as half): the hypothesis values never reach these.
    halves = b"".join(b"\xf9" + bits.to_bytes(2, "big") for bits in range(2**16))
    assert assert_rule(b"\x9a\x00\x01\x00\x00" + halves) is not NotImplemented


@FAST
@given(st.sampled_from([b"\xfa", b"\xfb"]), st.binary(min_size=8, max_size=8))
def test_any_single_or_double_float_decodes_alike(head: bytes, bits: bytes) -> None:
    assert assert_rule(head + bits[: 4 if head == b"\xfa" else 8]) is not NotImplemented


def test_shared_short_texts_stay_right_when_slots_collide() -> None:
    # 5,000 distinct texts of 1 to 18 characters over 512 slots: every slot is reused many
    # times, with non-ASCII texts (never cached) among them.
    texts = [f"{n:x}".rjust(n % 18, "_") + "é" * (n % 7 == 0) for n in range(5000)]
    data = cbor2.dumps(texts)
    for _ in range(2):
        assert_same(fast(data), texts)
    as_keys = cbor2.dumps(dict.fromkeys(texts, 0))
    assert_same(fast(as_keys), dict.fromkeys(texts, 0))  # no false duplicate among them
    for text in ("é", "日本", "😀", "Ä" * 8, "a" * 16, "a" * 17, ""):
        assert_same(fast(cbor2.dumps(text)), text)


# --- the public loads takes the C path, and no caller can tell --------------------------------


def test_public_loads_takes_the_c_path() -> None:
    c_codec()
    assert cbor.HAVE_C_EXTENSION

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(c_codec(), "loads", lambda data, depth: ("from C", data, depth))
        assert cbor.loads(b"\x00") == ("from C", b"\x00", MAX_NESTING_DEPTH)


# --- encoding: C writes what cbor2 writes, or leaves it to cbor2 -------------------------------


def encodable_in_c(value: Any, depth: int = 0) -> bool:
    """Whether C must encode the value: exact JSON-like types, 64-bit ints, valid text."""
    if isinstance(value, bool) or value is None or isinstance(value, bytes):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, str):
        return not any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        value = [*value, *value.values()]
    if not isinstance(value, list):
        return False  # a float, a tag
    return depth < 64 and all(encodable_in_c(child, depth + 1) for child in value)


def assert_encodes_as_cbor2(value: Any) -> None:
    encoded = c_codec().dumps(value)
    assert (encoded is not NotImplemented) == encodable_in_c(value), value
    if encoded is not NotImplemented:
        assert encoded == cbor2.dumps(value)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cbor, "HAVE_C_EXTENSION", False)
        without_c = cbor.dumps(value)
    assert cbor.dumps(value) == without_c


@FAST
@given(values)
def test_json_like_values_encode_as_cbor2_encodes_them(value: Any) -> None:
    assert_encodes_as_cbor2(value)


def test_every_eu_vector_claims_map_encodes_as_cbor2_encodes_it() -> None:
    claims = [cbor2.loads(data) for data in vector_items()[1::2] if data]
    assert len(claims) > 150
    for value in claims:
        assert_encodes_as_cbor2(value)


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


class Kind(enum.StrEnum):
    VACCINATION = "v"


@pytest.mark.parametrize(
    "value",
    [
        2**63,  # cbor2 writes it in 8 bytes; C leaves all beyond a signed 64 bits
        -(2**63) - 1,
        2**64,  # a bignum tag
        1.5,
        (1, 2),
        "\ud800",
        Kind.VACCINATION,  # subclasses of str and int are cbor2's to write
        enum.IntEnum("Dose", "ONE")(1),
        nested(65),  # deeper than C goes
    ],
)
def test_outside_the_encodable_subset_is_left_to_cbor2(value: Any) -> None:
    assert c_codec().dumps(value) is NotImplemented
    with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate is refused either way
        assert cbor.dumps(value) == cbor2.dumps(value)


def test_a_cycle_is_left_to_cbor2() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    assert c_codec().dumps(cycle) is NotImplemented
