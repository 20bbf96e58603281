"""The canonical certificate: one holder and one entry, whatever format carried it.

Every wire format maps to and from these models, and the verification report shows their JSON.
Codes (vaccine, test type, result, ...) are kept as the issuer wrote them: whether a code is
known is for the value sets and the rules to judge, not for the model to refuse.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from healthcert.model import fields
from healthcert.model.codes import (
    ANTIBODY_TEST_TYPES,
    COVID_19,
    SCHEMA_VERSION,
    TEST_TYPE_NAAT,
    TEST_TYPE_RAPID_ANTIGEN,
)
from healthcert.model.kinds import EntryKind
from healthcert.model.names import normalise_standard, transliterate
from healthcert.model.values import DATE_OF_BIRTH, has_first_day

# Strict strings: a payload's bytes or numbers are not silently turned into text.
Text = Annotated[str, Field(strict=True)]
Code = Annotated[str, Field(strict=True, min_length=1, max_length=fields.MAX_TEXT)]
Country = Annotated[str, Field(strict=True, pattern=r"^[A-Z]{2}$")]
# A country is required, but a certificate read from a format that carries none (a SMART
# Health Card) has it null: unknown. Issuance refuses a request without one.
EntryCountry = Country | None
Text80 = Annotated[str, Field(strict=True, max_length=fields.MAX_TEXT)]
DoseNumber = Annotated[int, Field(ge=1, strict=True)]  # 2, never "2", 2.0 or True


class _Model(BaseModel):
    # Frozen: a certificate is a value that reports and rules share without copying.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Holder(_Model):
    """The person: names as written and in ICAO Doc 9303 form, and the date of birth."""

    family_name: Text80 | None = None
    given_name: Text80 | None = None
    family_name_latin: Text | None = Field(default=None, validate_default=True)
    given_name_latin: Text | None = Field(default=None, validate_default=True)
    date_of_birth: Text = ""

    @field_validator("family_name_latin", "given_name_latin")
    @classmethod
    def _standardise(cls, value: str | None, info: ValidationInfo) -> str | None:
        field = str(info.field_name).removesuffix("_latin")
        if value is not None:
            return normalise_standard(value, f"{field}_latin")
        written = info.data.get(field)
        return None if written is None else transliterate(written, field)

    @field_validator("date_of_birth")
    @classmethod
    def _check_date_of_birth(cls, value: str) -> str:
        if not DATE_OF_BIRTH.fullmatch(value):
            raise ValueError(
                f"date_of_birth {value!r} must be empty, YYYY, YYYY-MM or YYYY-MM-DD (1900-2099)"
            )
        if not has_first_day(value):  # a partial date is complete enough if its first day exists
            raise ValueError(f"date_of_birth {value!r} is not a calendar date")
        return value

    @model_validator(mode="after")
    def _has_a_name(self) -> Holder:
        if not (self.family_name_latin or self.given_name_latin):
            raise ValueError("the holder needs a family name or a given name")
        return self


class Vaccination(_Model):
    """One dose of a vaccine, as the DCC ``v`` entry records it."""

    kind: Literal["vaccination"] = "vaccination"
    disease: Code = COVID_19
    vaccine: Code
    product: Code
    manufacturer: Code
    dose_number: DoseNumber
    total_doses: DoseNumber
    date: dt.date
    country: EntryCountry
    issuer: Text80
    certificate_id: Text80


class TestResult(_Model):
    """One test: NAAT (PCR), rapid antigen or antibody, as the DCC ``t`` entry records it."""

    __test__: ClassVar[bool] = False  # not a pytest test class, despite the name

    kind: Literal["test"] = "test"
    disease: Code = COVID_19
    test_type: Code
    test_name: Text80 | None = None
    test_device: Text | None = None  # real payloads carry "" when no device applies
    sample_time: AwareDatetime
    result: Code
    centre: Text80 | None = None
    country: EntryCountry
    issuer: Text80
    certificate_id: Text80

    @property
    def is_naat(self) -> bool:
        return self.test_type == TEST_TYPE_NAAT

    @property
    def is_antigen(self) -> bool:
        return self.test_type == TEST_TYPE_RAPID_ANTIGEN

    @property
    def is_antibody(self) -> bool:
        return self.test_type in ANTIBODY_TEST_TYPES


class Recovery(_Model):
    """Recovery after a positive test, as the DCC ``r`` entry records it."""

    kind: Literal["recovery"] = "recovery"
    disease: Code = COVID_19
    first_positive: dt.date
    country: EntryCountry
    issuer: Text80
    valid_from: dt.date
    valid_until: dt.date
    certificate_id: Text80

    @model_validator(mode="after")
    def _ordered_validity(self) -> Recovery:
        if self.valid_from > self.valid_until:
            raise ValueError(
                f"valid_from {self.valid_from} is after valid_until {self.valid_until}"
            )
        return self


Entry = Annotated[Vaccination | TestResult | Recovery, Field(discriminator="kind")]


class Certificate(_Model):
    """A holder and the single entry the certificate attests."""

    holder: Holder
    entry: Entry
    schema_version: str = Field(default=SCHEMA_VERSION, strict=True, pattern=r"^\d+\.\d+\.\d+$")

    @property
    def kind(self) -> EntryKind:
        return EntryKind(self.entry.kind)
