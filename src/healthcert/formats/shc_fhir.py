"""FHIR R4 Bundles of SMART Health Cards <-> the canonical certificate.

Reading a card: the Patient gives the holder; completed Immunizations give a vaccination, and
otherwise final Observations with a SARS-CoV-2 LOINC code give a test. The canonical model
holds one entry, so of several doses the latest is kept, with ``dose_number`` and
``total_doses`` both the number of doses the card lists (a card lists what was given, not the
schedule) unless the Immunization states them in ``protocolApplied``. Likewise the latest test
is kept. Vaccine and test codes translate through ``formats.terminology``; unknown codes stay
as ``system|code``.

SHC carries no country and no certificate issuer name: the caller supplies them from the
trusted issuer entry. The certificate id is the entry's ``identifier``, else the card's ``rid``,
else a digest of the card.

JSON objects are checked as ``dict`` (what the JSON parser makes), not as the ``Mapping`` ABC,
whose isinstance check costs several times more on this per-card path.

Writing a card is the reverse, one Patient and one Immunization or Observation, minimised as
the framework asks for QR codes (no ids, no text, no displays, ``resource:n`` references).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from healthcert import report as codes
from healthcert.errors import RequestError
from healthcert.formats import terminology
from healthcert.model.certificate import (
    COVID_19,
    Certificate,
    Holder,
    Recovery,
    TestResult,
    Vaccination,
)
from healthcert.model.names import transliterate

FHIR_VERSION = "4.0.1"
_FINAL_STATUSES = frozenset({"final", "amended", "corrected"})


class ContentError(Exception):
    """The bundle cannot become a canonical certificate; ``code`` is the report error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class CardContext:
    """What the canonical entry needs and the bundle does not hold."""

    country: str
    issuer: str
    certificate_id: str


def certificate_from_bundle(bundle: Any, context: CardContext) -> Certificate:
    """The canonical certificate of an SHC FHIR Bundle; ContentError when there is none."""
    resources = _resources(bundle)
    patient = next((r for r in resources if r.get("resourceType") == "Patient"), None)
    immunizations = [r for r in resources if _is_given_immunization(r)]
    tests = [r for r in resources if _is_covid_test(r)]
    if patient is None or not (immunizations or tests):
        raise ContentError(codes.CONTENT_UNSUPPORTED, _unsupported_message(resources, patient))
    try:
        entry = _vaccination(immunizations, context) if immunizations else _test(tests, context)
        # One validation of the whole document: a third cheaper than validating its parts.
        return Certificate.model_validate({"holder": _holder(patient), "entry": entry})
    except (ValidationError, ValueError, TypeError, KeyError) as error:
        raise ContentError(codes.SCHEMA_INVALID, _first_line(error)) from None


def resource_counts(bundle: Any) -> dict[str, int]:
    """How many resources of each type the bundle holds (for the report of an odd card)."""
    counts: dict[str, int] = {}
    for resource in _resources(bundle):
        kind = str(resource.get("resourceType"))
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def _resources(bundle: Any) -> list[Mapping[str, Any]]:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise ContentError(codes.SCHEMA_INVALID, "credentialSubject.fhirBundle is not a Bundle")
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        raise ContentError(codes.SCHEMA_INVALID, "the FHIR Bundle has no entry array")
    resources = [entry.get("resource") for entry in entries if isinstance(entry, dict)]
    return [resource for resource in resources if isinstance(resource, dict)]


def _unsupported_message(resources: Sequence[Mapping[str, Any]], patient: object) -> str:
    if patient is None:
        return "the card names no Patient, so it holds no certificate of a person"
    kinds = sorted({str(resource.get("resourceType")) for resource in resources})
    return (
        "the card holds no completed Immunization and no SARS-CoV-2 test result "
        f"(it holds {', '.join(kinds)})"
    )


def _is_given_immunization(resource: Mapping[str, Any]) -> bool:
    return resource.get("resourceType") == "Immunization" and resource.get("status") == "completed"


def _is_covid_test(resource: Mapping[str, Any]) -> bool:
    if resource.get("resourceType") != "Observation":
        return False
    if resource.get("status") not in _FINAL_STATUSES:
        return False
    return any(
        terminology.test_type_from_loinc(code) is not None
        for system, code in _codings(resource.get("code"))
        if system == terminology.LOINC
    )


# ISO 21090 entity name representation, FHIR's extension for a name's script: ABC alphabetic,
# IDE ideographic, SYL syllabic.
EN_REPRESENTATION = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation"


# --- reading --------------------------------------------------------------------------------


