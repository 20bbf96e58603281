"""The canonical certificate's JSON of a SMART Health Card's FHIR Bundle, written straight.

For the cards issuers write: a Patient first, then only completed Immunizations, or only final
SARS-CoV-2 Observations; names in Latin script or with their Doc 9303 form; codes and texts
within the model's limits. Anything else returns None from ``_direct_json`` and goes through
the model (``fhir_read``), which either reads it or says why not.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from healthcert.formats.shc.fhir_common import (
    _MAX_TEXT,
    CardContext,
    _code,
    _doc9303,
    _optional_text,
    _text,
)
from healthcert.formats.shc.fhir_read import (
    _date,
    _datetime,
    _dose_numbers,
    _holder,
    _identifier,
    _is_covid_test,
    _mapped,
    _performer,
    _result,
    _test_type,
    _vaccine_codes,
    _validated,
)
from healthcert.model.codes import COVID_19, SCHEMA_VERSION
from healthcert.model.names import normalise_standard
from healthcert.model.values import COUNTRY_CODES, is_date_of_birth


def certificate_json(bundle: Any, context: CardContext) -> dict[str, Any]:
    """The JSON of ``certificate_from_bundle(bundle, context)`` (``model_dump(mode="json")``).

    Every verified card shows it, and building the pydantic model cost more than decoding the
    card; so a card written plainly (Latin names or their Doc 9303 form, codes and texts within
    the model's limits) is written straight from the mapping, and anything else goes through
    the model, which either reads it or says why not. The tests hold the two ways equal.
    """
    direct = _direct_json(bundle, context)
    if direct is not None:
        return direct
    return _validated(*_mapped(bundle, context)).model_dump(mode="json")


def _direct_json(bundle: Any, context: CardContext) -> dict[str, Any] | None:
    """The model's JSON of a plainly written card, or None to leave the card to the model."""
    if type(bundle) is not dict or bundle.get("resourceType") != "Bundle":
        return None
    entries = bundle.get("entry")
    if type(entries) is not list or len(entries) < 2:
        return None
    patient, first = _resource(entries[0]), _resource(entries[1])
    if patient is None or first is None or patient.get("resourceType") != "Patient":
        return None
    kind = first.get("resourceType")
    country, issuer, _ = context
    if (country is not None and country not in COUNTRY_CODES) or not _text(issuer):
        return None
    # What the mapping raises on, it raises again on the model's way, with its message.
    try:
        if kind == "Immunization":
            entry = _direct_vaccination(entries, first, context)
        elif kind == "Observation":
            entry = _direct_test(entries, first, context)
        else:
            return None
        holder = _direct_holder(patient) if entry is not None else None
    except (ValueError, TypeError, KeyError):
        return None
    if holder is None:
        return None
    return {"holder": holder, "entry": entry, "schema_version": SCHEMA_VERSION}


def _resource(entry: Any) -> dict[str, Any] | None:
    resource = entry.get("resource") if type(entry) is dict else None
    return resource if type(resource) is dict else None


def _direct_holder(patient: dict[str, Any]) -> dict[str, Any] | None:
    birth = patient.get("birthDate") or ""
    if type(birth) is not str or not is_date_of_birth(birth):
        return None
    names = patient.get("name")
    name = names[0] if type(names) is list and len(names) == 1 else None
    if type(name) is not dict or "extension" in name:
        return _holder_through_mapping(patient)
    # One name, as written (in Latin script): its Doc 9303 form is derived, as the model does.
    family, given = name.get("family"), name.get("given")
    if type(family) is not str or not family or type(given) is not list or not given:
        return _holder_through_mapping(patient)
    given_name = " ".join(given)
    family_latin = _doc9303(family, "family_name")
    given_latin = _doc9303(given_name, "given_name")
    if len(family) > _MAX_TEXT or len(given_name) > _MAX_TEXT or not (family_latin or given_latin):
        return None
    return {
        "family_name": family,
        "given_name": given_name,
        "family_name_latin": family_latin,
        "given_name_latin": given_latin,
        "date_of_birth": birth,
    }


def _holder_through_mapping(patient: dict[str, Any]) -> dict[str, Any] | None:
    """The holder of any other Patient: the mapping's, with the checks the model would make."""
    holder = _holder(patient)
    family, given = holder["family_name"], holder["given_name"]
    family_latin = _plain_latin(family, holder["family_name_latin"], "family_name_latin")
    given_latin = _plain_latin(given, holder["given_name_latin"], "given_name_latin")
    if (
        isinstance(family_latin, _ToModel)
        or isinstance(given_latin, _ToModel)
        or not (family_latin or given_latin)
        or not _optional_text(family)
        or not _optional_text(given)
    ):
        return None
    holder["family_name_latin"] = family_latin
    holder["given_name_latin"] = given_latin
    return holder


class _ToModel:
    """A value the model alone can judge: the direct way gives the card up to the model."""


_TO_MODEL = _ToModel()


def _plain_latin(written: object, latin: object, field: str) -> str | _ToModel | None:
    """The Doc 9303 form as the model keeps it, or _TO_MODEL.

    A missing form beside a written name is the model's to derive; a form not yet standard is
    standardised here by the model's own function, or left to the model to refuse.
    """
    if latin is None:
        return None if written is None else _TO_MODEL
    if type(latin) is not str:
        return _TO_MODEL
    try:
        return normalise_standard(latin, field)
    except ValueError:
        return _TO_MODEL


def _direct_vaccination(
    entries: list[Any], first: dict[str, Any], context: CardContext
) -> dict[str, Any] | None:
    """The entry of a card whose entries after the Patient (``first`` the first of them) are
    all completed Immunizations."""
    latest: dict[str, Any] = {}
    date, written = dt.date.min, ""
    for index in range(1, len(entries)):
        resource = first if index == 1 else _resource(entries[index])
        if (
            resource is None
            or resource.get("resourceType") != "Immunization"
            or resource.get("status") != "completed"
        ):
            return None
        value: Any = resource.get("occurrenceDateTime")
        day = _date(value)  # a str, or it raised
        if day >= date:  # of doses on one day, the last listed
            latest, date, written = resource, day, value
    dose, series = _dose_numbers(latest, len(entries) - 1)
    vaccine = _vaccine_codes(latest.get("vaccineCode"))
    certificate_id = _identifier(latest) or context.certificate_id
    # The mapping's dose is an int; its series may be a boolean, which the model refuses.
    if dose < 1 or type(series) is not int or not vaccine.plain or not _text(certificate_id):
        return None
    codes = vaccine.codes
    return {
        "kind": "vaccination",
        "disease": vaccine.disease,
        "vaccine": codes.vaccine,
        "product": codes.product,
        "manufacturer": codes.manufacturer,
        "dose_number": dose,
        "total_doses": series,
        # As written when it is YYYY-MM-DD (what isoformat gives back), else from the date.
        "date": written[:10] if written[4] == "-" == written[7] else date.isoformat(),
        "country": context.country,
        "issuer": context.issuer,
        "certificate_id": certificate_id,
    }


def _direct_test(
    entries: list[Any], first: dict[str, Any], context: CardContext
) -> dict[str, Any] | None:
    """The entry of a card whose entries after the Patient (``first`` the first of them) are
    all SARS-CoV-2 test results."""
    latest: dict[str, Any] = {}
    when: dt.datetime | None = None
    for index in range(1, len(entries)):
        resource = first if index == 1 else _resource(entries[index])
        if resource is None or type(resource.get("status")) is not str:
            return None
        if not _is_covid_test(resource):
            return None
        moment = _datetime(resource.get("effectiveDateTime"))
        if when is None or moment >= when:  # of tests at one time, the last listed
            latest, when = resource, moment
    if when is None:
        return None
    sample_time = _plain_time(when)
    result = _result(latest.get("valueCodeableConcept"))
    centre = _performer(latest)
    certificate_id = _identifier(latest) or context.certificate_id
    if (
        sample_time is None
        or not _code(result)
        or not _optional_text(centre)
        or not _text(certificate_id)
    ):
        return None
    return {
        "kind": "test",
        "disease": COVID_19,
        "test_type": _test_type(latest),
        "test_name": None,
        "test_device": None,
        "sample_time": sample_time,
        "result": result,
        "centre": centre,
        "country": context.country,
        "issuer": context.issuer,
        "certificate_id": certificate_id,
    }


def _plain_time(moment: dt.datetime) -> str | None:
    """An aware date and time as the model writes it: ISO 8601, a zero offset as Z."""
    offset = moment.utcoffset()
    # The model writes offsets in whole minutes, dropping any seconds: those go through it.
    if offset is None or offset.microseconds or offset.seconds % 60:
        return None
    text = moment.isoformat()
    return text if offset else text[:-6] + "Z"
