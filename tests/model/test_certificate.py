"""The canonical certificate model: constraints, kinds and the JSON the report shows."""

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from healthcert.model import (
    Certificate,
    EntryKind,
    Holder,
    Recovery,
    TestResult,
    Vaccination,
)

UTC = dt.UTC


def make_vaccination(**changes: Any) -> Vaccination:
    fields: dict[str, Any] = {
        "vaccine": "1119349007",
        "product": "EU/1/20/1507",
        "manufacturer": "ORG-100031184",
        "dose_number": 1,
        "total_doses": 2,
        "date": dt.date(2021, 6, 11),
        "country": "NL",
        "issuer": "Ministry of Health Welfare and Sport",
        "certificate_id": "URN:UVCI:01:NL:DADFCC47C7334E45A906DB12FD859FB7#1",
    }
    return Vaccination(**(fields | changes))


def make_test(**changes: Any) -> TestResult:
    fields: dict[str, Any] = {
        "test_type": "LP6464-4",
        "sample_time": dt.datetime(2021, 5, 30, 10, 12, 22, tzinfo=UTC),
        "result": "260415000",
        "country": "DE",
        "issuer": "Robert Koch-Institut",
        "certificate_id": "URN:UVCI:01DE/IZ12345A/5CWLU12RNOB9RXSEOP6FG8#W",
    }
    return TestResult(**(fields | changes))


def make_recovery(**changes: Any) -> Recovery:
    fields: dict[str, Any] = {
        "first_positive": dt.date(2021, 6, 1),
        "country": "NL",
        "issuer": "Ministry of Health Welfare and Sport",
        "valid_from": dt.date(2021, 6, 12),
        "valid_until": dt.date(2021, 11, 28),
        "certificate_id": "URN:UVCI:01:NL:DADFCC47C7334E45A906DB12FD859FB7#1",
    }
    return Recovery(**(fields | changes))


HOLDER = Holder(family_name="Smith-Jones", given_name="Charles Edward", date_of_birth="1964-01-01")


@pytest.mark.parametrize("dob", ["", "1964", "1964-01", "1964-01-01", "1900-12-31", "2099-02-28"])
def test_accepted_dates_of_birth(dob: str) -> None:
    assert Holder(given_name="Anna", date_of_birth=dob).date_of_birth == dob


@pytest.mark.parametrize(
    "dob",
    [
        "1899-12-31",
        "2100-01-01",
        "64-01-01",
        "1964-1-1",
        "1964-13",
        "1964-00",
        "1964-02-30",
        "1964-01-01T00:00:00",
        "1964/01/01",
        " 1964",
    ],
)
def test_refused_dates_of_birth(dob: str) -> None:
    with pytest.raises(ValidationError, match="date_of_birth"):
        Holder(given_name="Anna", date_of_birth=dob)


def test_holder_needs_a_name() -> None:
    with pytest.raises(ValidationError, match="needs a family name or a given name"):
        Holder(date_of_birth="1964")
    with pytest.raises(ValidationError, match="needs a family name or a given name"):
        Holder(family_name="", given_name_latin="")


def test_holder_with_only_a_standard_name() -> None:
    holder = Holder(given_name_latin="CHARLES")
    assert (holder.family_name, holder.given_name, holder.given_name_latin) == (
        None,
        None,
        "CHARLES",
    )


def test_holder_refuses_unknown_fields_and_long_names() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Holder(given_name="Anna", middle_name="Maria")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="at most 80 characters"):
        Holder(given_name="A" * 81)


def test_certificate_kinds() -> None:
    assert Certificate(holder=HOLDER, entry=make_vaccination()).kind is EntryKind.VACCINATION
    assert Certificate(holder=HOLDER, entry=make_test()).kind is EntryKind.TEST
    assert Certificate(holder=HOLDER, entry=make_recovery()).kind is EntryKind.RECOVERY


@pytest.mark.parametrize(
    ("test_type", "naat", "antigen", "antibody"),
    [
        ("LP6464-4", True, False, False),
        ("LP217198-3", False, True, False),
        ("94563-4", False, False, True),
        ("94562-6", False, False, True),
        ("94564-2", False, False, True),
        ("12345-6", False, False, False),
    ],
)
def test_test_kinds(test_type: str, naat: bool, antigen: bool, antibody: bool) -> None:
    entry = make_test(test_type=test_type)
    assert (entry.is_naat, entry.is_antigen, entry.is_antibody) == (naat, antigen, antibody)


def test_sample_time_must_carry_an_offset() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        make_test(sample_time=dt.datetime(2021, 5, 30, 10, 12, 22))


def test_recovery_validity_must_be_ordered() -> None:
    assert make_recovery(valid_until=dt.date(2021, 6, 12)).valid_until == dt.date(2021, 6, 12)
    with pytest.raises(ValidationError, match="valid_from 2021-06-12 is after valid_until"):
        make_recovery(valid_until=dt.date(2021, 6, 11))


@pytest.mark.parametrize(
    "changes",
    [
        {"dose_number": 0},
        {"total_doses": 0},
        {"country": "NLD"},
        {"country": "nl"},
        {"issuer": "x" * 81},
        {"certificate_id": "x" * 81},
        {"vaccine": ""},
        {"lot": "A1"},
    ],
)
def test_vaccination_constraints(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        make_vaccination(**changes)


def test_entry_is_chosen_by_kind() -> None:
    data = {
        "holder": {"given_name": "Anna"},
        "entry": {
            "kind": "recovery",
            "first_positive": "2021-06-01",
            "country": "NL",
            "issuer": "NL",
            "valid_from": "2021-06-12",
            "valid_until": "2021-11-28",
            "certificate_id": "ci",
        },
    }
    cert = Certificate.model_validate(data)
    assert isinstance(cert.entry, Recovery)
    assert cert.entry.disease == "840539006"


def test_certificate_json_is_what_the_report_shows() -> None:
    cert = Certificate(holder=HOLDER, entry=make_test(test_type="94563-4", centre="Lab"))
    assert cert.model_dump(mode="json") == {
        "holder": {
            "family_name": "Smith-Jones",
            "given_name": "Charles Edward",
            "family_name_latin": "SMITH<JONES",
            "given_name_latin": "CHARLES<EDWARD",
            "date_of_birth": "1964-01-01",
        },
        "entry": {
            "kind": "test",
            "disease": "840539006",
            "test_type": "94563-4",
            "test_name": None,
            "test_device": None,
            "sample_time": "2021-05-30T10:12:22Z",
            "result": "260415000",
            "centre": "Lab",
            "country": "DE",
            "issuer": "Robert Koch-Institut",
            "certificate_id": "URN:UVCI:01DE/IZ12345A/5CWLU12RNOB9RXSEOP6FG8#W",
        },
        "schema_version": "1.3.0",
    }
    assert Certificate.model_validate_json(cert.model_dump_json()) == cert


def test_certificates_are_frozen_values() -> None:
    cert = Certificate(holder=HOLDER, entry=make_vaccination())
    with pytest.raises(ValidationError):
        cert.schema_version = "1.0.0"  # type: ignore[misc]
    assert cert == Certificate(holder=HOLDER, entry=make_vaccination())
    assert hash(cert) == hash(Certificate(holder=HOLDER, entry=make_vaccination()))
