"""CBOR decoding with the limits every payload gets, and the encoder healthcert signs with.

Both run in C when the optional extension ``_cbor`` was built, for the JSON-like CBOR that
CWT claims and DCCs are: decoding seven times faster than cbor2 with its limits, on a path
every verified EU DCC takes, and encoding ten times faster, on every issuance. Anything else,
and every error, goes to cbor2, so the values, bytes and messages are the same with or
without it.
"""

from __future__ import annotations

import io
from typing import Any

import cbor2

from healthcert.limits import MAX_NESTING_DEPTH

try:  # the C fast path (healthcert/codec/_cbor.c), built where a compiler was found
    from healthcert.codec import _cbor

    HAVE_C_EXTENSION = True
except ImportError:  # pragma: no cover - only without a compiler
    HAVE_C_EXTENSION = False


class CborError(ValueError):
    """The bytes are not well-formed CBOR, or nest deeper than MAX_NESTING_DEPTH."""


def _as_written(value: Any, immutable: bool) -> Any:
    return value


# A DCC is JSON carried in CBOR: date and time tags (0 text, 1 epoch, 1004 full date) are kept
# as the JSON value they wrap, so that the schema and the report see what the issuer wrote.
_JSON_TAGS = {0: _as_written, 1: _as_written, 100: _as_written, 1004: _as_written}


def loads(data: bytes) -> Any:
    """Decode exactly one CBOR item, refusing bytes after it (else many texts would carry one
    certificate) and duplicate map keys (two readers could see two different values)."""
    if HAVE_C_EXTENSION and data.__class__ is bytes:
        item = _cbor.loads(data, MAX_NESTING_DEPTH)
        if item is not NotImplemented:
            return item
    return _general_loads(data)


def _general_loads(data: bytes, semantic_decoders: dict[int, Any] = _JSON_TAGS) -> Any:
    """Any CBOR cbor2 reads, and the words of every error."""
    stream = io.BytesIO(data)
    try:
        item = cbor2.CBORDecoder(
            stream,
            max_depth=MAX_NESTING_DEPTH,
            semantic_decoders=semantic_decoders,
            allow_duplicate_keys=False,
        ).decode()
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError) as error:
        raise CborError(f"not valid CBOR: {error}") from None
    if stream.tell() != len(data):
        raise CborError(f"not valid CBOR: {len(data) - stream.tell()} bytes after the item")
    return item


# A tag kept by ``loads_with_tags``: its number and what it wraps.
Tag = cbor2.CBORTag


def _tag_kept(tag: int) -> Any:
    return lambda value, immutable: cbor2.CBORTag(tag, value)


# Tags the decoders give back as the bare value they wrap: the date tags (above), bignums as
# integers, and cbor2's marks for sharing, string references and self-description.
_BARE_TAGS = (0, 1, 2, 3, 28, 100, 256, 1004, 55799)
# Every other tag cbor2 reads as an object of its own (decimals, MIME, UUIDs, sets, ...) is kept
# too when tags are kept: its decoder would refuse a kept tag inside it, and re-reading must
# never refuse an item the first read accepted.
_OTHER_SEMANTIC_TAGS = (4, 5, 30, 35, 36, 37, 52, 54, 258, 260, 261)
_TAGS_KEPT = {tag: _tag_kept(tag) for tag in (*_BARE_TAGS, *_OTHER_SEMANTIC_TAGS)}
# Shared values (tag 29) and string references (tag 25) resolve only under tags 28 and 256 as
# cbor2 reads them.
_TAGS_KEPT_AROUND_REFERENCES = {
    tag: decoder for tag, decoder in _TAGS_KEPT.items() if tag not in (28, 256)
}
# How each begins: the C decoder reads only the first four (the date tags), whose heads never
# occur in UTF-8 text; in a usual CWT only an integer's bytes may hold one.
_C_BARE_TAG_HEADS: tuple[bytes, ...] = (b"\xc0", b"\xc1", b"\xd8\x64", b"\xd9\x03\xec")
_BARE_TAG_HEADS: tuple[bytes, ...] = (
    *_C_BARE_TAG_HEADS,
    *(b"\xc2", b"\xc3", b"\xd8\x1c", b"\xd9\x01\x00", b"\xd9\xd9\xf7"),
)


def loads_noting_tags(data: bytes) -> tuple[Any, bool]:
    """``loads``, and whether the item may hold a tag read as the bare value it wraps: then
    ``loads_with_tags`` shows where. Searching the bytes for the tags' heads costs a fraction
    of a microsecond; decoding again, tags kept, only the rare item that holds one."""
    item: Any = NotImplemented
    heads = _C_BARE_TAG_HEADS
    if HAVE_C_EXTENSION and data.__class__ is bytes:
        item = _cbor.loads(data, MAX_NESTING_DEPTH)
    if item is NotImplemented:
        item, heads = _general_loads(data), _BARE_TAG_HEADS
    for head in heads:
        if head in data:
            return item, True
    return item, False


def loads_with_tags(data: bytes) -> Any:
    """``loads``, but every tag the decoders would read bare kept as a ``Tag``: for the places
    where a tag makes a value something else (a time claim is untagged, RFC 8392). An item
    that refers to values under tags 28 or 256 is read with those two as cbor2 reads them."""
    try:
        return _general_loads(data, _TAGS_KEPT)
    except CborError:
        return _general_loads(data, _TAGS_KEPT_AROUND_REFERENCES)


def dumps(value: Any) -> bytes:
    # Not cbor2's canonical mode: sorting keys made encoding ten times slower, and healthcert
    # builds every map in a fixed order, so the same certificate still gives the same bytes.
    if HAVE_C_EXTENSION:
        encoded = _cbor.dumps(value)
        if encoded is not NotImplemented:
            return encoded
    return cbor2.dumps(value)
