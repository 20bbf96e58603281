"""CBOR decoding's C fast path (see _cbor.c)."""

from typing import Any

def loads(data: bytes, max_depth: int, /) -> Any: ...
