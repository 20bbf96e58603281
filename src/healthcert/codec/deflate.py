"""Inflating a payload with a bound: zlib (EU DCC) and raw DEFLATE (SMART Health Cards).

A payload of a few hundred bytes can inflate to gigabytes; inflating stops at the limit and
refuses, rather than truncating or running on. Bytes after the stream are refused too: no
checksum and no signature covers them, so they would let many texts carry one certificate.
"""

from __future__ import annotations

import zlib

from healthcert import report as codes
from healthcert.errors import PayloadError
from healthcert.limits import MAX_DECOMPRESSED_BYTES

ZLIB = zlib.MAX_WBITS  # RFC 1950: a header and an Adler-32 checksum around the stream
RAW = -zlib.MAX_WBITS  # RFC 1951: the bare stream


def inflate(data: bytes, *, wbits: int, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """At most ``limit`` inflated bytes; PayloadError DECOMPRESS_FAILED or INPUT_TOO_LARGE."""
    what = "zlib" if wbits == ZLIB else "raw DEFLATE"
    inflater = zlib.decompressobj(wbits)
    try:
        inflated = inflater.decompress(data, limit)
    except zlib.error as error:
        raise PayloadError(codes.DECOMPRESS_FAILED, f"{what}: {error}") from None
    if inflater.unconsumed_tail:
        raise PayloadError(
            codes.INPUT_TOO_LARGE, f"the payload inflates to more than {limit} bytes"
        )
    if not inflater.eof:
        raise PayloadError(codes.DECOMPRESS_FAILED, f"the {what} stream is truncated")
    if inflater.unused_data:
        raise PayloadError(codes.DECOMPRESS_FAILED, f"bytes follow the end of the {what} stream")
    return inflated
