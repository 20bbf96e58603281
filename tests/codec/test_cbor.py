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
