"""FHIR R4 Bundles of SMART Health Cards -> the canonical certificate.

The Patient gives the holder; completed Immunizations give a vaccination, and otherwise final
Observations with a SARS-CoV-2 LOINC code give a test. The canonical model holds one entry, so
of several doses the latest is kept, with ``dose_number`` and ``total_doses`` both the number
of doses the card lists (a card lists what was given, not the schedule) unless the
Immunization states them in ``protocolApplied``. Likewise the latest test is kept. Vaccine and
test codes translate through ``formats.terminology``; unknown codes stay as ``system|code``.

SHC carries no country and no certificate issuer name: the caller supplies them from the
trusted issuer entry (a country unknown there stays null). The certificate id is the entry's
``identifier``, else the card's ``rid``, else a digest of the card.

JSON objects are checked as ``dict`` (what the JSON parser makes), not as the ``Mapping`` ABC,
whose isinstance check costs several times more on this per-card path. ``fhir_direct`` reuses
the readers with a leading underscore.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from healthcert import report as codes
from healthcert.formats import terminology
from healthcert.formats.shc.fhir_common import (
    EN_REPRESENTATION,
    CardContext,
    ContentError,
    _code,
    _latin,
)
from healthcert.model.codes import COVID_19

# The models load only for a card the direct way leaves to them, and for issuing: a verifier
# of plainly written cards never builds them (a tenth of a second before the first report).
if TYPE_CHECKING:
    from pydantic import ValidationError

    from healthcert.model.certificate import Certificate

_FINAL_STATUSES = frozenset({"final", "amended", "corrected"})


def certificate_from_bundle(bundle: Any, context: CardContext) -> Certificate:
    """The canonical certificate of an SHC FHIR Bundle; ContentError when there is none."""
    return _validated(*_mapped(bundle, context))


def _validated(holder: dict[str, Any], entry: dict[str, Any]) -> Certificate:
    """The model of a mapped card: one validation of the whole document, a third cheaper
    than validating its parts."""
    # why: see the note above TYPE_CHECKING (the models stay unloaded for plain cards)
    from pydantic import ValidationError

    from healthcert.model.certificate import Certificate

    try:
        return Certificate.model_validate({"holder": holder, "entry": entry})
    except ValidationError as error:
        raise ContentError(codes.SCHEMA_INVALID, _validation_message(error)) from None
    except (ValueError, TypeError, KeyError) as error:
        raise ContentError(codes.SCHEMA_INVALID, _first_line(error)) from None


def _mapped(bundle: Any, context: CardContext) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model's input for the bundle: the holder and the entry, before validation."""
    patient, immunizations, tests = _select(bundle)
    if patient is None or not (immunizations or tests):
        raise ContentError(
            codes.CONTENT_UNSUPPORTED, _unsupported_message(_resources(bundle), patient)
        )
    try:
        entry = _vaccination(immunizations, context) if immunizations else _test(tests, context)
        return _holder(patient), entry
    except (ValueError, TypeError, KeyError) as error:
        raise ContentError(codes.SCHEMA_INVALID, _first_line(error)) from None


