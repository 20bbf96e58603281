"""JSON Canonicalization Scheme (RFC 8785): the bytes a VDS-NC signature covers.

Serialising the same JSON value always gives the same bytes: object members sorted by the
UTF-16 code units of their names, no insignificant whitespace, strings escaped minimally,
numbers written as ECMAScript writes an IEEE 754 double, the whole encoded as UTF-8.

``loads`` is the matching strict parser for signed input: RFC 8785 requires I-JSON (RFC 7493),
so duplicate member names, non-finite numbers and lone surrogates are refused, as is nesting
deeper than the input limit.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from healthcert.limits import MAX_NESTING_DEPTH

# Integers up to 2**53 are exact doubles and ECMAScript prints them digit for digit.
_EXACT_INTEGER = 2**53
# ECMAScript switches to exponent notation from 1e21 up and below 1e-6.
_MAX_PLAIN_EXPONENT = 21
_MIN_PLAIN_EXPONENT = -6


class CanonicalJsonError(ValueError):
    """The value has no RFC 8785 form, or the text is not I-JSON."""


def dumps(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value (dict, list, str, number, bool, None)."""
    parts: list[str] = []
    _write(value, parts, 0)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalJsonError("a string holds a lone surrogate, which I-JSON forbids") from None


def loads(text: str | bytes) -> Any:
    """Parse I-JSON strictly: duplicate names, NaN/Infinity and deep nesting are errors."""
    try:
        value = json.loads(text, object_pairs_hook=unique_members, parse_constant=_no_constant)
        too_deep = _depth(value) > MAX_NESTING_DEPTH
    except RecursionError:
        too_deep = True
    except ValueError as error:  # also an integer too long for int() (over 4300 digits)
        raise CanonicalJsonError(f"not JSON: {error}") from None
    if too_deep:
        raise CanonicalJsonError(f"the JSON nests deeper than {MAX_NESTING_DEPTH} levels")
    return value


def number(value: int | float) -> str:
    """ECMAScript Number::toString of ``value`` as a double (RFC 8785 section 3.2.2.3)."""
    if isinstance(value, int) and abs(value) < _EXACT_INTEGER:
        return str(value)
    try:
        as_float = float(value)
    except OverflowError:
        raise CanonicalJsonError(f"{value} is beyond the range of a double") from None
    if not math.isfinite(as_float):
        raise CanonicalJsonError(f"{value!r} is not a finite number")
    if as_float == 0:
        return "0"  # ECMAScript writes -0 as 0
    sign = "-" if as_float < 0 else ""
    digits, exponent = _shortest_digits(abs(as_float))
    return sign + _ecmascript_layout(digits, exponent)


def _shortest_digits(value: float) -> tuple[str, int]:
    """Digits d1..dk and n with value = 0.d1..dk * 10**n, the shortest that round-trips.

    Python's repr is the shortest round-trip form, the same digits ECMAScript chooses.
    """
    mantissa, _, exp_text = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    exponent = int(exp_text or "0") + len(whole)
    digits = (whole + fraction).lstrip("0")
    exponent -= len(whole + fraction) - len((whole + fraction).lstrip("0"))
    return digits.rstrip("0") or "0", exponent


def _ecmascript_layout(digits: str, n: int) -> str:
    k = len(digits)
    if k <= n <= _MAX_PLAIN_EXPONENT:
        return digits + "0" * (n - k)
    if 0 < n <= _MAX_PLAIN_EXPONENT:
        return f"{digits[:n]}.{digits[n:]}"
    if _MIN_PLAIN_EXPONENT < n <= 0:
        return "0." + "0" * -n + digits
    mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{mantissa}e{n - 1:+d}"


def _write(value: Any, parts: list[str], depth: int) -> None:
    if depth > MAX_NESTING_DEPTH:
        raise CanonicalJsonError(f"the value nests deeper than {MAX_NESTING_DEPTH} levels")
    if value is None or isinstance(value, bool):
        parts.append("null" if value is None else ("true" if value else "false"))
    elif isinstance(value, str):
        parts.append(_string(value))
    elif isinstance(value, int | float):
        parts.append(number(value))
    elif isinstance(value, Mapping):
        _write_object(value, parts, depth)
    elif isinstance(value, Sequence):
        _write_array(value, parts, depth)
    else:
        raise CanonicalJsonError(f"{type(value).__name__} is not a JSON value")


def _write_object(value: Mapping[Any, Any], parts: list[str], depth: int) -> None:
    if not all(isinstance(key, str) for key in value):
        raise CanonicalJsonError("object member names must be strings")
    parts.append("{")
    # UTF-16BE bytes compare exactly as the UTF-16 code units RFC 8785 sorts by.
    for index, key in enumerate(sorted(value, key=_utf16_units)):
        if index:
            parts.append(",")
        parts.append(_string(key))
        parts.append(":")
        _write(value[key], parts, depth + 1)
    parts.append("}")


def _write_array(value: Sequence[Any], parts: list[str], depth: int) -> None:
    parts.append("[")
    for index, item in enumerate(value):
        if index:
            parts.append(",")
        _write(item, parts, depth + 1)
    parts.append("]")


def _string(text: str) -> str:
    # json.dumps without ASCII escaping writes exactly the RFC 8785 escapes: \" \\ \b \f \n \r \t,
    # \u00xx (lower-case hex) for the other control characters, everything else as itself.
    return json.dumps(text, ensure_ascii=False)


def _utf16_units(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A ``json.loads`` object hook that refuses a member name given twice in one object."""
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise CanonicalJsonError(f"the member name {key!r} appears twice in one object")
        document[key] = value
    return document


def _no_constant(name: str) -> Any:
    raise CanonicalJsonError(f"{name} is not a JSON number")


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0
