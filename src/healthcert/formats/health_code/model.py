"""A health code as the issuer hands it over: the typed input of ``issuance.issue_health_code``,
and the one place that says how long each colour stays valid.

A health code is a consulate's answer to a returning traveller's health declaration, for one
trip: green (approved), yellow (pending, more documents needed) or red (rejected, the evidence
fails). Plain dataclasses, no pydantic: the declarations service builds one per decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from healthcert.errors import RequestError
from healthcert.formats.base import TRANSPORT


class Colour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


# How long a code stays valid. A green code is for one trip: it ends a day after the departure,
# so that a delayed flight and the border on arrival still read it. Yellow and red describe a
# decision that may change within hours: a traveller shows a fresh code, not a stale one.
GREEN_AFTER_DEPARTURE = timedelta(hours=24)
YELLOW_VALIDITY = timedelta(hours=6)
RED_VALIDITY = timedelta(hours=2)

_COUNTRY = re.compile(r"[A-Z]{2}")
# What a Doc 9303 name field holds: capitals A-Z and '<' between parts (as a passport's MRZ).
_DOC_9303 = re.compile(r"[A-Z]+(?:<[A-Z]+)*")


@dataclass(frozen=True, slots=True)
class Trip:
    """The journey a code is for. ``departure`` is aware and in the origin's local time: the
    date a carrier names a flight by is its local departure date."""

    destination_country: str
    departure: datetime
    transport: str
    port_of_entry: str
    origin_country: str
    origin_city: str = ""
    via: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _country(self.destination_country, "trip.destination_country")
        _country(self.origin_country, "trip.origin_country")
        if self.departure.tzinfo is None or self.departure.utcoffset() is None:
            raise RequestError("trip.departure: give the local time with its UTC offset")
        if not TRANSPORT.fullmatch(self.transport):
            raise RequestError(
                f"trip.transport {self.transport!r}: a carrier code and number, such as CA982"
            )
        if not self.port_of_entry.strip():
            raise RequestError("trip.port_of_entry: required")

    @property
    def departure_date(self) -> date:
        return self.departure.date()


@dataclass(frozen=True, slots=True)
class HealthCodeHolder:
    """The traveller, as their travel document names them. The Latin forms are the document's
    Doc 9303 fields (``WANG``, ``XIAO<MING``): a name in another script travels with them."""

    family_name: str
    given_name: str
    family_name_latin: str
    given_name_latin: str
    date_of_birth: date
    document_type: str
    document_country: str
    document_number: str

    def __post_init__(self) -> None:
        for label, value in (
            ("holder.family_name_latin", self.family_name_latin),
            ("holder.given_name_latin", self.given_name_latin),
        ):
            if value and not _DOC_9303.fullmatch(value):
                raise RequestError(f"{label} {value!r}: Doc 9303 form, capitals A-Z and '<'")
        if not (self.family_name_latin or self.given_name_latin):
            raise RequestError("holder: the Doc 9303 (Latin) form of the name is required")
        _country(self.document_country, "holder.document_country")
        if not self.document_number.strip() or not self.document_type.strip():
            raise RequestError("holder: the document's type and number are required")


@dataclass(frozen=True, slots=True)
class HealthCode:
    """What a health code says: the decision's colour, for whom, for which trip, and the
    declaration it answers."""

    colour: Colour
    trip: Trip
    holder: HealthCodeHolder
    declaration_id: str

    def __post_init__(self) -> None:
        if not isinstance(self.colour, Colour):
            raise RequestError(f"colour {self.colour!r}: one of green, yellow, red")
        if not self.declaration_id.strip():
            raise RequestError("declaration_id: required")


def expiry(code: HealthCode, issued_at: datetime) -> datetime:
    """When a code issued at ``issued_at`` stops being valid (see the constants above)."""
    if code.colour is Colour.GREEN:
        return code.trip.departure + GREEN_AFTER_DEPARTURE
    return issued_at + (YELLOW_VALIDITY if code.colour is Colour.YELLOW else RED_VALIDITY)


def _country(value: str, label: str) -> None:
    if not _COUNTRY.fullmatch(value):
        raise RequestError(f"{label} {value!r}: an ISO 3166-1 alpha-2 code such as CN")