def _holder(patient: Mapping[str, Any]) -> dict[str, Any]:
    names = [n for n in patient.get("name") or () if isinstance(n, dict)]
    written = [n for n in names if not _is_alphabetic(n)]
    official = [n for n in written if n.get("use") == "official"]
    family_name, given_name = _name_parts(
        official[0] if official else written[0] if written else {}
    )
    alphabetic = next((_name_parts(n) for n in names if _is_alphabetic(n)), None)
    # The model's own transliteration, called here rather than from its validator: the same
    # result, without the validator's per-field overhead (a third of a card's mapping time).
    family_latin, given_latin = alphabetic or (
        _latin(family_name, "family_name"),
        _latin(given_name, "given_name"),
    )
    return {
        "family_name": family_name,
        "given_name": given_name,
        "family_name_latin": family_latin,
        "given_name_latin": given_latin,
        "date_of_birth": patient.get("birthDate") or "",
    }


def _name_parts(name: Mapping[str, Any]) -> tuple[str | None, str | None]:
    given = name.get("given")
    family = name.get("family")
    return (
        family if isinstance(family, str) and family else None,
        " ".join(given) if isinstance(given, list) and given else None,
    )


def _is_alphabetic(name: Mapping[str, Any]) -> bool:
    """A HumanName marked as the alphabetic (Latin) representation of the person's name."""
    extensions = name.get("extension")
    return isinstance(extensions, list) and any(
        isinstance(item, dict)
        and item.get("url") == EN_REPRESENTATION
        and item.get("valueCode") == "ABC"
        for item in extensions
    )


def _latin(name: Any, field: str) -> str | None:
    return transliterate(name, field) if isinstance(name, str) else None


def _vaccination(immunizations: list[Mapping[str, Any]], context: CardContext) -> dict[str, Any]:
    dated = [
        (_date(r.get("occurrenceDateTime")), index, r) for index, r in enumerate(immunizations)
    ]
    date, _, latest = max(dated, key=lambda item: (item[0], item[1]))
    dose, series = _dose_numbers(latest, len(immunizations))
    vaccine = _vaccine_codes(latest.get("vaccineCode"))
    return {
        "kind": "vaccination",
        "disease": COVID_19 if vaccine.product_known else terminology.UNKNOWN,
        "vaccine": vaccine.codes.vaccine,
        "product": vaccine.codes.product,
        "manufacturer": vaccine.codes.manufacturer,
        "dose_number": dose,
        "total_doses": series,
        "date": date,
        "country": context.country,
        "issuer": context.issuer,
        "certificate_id": _identifier(latest) or context.certificate_id,
    }


@dataclass(frozen=True, slots=True)
class _Vaccine:
    codes: terminology.VaccineCodes
    product_known: bool


def _vaccine_codes(concept: Any) -> _Vaccine:
    codings = _codings(concept)
    for system, code in codings:
        known = terminology.vaccine_from_coding(system, code)
        if known is not None:
            return _Vaccine(known, product_known=True)
    if not codings:
        raise ValueError("the Immunization has no vaccineCode coding")
    system, code = codings[0]
    unknown = terminology.token(system, code)
    return _Vaccine(terminology.VaccineCodes(unknown, unknown, terminology.UNKNOWN), False)


def _dose_numbers(immunization: Mapping[str, Any], doses_listed: int) -> tuple[int, int]:
    applied = immunization.get("protocolApplied")
    if isinstance(applied, list) and applied and isinstance(applied[0], dict):
        dose = applied[0].get("doseNumberPositiveInt")
        series = applied[0].get("seriesDosesPositiveInt")
        if isinstance(dose, int) and not isinstance(dose, bool):
            return dose, series if isinstance(series, int) and series >= 1 else dose
    return doses_listed, doses_listed


def _test(observations: list[Mapping[str, Any]], context: CardContext) -> dict[str, Any]:
    timed = [
        (_datetime(r.get("effectiveDateTime")), index, r) for index, r in enumerate(observations)
    ]
    sample_time, _, latest = max(timed, key=lambda item: (item[0], item[1]))
    test_type = next(
        known
        for system, code in _codings(latest.get("code"))
        if system == terminology.LOINC and (known := terminology.test_type_from_loinc(code))
    )
    return {
        "kind": "test",
        "test_type": test_type,
        "sample_time": sample_time,
        "result": _result(latest.get("valueCodeableConcept")),
        "centre": _performer(latest),
        "country": context.country,
        "issuer": context.issuer,
        "certificate_id": _identifier(latest) or context.certificate_id,
    }


def _result(concept: Any) -> str:
    codings = _codings(concept)
    for system, code in codings:
        if system == terminology.SNOMED:
            known = terminology.result_from_snomed(code)
            if known is not None:
                return known
    if not codings:
        raise ValueError("the Observation has no valueCodeableConcept result")
    return terminology.token(*codings[0])


def _performer(resource: Mapping[str, Any]) -> str | None:
    performers = resource.get("performer")
    if not isinstance(performers, list) or not performers:
        return None
    first = performers[0]
    if not isinstance(first, dict):
        return None
    actor = first.get("actor") if isinstance(first.get("actor"), dict) else first
    display = actor.get("display") if isinstance(actor, dict) else None
    return display if isinstance(display, str) else None


def _identifier(resource: Mapping[str, Any]) -> str | None:
    identifiers = resource.get("identifier")
    if isinstance(identifiers, list) and identifiers and isinstance(identifiers[0], dict):
        value = identifiers[0].get("value")
        return value if isinstance(value, str) and value else None
    return None


