"""Parameters shared by the routes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator

from healthcert.limits import MAX_ROW_ID

# Every id in a path: outside 1..2^31-1 it names no row on any database, so 422 before a query.
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

# The calendar's edges (year 1 and 9999) overflow once a time zone or a validity period is
# applied: a moment to verify at is kept to years a certificate can name.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _within_calendar(moment: datetime) -> datetime:
    refusal = f"must be from {EARLIEST:%Y-%m-%d} to before {LATEST:%Y-%m-%d} (UTC)"
    try:
        utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    except OverflowError:
        raise ValueError(refusal) from None
    if not EARLIEST <= utc < LATEST:
        raise ValueError(refusal)
    return moment


Instant = Annotated[datetime, AfterValidator(_within_calendar)]
