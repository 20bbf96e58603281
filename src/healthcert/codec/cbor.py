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


def _general_loads(data: bytes) -> Any:
    """Any CBOR cbor2 reads, and the words of every error."""
    stream = io.BytesIO(data)
    try:
        item = cbor2.CBORDecoder(
            stream,
            max_depth=MAX_NESTING_DEPTH,
            semantic_decoders=_JSON_TAGS,
            allow_duplicate_keys=False,
        ).decode()
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError) as error:
        raise CborError(f"not valid CBOR: {error}") from None
    if stream.tell() != len(data):
        raise CborError(f"not valid CBOR: {len(data) - stream.tell()} bytes after the item")
    return item


def dumps(value: Any) -> bytes:
    # Not cbor2's canonical mode: sorting keys made encoding ten times slower, and healthcert
    # builds every map in a fixed order, so the same certificate still gives the same bytes.
    if HAVE_C_EXTENSION:
        encoded = _cbor.dumps(value)
        if encoded is not NotImplemented:
            return encoded
    return cbor2.dumps(value)
