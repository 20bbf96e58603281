"""CBOR decoding with the limits every payload gets, and the encoder healthcert signs with."""

from __future__ import annotations

from typing import Any

import cbor2

from healthcert.limits import MAX_NESTING_DEPTH


class CborError(ValueError):
    """The bytes are not well-formed CBOR, or nest deeper than MAX_NESTING_DEPTH."""


def loads(data: bytes) -> Any:
    try:
        return cbor2.loads(data, max_depth=MAX_NESTING_DEPTH)
    except (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError) as error:
        raise CborError(f"not valid CBOR: {error}") from None


def dumps(value: Any) -> bytes:
    # Canonical (deterministic) encoding: the same certificate always gives the same bytes.
    return cbor2.dumps(value, canonical=True)
