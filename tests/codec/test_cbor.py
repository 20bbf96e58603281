"""CBOR decoding as every payload gets it: one item exactly, no duplicate keys, bounded depth."""

from __future__ import annotations

import cbor2
import pytest

from healthcert.codec import cbor
from healthcert.limits import MAX_NESTING_DEPTH


def test_one_item_decodes() -> None:
    assert cbor.loads(cbor2.dumps({1: "AT", 4: 1700000000})) == {1: "AT", 4: 1700000000}


@pytest.mark.parametrize("tail", [b"\x00", b"garbage", cbor2.dumps({"more": 1})])
def test_bytes_after_the_item_are_refused(tail: bytes) -> None:
    with pytest.raises(cbor.CborError, match=f"{len(tail)} bytes after the item"):
        cbor.loads(cbor2.dumps([b"protected", {}, b"payload", b"signature"]) + tail)


def test_duplicate_map_keys_are_refused() -> None:
    with pytest.raises(cbor.CborError):
        cbor.loads(bytes.fromhex("a2016161016162"))  # {1: "a", 1: "b"}


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    nested = b"\x81" * (MAX_NESTING_DEPTH + 1) + b"\x00"
    with pytest.raises(cbor.CborError):
        cbor.loads(nested)
    assert cbor.loads(b"\x81" * (MAX_NESTING_DEPTH - 1) + b"\x00") is not None


def test_date_tags_keep_the_text_the_issuer_wrote() -> None:
    tagged = cbor2.dumps(cbor2.CBORTag(0, "2021-06-15T09:24:02Z"))
    assert cbor.loads(tagged) == "2021-06-15T09:24:02Z"


def test_empty_input_is_refused() -> None:
    with pytest.raises(cbor.CborError):
        cbor.loads(b"")


# Every tag cbor2 reads as an object of its own, each around a value its decoder accepts and
# around a kept date tag (which its decoder would refuse).
_SEMANTIC_TAGS = {
    0: "2021-01-01T00:00:00Z",
    1: 1609459200,
    2: b"\x01",
    3: b"\x01",
    4: [-1, 15],
    5: [-1, 15],
    30: [1, 3],
    35: "a+",
    36: "Content-Type: text/plain\n\nhi",
    37: b"\x00" * 16,
    52: b"\x7f\x00\x00\x01",
    54: b"\x00" * 16,
    100: 18628,
    258: [1, 2],
    260: b"\x7f\x00\x00\x01",
    261: {1: b"\x7f\x00\x00\x01"},
    1004: "2021-01-01",
    55799: 1,
}


@pytest.mark.parametrize("tag", sorted(_SEMANTIC_TAGS))
@pytest.mark.parametrize("inner", ["value", "kept date tag"])
def test_reading_with_tags_kept_never_refuses_what_loads_accepts(tag: int, inner: str) -> None:
    value = _SEMANTIC_TAGS[tag] if inner == "value" else cbor2.CBORTag(0, None)
    data = cbor2.dumps({4: 1700000000, -260: {1: {"ver": cbor2.CBORTag(tag, value)}}})
    try:
        cbor.loads(data)
    except cbor.CborError:
        return  # refused by both readers alike: nothing to compare
    written = cbor.loads_with_tags(data)
    assert written[-260][1]["ver"] == cbor.Tag(tag, value)
    assert written[4] == 1700000000
