"""Who a person is: the travel document's type, issuing country and number, and the date of
birth. Two people may share a number across countries or document types; nobody shares all
four. Every table that names a person has these four columns (``tables.PERSON_COLUMNS``)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, and_

DOCUMENT_TYPES = ("passport", "id-card", "other")
DocumentType = Annotated[str, Field(pattern=r"^(passport|id-card|other)$")]
DocumentNumber = Annotated[str, Field(pattern=r"^[A-Za-z0-9<-]{1,64}$")]
BirthDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
_COUNTRY = re.compile(r"[A-Z]{2}")
# The migration's "country not known" for records stored before the country was asked for:
# no one can sign in as a person of that country.
UNKNOWN_COUNTRY = "ZZ"


def issuing_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased; ValueError for anything else (and for ZZ)."""
    country = value.strip().upper()
    if not _COUNTRY.fullmatch(country) or country == UNKNOWN_COUNTRY:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. CN")
    return country


IssuingCountry = Annotated[
    str,
    Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2 code of the issuer"),
    AfterValidator(issuing_country),
]


class IdentityIn(BaseModel):
    """A person as an API body names them."""

    model_config = ConfigDict(extra="forbid")

    document_type: DocumentType
    issuing_country: IssuingCountry
    document_number: DocumentNumber
    date_of_birth: BirthDate

    def person(self) -> Person:
        return Person.of(
            self.document_type, self.issuing_country, self.document_number, self.date_of_birth
        )


@dataclass(frozen=True, slots=True)
class Person:
    document_type: str
    issuing_country: str
    document_number: str
    date_of_birth: str

    @classmethod
    def of(
        cls, document_type: str, country: str, document_number: str, date_of_birth: str
    ) -> Person:
        return cls(
            document_type.strip().lower(),
            country.strip().upper(),
            document_number.strip().upper(),
            date_of_birth.strip(),
        )

    @property
    def key(self) -> str:
        """A stable pseudonym for logs, limits and codes: the identity itself is not stored."""
        fields = (self.document_type, self.issuing_country, self.document_number)
        text = "|".join((*fields, self.date_of_birth)).encode()
        return hashlib.sha256(text).hexdigest()

    def columns(self) -> dict[str, str]:
        """The four columns' values, to store the person on a row."""
        return {
            "document_type": self.document_type,
            "issuing_country": self.issuing_country,
            "document_number": self.document_number,
            "date_of_birth": self.date_of_birth,
        }


class _PersonTable(Protocol):
    document_type: Any
    issuing_country: Any
    document_number: Any
    date_of_birth: Any


def is_person(table: type[_PersonTable], person: Person) -> ColumnElement[bool]:
    """The WHERE clause selecting ``person``'s rows of ``table``."""
    return and_(
        table.document_number == person.document_number,
        table.date_of_birth == person.date_of_birth,
        table.document_type == person.document_type,
        table.issuing_country == person.issuing_country,
    )


def person_of(row: _PersonTable) -> Person:
    """The person a stored row names."""
    return Person(row.document_type, row.issuing_country, row.document_number, row.date_of_birth)