def _select(
    bundle: Any,
) -> tuple[Mapping[str, Any] | None, list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The first Patient, the completed Immunizations and the SARS-CoV-2 test results."""
    patient: Mapping[str, Any] | None = None
    immunizations: list[Mapping[str, Any]] = []
    tests: list[Mapping[str, Any]] = []
    for resource in _resources(bundle):
        kind = resource.get("resourceType")
        if kind == "Patient":
            if patient is None:
                patient = resource
        elif kind == "Immunization":
            if resource.get("status") == "completed":
                immunizations.append(resource)
        elif _is_covid_test(resource):
            tests.append(resource)
    return patient, immunizations, tests


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


def _holder(patient: Mapping[str, Any]) -> dict[str, Any]:
    # As written: the first official name that is not the alphabetic form, else the first
    # such name of any use; and the first alphabetic (Doc 9303) form, if the card has one.
    first: Mapping[str, Any] | None = None
    official: Mapping[str, Any] | None = None
    alphabetic: Mapping[str, Any] | None = None
    for name in patient.get("name") or ():
        if not isinstance(name, dict):
            continue
        if _is_alphabetic(name):
            if alphabetic is None:
                alphabetic = name
            continue
        if first is None:
            first = name
        if official is None and name.get("use") == "official":
            official = name
    family_name, given_name = _name_parts(
        official if official is not None else first if first is not None else {}
    )
    # The model's own transliteration, called here rather than from its validator: the same
    # result, without the validator's per-field overhead (a third of a card's mapping time).
    family_latin, given_latin = (
        _name_parts(alphabetic)
        if alphabetic is not None
        else (_latin(family_name, "family_name"), _latin(given_name, "given_name"))
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


def _vaccination(immunizations: list[Mapping[str, Any]], context: CardContext) -> dict[str, Any]:
    dated = [
        (_date(r.get("occurrenceDateTime")), index, r) for index, r in enumerate(immunizations)
    ]
    date, _, latest = max(dated, key=lambda item: (item[0], item[1]))
    dose, series = _dose_numbers(latest, len(immunizations))
    vaccine = _vaccine_codes(latest.get("vaccineCode"))
    return {
        "kind": "vaccination",
        "disease": vaccine.disease,
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
    # Whether the model takes the three codes as they are: the direct way's question, answered
    # once for each vaccine code a card may name.
    plain: bool

    @property
    def disease(self) -> str:
        return COVID_19 if self.product_known else terminology.UNKNOWN


def _vaccine(codes: terminology.VaccineCodes, *, product_known: bool) -> _Vaccine:
    plain = _code(codes.vaccine) and _code(codes.product) and _code(codes.manufacturer)
    return _Vaccine(codes, product_known, plain)


def _vaccine_codes(concept: Any) -> _Vaccine:
    single = concept.get("coding") if type(concept) is dict else None
    if type(single) is list and len(single) == 1 and type(single[0]) is dict:
        # The usual vaccineCode, one coding of a known vaccine: looked up without the list of
        # (system, code) pairs that _codings builds for the general case.
        system, code = single[0].get("system"), single[0].get("code")
        if type(system) is str and type(code) is str:
            known = _known_vaccine(system, code)
            if known is not None:
                return known
    codings = _codings(concept)
    for system, code in codings:
        known = _known_vaccine(system, code)
        if known is not None:
            return known
    if not codings:
        raise ValueError("the Immunization has no vaccineCode coding")
    system, code = codings[0]
    unknown = terminology.token(system, code)
    codes = terminology.VaccineCodes(unknown, unknown, terminology.UNKNOWN)
    return _vaccine(codes, product_known=False)


# Few vaccine codes exist, and every card names one: each is looked up once.
@lru_cache(maxsize=1024)
def _known_vaccine(system: str, code: str) -> _Vaccine | None:
    known = terminology.vaccine_from_coding(system, code)
    return None if known is None else _vaccine(known, product_known=True)


def _dose_numbers(immunization: Mapping[str, Any], doses_listed: int) -> tuple[int, int]:
    applied = immunization.get("protocolApplied")
    first = applied[0] if isinstance(applied, list) and applied else None
    if isinstance(first, dict):
        dose = first.get("doseNumberPositiveInt")
        if isinstance(dose, int) and not isinstance(dose, bool):
            series = first.get("seriesDosesPositiveInt")
            return dose, series if isinstance(series, int) and series >= 1 else dose
    return doses_listed, doses_listed


def _test(observations: list[Mapping[str, Any]], context: CardContext) -> dict[str, Any]:
    timed = [
        (_datetime(r.get("effectiveDateTime")), index, r) for index, r in enumerate(observations)
    ]
    sample_time, _, latest = max(timed, key=lambda item: (item[0], item[1]))
    return {
        "kind": "test",
        "test_type": _test_type(latest),
        "sample_time": sample_time,
        "result": _result(latest.get("valueCodeableConcept")),
        "centre": _performer(latest),
        "country": context.country,
        "issuer": context.issuer,
        "certificate_id": _identifier(latest) or context.certificate_id,
    }


def _test_type(observation: Mapping[str, Any]) -> str:
    """The canonical test type of a SARS-CoV-2 test result (one ``_is_covid_test`` took)."""
    return next(
        known
        for system, code in _codings(observation.get("code"))
        if system == terminology.LOINC and (known := terminology.test_type_from_loinc(code))
    )


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
    first = identifiers[0] if isinstance(identifiers, list) and identifiers else None
    value = first.get("value") if isinstance(first, dict) else None
    return value if isinstance(value, str) and value else None


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


def _validation_message(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
