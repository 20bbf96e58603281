"""What every wire format offers to the verification pipeline, and the checks they share."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from healthcert import report as codes
from healthcert.model.kinds import EntryKind

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

    from healthcert.formats.shc.issuers import ShcIssuers
    from healthcert.report import Report
    from healthcert.trust.entry import TrustedKey
    from healthcert.trust.revocation import DccRevocations
    from healthcert.trust.store import TrustStore


@dataclass(frozen=True, slots=True)
class VerificationContext:
    """What a verifier brings: the keys it trusts and the clock it validates at (aware, UTC).

    ``shc_issuers`` binds SMART Health Card issuer URLs to their keys and revocation lists;
    ``dcc_revocations`` is the EU DCC revocation list (hash form) the verifier consults.
    ``health_code_revocations`` holds the revoked health codes' signature hashes (see
    ``health_code.code.revocation_hash``), ``vdsnc_revocations`` the revoked VDS-NC seals'
    (``vdsnc.seal.revocation_hash``); ``trip``, when a verifier checks a traveller for
    one journey, is the transport and date every health code must name. ``unseal_keys`` are
    the border keys sealed certificates are opened with (``formats.sealed``).
    """

    trust: TrustStore
    clock: datetime
    shc_issuers: ShcIssuers | None = None
    dcc_revocations: DccRevocations | None = None
    health_code_revocations: frozenset[bytes] | None = None
    vdsnc_revocations: frozenset[bytes] | None = None
    trip: TripQuery | None = None
    # Where the trust data came from and how old it is (a gateway sync): every report
    # carries it as ``trust``, with a warning when it is stale.
    trust_note: Mapping[str, Any] | None = None
    unseal_keys: tuple[EllipticCurvePrivateKey, ...] = ()


# A flight or train number as carriers print it: a carrier code and a number, no blanks.
TRANSPORT = re.compile(r"[A-Z0-9]{2,3}[0-9]{1,5}[A-Z]?")
_TRIP_QUERY = re.compile(rf"({TRANSPORT.pattern})@(\d{{4}}-\d{{2}}-\d{{2}})")


@dataclass(frozen=True, slots=True)
class TripQuery:
    """The journey a verifier checks travellers for: a transport (flight ``CA982``) on a local
    departure date, written ``CA982@2026-12-09``."""

    transport: str
    day: date

    @classmethod
    def parse(cls, text: str) -> TripQuery:
        """ValueError, saying the form, when ``text`` is not TRANSPORT@YYYY-MM-DD."""
        found = _TRIP_QUERY.fullmatch(text.strip().upper())
        if found is None:
            raise ValueError(f"{text!r} is not TRANSPORT@YYYY-MM-DD, such as CA982@2026-12-09")
        try:
            day = date.fromisoformat(found.group(2))
        except ValueError:
            raise ValueError(f"{text!r}: {found.group(2)} is no calendar date") from None
        return cls(found.group(1), day)

    def __str__(self) -> str:
        return f"{self.transport}@{self.day.isoformat()}"


class WireFormat(Protocol):
    """A format module: it recognises its payloads and verifies them into a report.

    A module may also offer ``verify_many(work, context)``, the same for a sequence of
    (report, payload) pairs, when it verifies a batch faster than one by one.
    """

    name: str

    def looks_like(self, payload: str) -> bool: ...

    def verify_into(self, report: Report, payload: str, context: VerificationContext) -> None: ...


def from_timestamp(seconds: int | float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


# A moment as a datetime, or as POSIX seconds the way the CWT and JWT claims carry it.
Instant = datetime | int | float

# The whole seconds a datetime can show (years 1 to 9999), which reports and rules write times
# in; counted exactly, as datetime.max as a float rounds up into the year 10000.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FIRST_SECOND = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // timedelta(seconds=1)
LAST_SECOND = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // timedelta(seconds=1)


def seconds_of(moment: Instant) -> float:
    if moment.__class__ is int or moment.__class__ is float:
        return moment
    return moment.timestamp()  # type: ignore[union-attr]


# What ``claims.get`` gives for a claim that is not there: None is JSON's and CBOR's null, which
# a claim may hold, and which is not the same as no claim at all.
ABSENT: Any = object()


def time_claim(
    report: Report, claims: Mapping[Any, Any], key: Any, name: str, *, required: bool
) -> int | float | None:
    """A time claim as POSIX seconds: a NumericDate (RFC 8392 and RFC 7519 section 2, an
    integer or float, untagged, not a boolean) within the years reports write (1 to 9999).

    None when the claim is absent, or is present but no such time. Either way, when that is not
    allowed the validity period fails with its code (CLAIM_MISSING, CLAIMS_INVALID): a claim the
    verifier cannot read is no bound it may leave unchecked. The caller still judges the other
    bounds, so that an operator sees every problem at once.
    """
    value: Any = claims.get(key, ABSENT)
    # One class comparison for the usual integer: a bool's class is bool, a tag's CBORTag.
    # (numeric_date's test, written out: this runs for every claim of every payload.)
    cls = value.__class__
    if (cls is int or cls is float) and FIRST_SECOND <= value <= LAST_SECOND:
        seconds: int | float = value
        return seconds
    if value is ABSENT:
        if required:
            report.fail(
                codes.CLAIM_MISSING, f"the {name} claim is required and absent", "validity_period"
            )
        return None
    report.fail(codes.CLAIMS_INVALID, numeric_date_problem(name, value), "validity_period")
    return None


def numeric_date(value: Any) -> int | float | None:
    """``value`` when it is such a time (see ``time_claim``), else None."""
    cls = value.__class__
    if (cls is int or cls is float) and FIRST_SECOND <= value <= LAST_SECOND:
        seconds: int | float = value
        return seconds
    return None


def numeric_date_problem(name: str, value: Any) -> str:
    """Why a present claim is no time: what it holds, named by kind, never printed whole."""
    if value.__class__ is int or value.__class__ is float:
        if value != value:
            return f"the {name} claim is NaN, not a time"
        return f"the {name} claim is a number of seconds outside the years 1 to 9999"
    return f"the {name} claim holds {kind_of(value)}, not a number of seconds since 1970"


def shown(value: Any) -> str:
    """A value for a message: a short text or a number as itself, anything else by its kind."""
    if value.__class__ is str and len(value) <= 40:
        return repr(value)
    if value.__class__ is float or (value.__class__ is int and abs(value) < 2**64):
        return repr(value)
    return kind_of(value)


def kind_of(value: Any) -> str:
    """A value's kind in the words of CBOR and JSON, for messages. Not its repr: a claim may be
    a list of thousands of items, or an integer too long for str() to write."""
    if value is None:
        return "null"
    kind = _KINDS.get(value.__class__)
    if kind is not None:
        return kind
    type_name = value.__class__.__name__
    tag = getattr(value, "tag", None)
    if type_name == "CBORTag" and tag.__class__ is int:
        return f"CBOR tag {tag}"
    return _CBOR_KINDS.get(type_name, f"a value of type {type_name}")


_KINDS: dict[type, str] = {
    bool: "a boolean",
    int: "an integer",
    float: "a floating-point number",
    str: "text",
    bytes: "a byte string",
    list: "an array",
    tuple: "an array",
    dict: "a map",
}
# cbor2's own types, by name: this module does not load cbor2 for the JSON formats.
_CBOR_KINDS = {
    "frozendict": "a map",
    "CBORSimpleValue": "a CBOR simple value",
    "UndefinedType": "undefined",
}


_EPOCH_DAY = date(1970, 1, 1)


@lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    return (_EPOCH_DAY + timedelta(days=day)).isoformat()


def utc_text(moment: Instant) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ``, fractions of a second cut. Built from a cached day: a
    datetime's isoformat or strftime costs several times more, on a path every payload takes."""
    if type(moment) is int:
        whole = moment
    elif isinstance(moment, datetime):
        # From its own fields: past year 2242 a float timestamp has too few bits for the
        # microseconds, and .999999 would round into the next second (or out of year 9999).
        utc = moment.astimezone(UTC)
        return (
            f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
            f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
        )
    else:
        whole = _whole_second(moment)
    day, second = divmod(whole, 86400)
    return f"{_day_text(day)}T{_MINUTE_TEXT[second // 60]}{_SECOND_TEXT[second % 60]}"


