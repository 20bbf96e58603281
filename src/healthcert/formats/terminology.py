"""Code translations between the formats' terminologies and the canonical model's EU DCC codes.

The tables are package data (``formats/data/*.json``), each documented in its ``_about``:
vaccine products (CVX, SNOMED CT, ICD-11, VDS-NC names -> EU product, holder, vaccine type),
SARS-CoV-2 test codes (LOINC, SNOMED CT results -> canonical test types and results) and
countries (ISO 3166 two letters <-> ICAO Doc 9303 three letters). They are read on first use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from healthcert.model import codes

CVX = "http://hl7.org/fhir/sid/cvx"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
ICD11 = "http://id.who.int/icd/release/11/mms"

# Written where a format carries no code for a field the canonical model requires.
UNKNOWN = "unknown"

_TEST_TYPES = {
    "naat": codes.TEST_TYPE_NAAT,
    "rapid-antigen": codes.TEST_TYPE_RAPID_ANTIGEN,
    "antibody-igg": codes.TEST_TYPE_ANTIBODY_IGG,
    "antibody-igm": codes.TEST_TYPE_ANTIBODY_IGM,
}
_RESULTS = {"detected": codes.RESULT_DETECTED, "not-detected": codes.RESULT_NOT_DETECTED}


@dataclass(frozen=True, slots=True)
class VaccineCodes:
    """A vaccine as the canonical model codes it: EU type (vp), product (mp), holder (ma)."""

    vaccine: str
    product: str
    manufacturer: str


def token(system: str, code: str) -> str:
    """A code the tables do not know, kept with its system so that it cannot pass for another."""
    return f"{system}|{code}"


def vaccine_from_coding(system: str, code: str) -> VaccineCodes | None:
    """The EU codes of a CVX or SNOMED CT vaccine product code, if the table knows it."""
    product = _tables().product_by_coding.get((system, code))
    return None if product is None else product_codes(product)


def product_codes(product: str) -> VaccineCodes | None:
    entry = _vaccines()["products"].get(product)
    if entry is None:
        return None
    return VaccineCodes(entry["vaccine"], product, entry["manufacturer"])


def coding_for_product(product: str) -> tuple[str, str] | None:
    """The CVX (else SNOMED CT) code healthcert writes for an EU product, if there is one."""
    entry = _vaccines()["products"].get(product)
    if entry is None:
        return None
    if entry["cvx"]:
        return CVX, entry["cvx"][0]
    if entry["snomed"]:
        return SNOMED, entry["snomed"][0]
    return None


def product_by_name(name: str) -> str | None:
    """The EU product code a VDS-NC ``nam`` names (case and spacing ignored)."""
    return _tables().product_by_name.get(_name_key(name))


def product_name(product: str) -> str:
    """The name VDS-NC writes for an EU product: its own name, or the code itself."""
    entry = _vaccines()["products"].get(product)
    return str(entry["names"][0]) if entry else product


def vaccine_from_icd11(code: str) -> str | None:
    return _vaccines()["icd11"].get(code)  # type: ignore[no-any-return]


def icd11_for_vaccine(vaccine: str) -> str | None:
    return _vaccines()["vaccine_to_icd11"].get(vaccine)  # type: ignore[no-any-return]


def disease_from_icd11(code: str) -> str | None:
    return _vaccines()["disease_icd11"].get(code)  # type: ignore[no-any-return]


def icd11_for_disease(disease: str) -> str | None:
    return _vaccines()["disease_to_icd11"].get(disease)  # type: ignore[no-any-return]


def test_type_from_loinc(code: str) -> str | None:
    kind = _tests()["loinc"].get(code)
    return None if kind is None else _TEST_TYPES[kind]


def loinc_for_test_type(test_type: str) -> str | None:
    kind = next((key for key, value in _TEST_TYPES.items() if value == test_type), None)
    return None if kind is None else str(_tests()["write_loinc"][kind])


def result_from_snomed(code: str) -> str | None:
    kind = _tests()["results"].get(code)
    return None if kind is None else _RESULTS[kind]


def alpha3(alpha2: str) -> str | None:
    """The Doc 9303 three-letter code of an ISO 3166 two-letter country code."""
    return _countries()["alpha3"].get(alpha2)  # type: ignore[no-any-return]


def iso_alpha3(alpha2: str) -> str | None:
    """The three-letter code of a country as ISO 3166 writes it (Doc 9303's ``D<<`` is DEU)."""
    code = alpha3(alpha2)
    if code is not None and code.isalpha():
        return code
    aliases = _countries()["doc9303_aliases"]
    return next(
        (three for three, two in aliases.items() if two == alpha2 and len(three) == 3), None
    )


def alpha2(code: str) -> str | None:
    """The ISO 3166 two-letter code of a Doc 9303 three-letter code (or a known variant)."""
    return _tables().alpha2.get(code.upper())


@dataclass(frozen=True, slots=True)
class _Indexes:
    product_by_coding: dict[tuple[str, str], str]
    product_by_name: dict[str, str]
    alpha2: dict[str, str]


@cache
def _tables() -> _Indexes:
    by_coding: dict[tuple[str, str], str] = {}
    by_name: dict[str, str] = {}
    for product, entry in _vaccines()["products"].items():
        by_coding.update({(CVX, code): product for code in entry["cvx"]})
        by_coding.update({(SNOMED, code): product for code in entry["snomed"]})
        by_name.update({_name_key(name): product for name in [product, *entry["names"]]})
    countries = _countries()
    by_alpha3 = {three: two for two, three in countries["alpha3"].items()}
    by_alpha3.update(countries["doc9303_aliases"])
    return _Indexes(by_coding, by_name, by_alpha3)


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split())


@cache
def _vaccines() -> dict[str, Any]:
    return _read("vaccine-codes.json")


@cache
def _tests() -> dict[str, Any]:
    return _read("test-codes.json")


@cache
def _countries() -> dict[str, Any]:
    return _read("countries.json")


def _read(name: str) -> dict[str, Any]:
    with (resources.files("healthcert.formats") / "data" / name).open(encoding="utf-8") as stream:
        document: dict[str, Any] = json.load(stream)
    return document
