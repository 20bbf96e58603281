"""Date-times as CertLogic (specification 1.3.x) constructs and offsets them.

CertLogic has no date literals: date-times only come out of ``plusTime`` and ``dccDateOfBirth``.
Both yield an instant in UTC with millisecond precision, which we represent as an aware
``datetime`` in UTC whose microseconds are a multiple of 1000.

Offsetting follows the JavaScript ``Date.setUTC<unit>(getUTC<unit>() + amount)`` semantics the
specification prescribes: the arithmetic is done on the UTC fields (so no daylight saving time),
and a day-of-month that does not exist in the target month overflows into the next month
(2021-01-31 + 1 month = 2021-03-03, 2020-02-29 + 1 year = 2021-03-01).

Functions here raise ``ValueError`` on bad input; the CertLogic engine turns that into its own
error type, which keeps this module free of engine imports.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Final

TIME_UNITS: Final = ("year", "month", "day", "hour")

# All formats of the specification in one expression: YYYY, YYYY-MM, YYYY-MM-DD, and a full date
# with a time, optional fraction of any length and optional offset (Z, h, hh, hmm, hhmm, h:mm,
# hh:mm). ASCII only: Python's \d would accept other scripts' digits.
_DATE_TIME: Final = re.compile(
    r"(?P<year>[0-9]{4})"
    r"(?:-(?P<month>[0-9]{2})"
    r"(?:-(?P<day>[0-9]{2})"
    r"(?:T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"
    r"(?:\.(?P<fraction>[0-9]+))?"
    r"(?:(?P<zulu>Z)|(?P<sign>[+-])(?P<off_h>[0-9]{1,2})(?::?(?P<off_m>[0-9]{2}))?)?"
    r")?)?)?\Z"
)
_DATE_OF_BIRTH: Final = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?\Z")

# The caches are bounded so that a stream of distinct inputs cannot grow memory; a verifier sees
# the same few validation clocks and vaccination dates over and over, so hits dominate.
_CACHE_SIZE: Final = 4096


def _last_day_of_month(year: int, month: int) -> int:
    if not 1 <= month <= 12:
        raise ValueError(f"month {month:02d} does not exist")
    return calendar.monthrange(year, month)[1]


def _partial_date(year: int, month: int | None) -> datetime:
    """The last day consistent with a partial date: YYYY -> YYYY-12-31, YYYY-MM -> month end."""
    if month is None:
        return datetime(year, 12, 31, tzinfo=UTC)
    return datetime(year, month, _last_day_of_month(year, month), tzinfo=UTC)


def _offset_minutes(sign: str | None, hours: str | None, minutes: str | None) -> int:
    if sign is None:  # "Z", or no offset at all, which the specification reads as "Z"
        return 0
    whole_hours, extra_minutes = int(hours or "0"), int(minutes or "0")
    if whole_hours > 23 or extra_minutes > 59:
        raise ValueError(f"time zone offset {sign}{hours}:{minutes or '00'} is out of range")
    total = whole_hours * 60 + extra_minutes
    return -total if sign == "-" else total


def _full_date_time(fields: tuple[Any, ...]) -> datetime:
    """From the groups of a match with a day (so year and month are there, and the minutes
    and seconds whenever the hour is)."""
    # One tuple unpacking instead of eleven named-group lookups: this runs for every clock.
    year, month, day, hour, minute, second, fraction, _zulu, sign, off_h, off_m = fields
    if hour is None:
        return datetime(int(year), int(month), int(day), tzinfo=UTC)
    # Only the first three decimals count: the specification rounds down to the millisecond.
    micros = int(fraction[:3].ljust(3, "0")) * 1000 if fraction else 0
    local = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micros, tzinfo=UTC
    )
    offset = _offset_minutes(sign, off_h, off_m)
    return local - timedelta(minutes=offset) if offset else local


@lru_cache(maxsize=_CACHE_SIZE)
def parse_date_time(text: str) -> datetime:
    """Parse one of the specification's date(-time) formats into a UTC instant.

    Raises ``ValueError`` for anything else, including impossible dates and times.
    """
    match = _DATE_TIME.match(text)
    if match is None:
        raise ValueError(f"not an allowed date or date-time format: {text!r}")
    fields = match.groups()
    try:
        if fields[2] is None:  # no day: YYYY or YYYY-MM
            month = fields[1]
            return _partial_date(int(fields[0]), None if month is None else int(month))
        return _full_date_time(fields)
    except OverflowError as exc:  # an offset pushing year 1 or 9999 out of range
        raise ValueError(f"date-time out of range: {text!r}") from exc
    except ValueError as exc:
        raise ValueError(f"not a valid date or date-time: {text!r} ({exc})") from None


def _plus_months(instant: datetime, months: int) -> datetime:
    """Shift by whole months on the UTC fields, letting a missing day overflow like JavaScript."""
    index = instant.year * 12 + (instant.month - 1) + months
    year, month0 = divmod(index, 12)
    first_of_month = instant.replace(year=year, month=month0 + 1, day=1)
    return first_of_month + timedelta(days=instant.day - 1)


@lru_cache(maxsize=_CACHE_SIZE)
def plus_time(text: str, amount: int, unit: str) -> datetime:
    """The value of ``{"plusTime": [text, amount, unit]}``."""
    instant = parse_date_time(text)
    if amount == 0:
        return instant
    try:
        if unit == "day":
            return instant + timedelta(days=amount)
        if unit == "hour":
            return instant + timedelta(hours=amount)
        if unit == "month":
            return _plus_months(instant, amount)
        if unit == "year":
            return _plus_months(instant, 12 * amount)
    except (OverflowError, ValueError) as exc:
        raise ValueError(f"{text!r} plus {amount} {unit}(s) is out of range") from exc
    raise ValueError(f"unknown time unit {unit!r}; allowed: {', '.join(TIME_UNITS)}")


@lru_cache(maxsize=_CACHE_SIZE)
def dcc_date_of_birth(text: str) -> datetime:
    """The value of ``{"dccDateOfBirth": [text]}``: the last date consistent with the DOB."""
    match = _DATE_OF_BIRTH.match(text)
    if match is None:
        raise ValueError(f"not a DCC date of birth (YYYY, YYYY-MM or YYYY-MM-DD): {text!r}")
    year, month, day = match.groups()
    try:
        if day is None:
            return _partial_date(int(year), None if month is None else int(month))
        return datetime(int(year), int(month), int(day), tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"not a valid date of birth: {text!r} ({exc})") from None