# The time of day from two small tables: formatting hours, minutes and seconds with divmod and
# format specifications took six times as long.
_MINUTE_TEXT = tuple(f"{minute // 60:02d}:{minute % 60:02d}:" for minute in range(1440))
_SECOND_TEXT = tuple(f"{second:02d}Z" for second in range(60))


def _whole_second(seconds: float) -> int:
    """The second a datetime made from ``seconds`` shows, as claims were read before: it rounds
    to the microsecond, half to even, then cuts, so 1.9999999 is second 2 and -1e-7 second 0."""
    fraction, whole = math.modf(seconds)
    micro = round(fraction * 1_000_000)
    return int(whole) + (micro >= 1_000_000) - (micro < 0)


def check_validity_period(
    report: Report,
    *,
    issued_at: Instant | None,
    expires: Instant | None,
    clock: datetime,
    key: TrustedKey | None,
) -> None:
    """Signer not-before <= issued-at <= clock <= expiry <= signer not-after, each bound its code:
    DSC_NOT_YET_VALID, NOT_YET_VALID, EXPIRED and DSC_EXPIRED, in that order.

    Bounds that are absent (no expiry, a bare key without a certificate) are not checked. The
    comparisons are in POSIX seconds: claims arrive as seconds, and no datetime need be built.
    """
    now = seconds_of(clock)
    start = now if issued_at is None else seconds_of(issued_at)
    end = now if expires is None else seconds_of(expires)
    valid = True
    # The messages write the claim as given: a datetime's own second, not its float's.
    if issued_at is not None and start > now:
        report.fail(codes.NOT_YET_VALID, f"issued at {utc_text(issued_at)}, after the clock")
        valid = False
    if expires is not None and end < now:
        report.fail(codes.EXPIRED, f"expired at {utc_text(expires)}")
        valid = False
    # Without an iat or exp claim, the clock stands in for the missing bound.
    if key is not None and key.not_before is not None and start < seconds_of(key.not_before):
        report.fail(codes.DSC_NOT_YET_VALID, "signed before its signer certificate was valid")
        valid = False
    if key is not None and key.not_after is not None and end > seconds_of(key.not_after):
        report.fail(codes.DSC_EXPIRED, "valid beyond the end of its signer certificate")
        valid = False
    if valid:
        report.passed("validity_period")
    else:
        report.checks["validity_period"] = False


def check_key_usage(report: Report, kind: EntryKind | None, key: TrustedKey | None) -> None:
    """A key may sign only the entry kinds its certificate's extended key usage allows."""
    if kind is None or key is None:
        return
    if kind in key.types:
        report.passed("key_usage")
    else:
        allowed = ", ".join(sorted(key.types)) or "nothing"
        report.fail(
            codes.KEY_USAGE_MISMATCH,
            f"the signer may sign {allowed}, not {kind.value}",
            check="key_usage",
        )


def text_members(
    value: Any, key: str, fields: tuple[tuple[str, str, bool], ...], problems: list[str]
) -> dict[str, Any] | None:
    """The text members ``fields`` names, by their report names; None when ``value`` is no map.
    Each member that is not a text, or required and empty, adds a problem."""
    if value.__class__ is not dict:
        problems.append(f"{key} is absent or no map")
        return None
    found: dict[str, Any] = {}
    for member, field_name, required in fields:
        item = value.get(member, "")
        if item.__class__ is not str or (required and not item):
            problems.append(f"{key}.{member} ({field_name.replace('_', ' ')}) is not a text")
        found[field_name] = item
    return found


def iso_day(text: str) -> date | None:
    """A YYYY-MM-DD day; None for any other text."""
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None
