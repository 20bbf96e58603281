"""CBOR's C fast path (see _cbor.c)."""

from types import NotImplementedType
from typing import Any

def loads(data: bytes, max_depth: int, /) -> Any: ...
def dumps(value: Any, /) -> bytes | NotImplementedType: ...