def _codings(concept: Any) -> list[tuple[str, str]]:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    if not isinstance(codings, list):
        return []
    return [
        (str(coding.get("system")), str(coding.get("code")))
        for coding in codings
        if isinstance(coding, dict) and coding.get("code") is not None
    ]


def _date(value: Any) -> dt.date:
    if not isinstance(value, str) or len(value) < 10:
        raise ValueError(f"occurrenceDateTime {value!r} is not a full date")
    return dt.date.fromisoformat(value[:10])


def _datetime(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError(f"effectiveDateTime {value!r} is not a date and time")
    moment = dt.datetime.fromisoformat(value)
    # FHIR requires a zone with a time; a bare date is the start of that day in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _first_line(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else str(first["msg"])
    return str(error).splitlines()[0] if str(error) else type(error).__name__


# --- writing --------------------------------------------------------------------------------


def bundle_from_certificate(cert: Certificate) -> dict[str, Any]:
    """The minimised FHIR Bundle of a canonical vaccination or test certificate."""
    entry = cert.entry
    if isinstance(entry, Recovery):
        raise RequestError(
            "SMART Health Cards carry no recovery entry: issue a test or vaccination"
        )
    if entry.disease != COVID_19:
        raise RequestError(
            f"healthcert issues SMART Health Cards for COVID-19, not {entry.disease}"
        )
    resource = _immunization(entry) if isinstance(entry, Vaccination) else _observation(entry)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "resource:0", "resource": _patient(cert.holder)},
            {"fullUrl": "resource:1", "resource": resource},
        ],
    }


def _patient(holder: Holder) -> dict[str, Any]:
    # A holder known only by the Doc 9303 form is written in it, fillers as spaces.
    name: dict[str, Any] = {}
    family = holder.family_name or (holder.family_name_latin or "").replace("<", " ")
    if family:
        name["family"] = family
    given = holder.given_name or (holder.given_name_latin or "").replace("<", " ")
    if given:
        name["given"] = given.split()
    patient: dict[str, Any] = {"resourceType": "Patient", "name": [name, *_alphabetic(holder)]}
    if holder.date_of_birth:
        patient["birthDate"] = holder.date_of_birth
    return patient


def _alphabetic(holder: Holder) -> list[dict[str, Any]]:
    """The Doc 9303 form as a second, alphabetic HumanName, where it cannot be derived from the
    name as written (a Chinese name and its pinyin): a verifier needs it to read the card."""
    derived = (
        _derivable(holder.family_name, "family_name"),
        _derivable(holder.given_name, "given_name"),
    )
    if derived == (holder.family_name_latin, holder.given_name_latin):
        return []
    name: dict[str, Any] = {"extension": [{"url": EN_REPRESENTATION, "valueCode": "ABC"}]}
    if holder.family_name_latin:
        name["family"] = holder.family_name_latin.replace("<", " ")
    if holder.given_name_latin:
        name["given"] = holder.given_name_latin.split("<")
    return [name]


def _derivable(name: str | None, field: str) -> str | None:
    from healthcert.model.names import TransliterationError

    try:
        return _latin(name, field)
    except TransliterationError:
        return None


def _immunization(entry: Vaccination) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"coding": [_coding(*_vaccine_coding(entry.product))]},
        "patient": {"reference": "resource:0"},
        "occurrenceDateTime": entry.date.isoformat(),
        "identifier": [{"value": entry.certificate_id}],
        "protocolApplied": [
            {
                "doseNumberPositiveInt": entry.dose_number,
                "seriesDosesPositiveInt": entry.total_doses,
            }
        ],
    }


def _vaccine_coding(product: str) -> tuple[str, str]:
    coding = terminology.coding_for_product(product)
    if coding is not None:
        return coding
    system, bar, code = product.rpartition("|")
    if bar and system and code:
        return system, code
    raise RequestError(
        f"no CVX or SNOMED CT code is known for the vaccine product {product!r}: "
        "a SMART Health Card must name the vaccine by such a code"
    )


def _observation(entry: TestResult) -> dict[str, Any]:
    loinc = terminology.loinc_for_test_type(entry.test_type)
    if loinc is None:
        raise RequestError(f"no LOINC code is known for the test type {entry.test_type!r}")
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [_coding(terminology.LOINC, loinc)]},
        "subject": {"reference": "resource:0"},
        "effectiveDateTime": entry.sample_time.isoformat(),
        "valueCodeableConcept": {"coding": [_coding(*_result_coding(entry.result))]},
        "identifier": [{"value": entry.certificate_id}],
    }
    if entry.centre:
        observation["performer"] = [{"display": entry.centre}]
    return observation


def _result_coding(result: str) -> tuple[str, str]:
    system, bar, code = result.rpartition("|")
    return (system, code) if bar and system else (terminology.SNOMED, result)


def _coding(system: str, code: str) -> dict[str, str]:
    return {"system": system, "code": code}
