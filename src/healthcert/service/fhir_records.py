"""FHIR R4 intake: a Bundle with a Patient and Immunization / Observation resources becomes
native records, one per Immunization (a vaccination) or Observation (a test result).

Only what a certificate needs is read; anything else in the Bundle is ignored. Each record is
then validated like a native one, so a FHIR sender gets the same per-field messages.
"""

from __future__ import annotations

from typing import Any

from healthcert.service.errors import Invalid

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
_DOCUMENT_TYPES = {"PPN": "passport", "NNXXX": "id-card", "NI": "id-card"}


def records_from_bundle(bundle: Any) -> list[dict[str, Any]]:
    """Native record documents from a FHIR Bundle; Invalid names what is missing."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise Invalid([{"field": "resourceType", "message": "a FHIR R4 Bundle is expected"}])
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise Invalid([{"field": "entry", "message": "a list of Bundle entries is expected"}])
    found = [
        (index, e["resource"])
        for index, e in enumerate(entries)
        if isinstance(e, dict) and isinstance(e.get("resource"), dict)
    ]
    resources = [resource for _, resource in found]
    patients = [(i, r) for i, r in found if r.get("resourceType") == "Patient"]
    if len(patients) != 1:
        raise Invalid([{"field": "entry", "message": "the Bundle needs exactly one Patient"}])
    holder = _holder(patients[0][1], f"entry.{patients[0][0]}.resource")
    records = []
    for index, resource in enumerate(resources):
        entry = _entry(resource)
        if entry is not None:
            record_id = _record_id(resource, index)
            records.append({"record_id": record_id, "holder": holder, "entry": entry})
    if not records:
        raise Invalid([{"field": "entry", "message": "no Immunization or Observation"}])
    return records


def _entry(resource: dict[str, Any]) -> dict[str, Any] | None:
    kind = resource.get("resourceType")
    if kind == "Immunization":
        return _vaccination(resource)
    if kind == "Observation":
        return _test(resource)
    return None


def _record_id(resource: dict[str, Any], index: int) -> str:
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("value"):
            return str(identifier["value"])
    if resource.get("id"):
        return f"{resource['resourceType']}/{resource['id']}"
    raise Invalid(
        [{"field": f"entry.{index}.identifier", "message": "a record needs an identifier or id"}]
    )


def _holder(patient: dict[str, Any], where: str) -> dict[str, Any]:
    family, given = _name(patient.get("name"), f"{where}.name")
    identifier = _first(patient.get("identifier"))
    coding = _first(_first(identifier.get("type"), key="coding"))
    holder: dict[str, Any] = {
        "document_type": _DOCUMENT_TYPES.get(str(coding.get("code")), "other"),
        "document_number": identifier.get("value"),
        # The document's issuer: the identifier's assigner, by its ISO 3166-1 code.
        "issuing_country": _first(identifier.get("assigner"), key="identifier").get("value"),
        "family_name": family,
        "given_name": given,
        "date_of_birth": patient.get("birthDate"),
    }
    telecom = _first(patient.get("telecom"))
    if telecom.get("value"):
        holder["contact"] = telecom["value"]
    return {key: value for key, value in holder.items() if value is not None}


def _name(names: Any, where: str) -> tuple[Any, str | None]:
    """The first HumanName's family and given names, exactly as written; a name of another
    shape is refused with its path, never reshaped (a string is not a list of given names)."""
    if names is None or names == []:
        return None, None
    if not isinstance(names, list):
        raise Invalid([{"field": where, "message": "a list of HumanName objects is expected"}])
    name = names[0]
    if not isinstance(name, dict):
        raise Invalid([{"field": f"{where}.0", "message": "a HumanName object is expected"}])
    problems = []
    family = name.get("family")
    if family is not None and not isinstance(family, str):
        problems.append({"field": f"{where}.0.family", "message": "a string is expected"})
    given = name.get("given")
    if given is not None and not isinstance(given, list):
        message = 'a list of given names is expected, e.g. ["Jane", "Ann"]'
        problems.append({"field": f"{where}.0.given", "message": message})
        given = None
    problems += [
        {"field": f"{where}.0.given.{index}", "message": "a string is expected"}
        for index, part in enumerate(given or [])
        if not isinstance(part, str)
    ]
    if problems:
        raise Invalid(problems)
    return family, " ".join(given or []) or None


def _vaccination(resource: dict[str, Any]) -> dict[str, Any]:
    codings = _codings(resource.get("vaccineCode"))
    protocol = _first(resource.get("protocolApplied"))
    manufacturer = _first(resource.get("manufacturer"), key="identifier")
    entry: dict[str, Any] = {
        "kind": "vaccination",
        "vaccine": _code(codings, (SNOMED, ATC)),
        "product": _code(codings, None, exclude=(SNOMED, ATC)),
        "manufacturer": manufacturer.get("value"),
        "dose_number": protocol.get("doseNumberPositiveInt"),
        "total_doses": protocol.get("seriesDosesPositiveInt"),
        "date": str(resource.get("occurrenceDateTime", ""))[:10] or None,
    }
    return {key: value for key, value in entry.items() if value is not None}


def _test(resource: dict[str, Any]) -> dict[str, Any]:
    performer = _first(resource.get("performer"))
    entry: dict[str, Any] = {
        "kind": "test",
        "test_type": _code(_codings(resource.get("code")), (LOINC,)),
        "sample_time": resource.get("effectiveDateTime"),
        "result": _code(_codings(resource.get("valueCodeableConcept")), (SNOMED,)),
        "centre": performer.get("display"),
    }
    device = _first(resource.get("device"), key="identifier")
    if device.get("value"):
        entry["test_device"] = device["value"]
    return {key: value for key, value in entry.items() if value is not None}


def _first(value: Any, *, key: str | None = None) -> dict[str, Any]:
    if key is not None:
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) else {}


def _codings(concept: Any) -> list[dict[str, Any]]:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    return [c for c in codings or [] if isinstance(c, dict)]


def _code(
    codings: list[dict[str, Any]],
    systems: tuple[str, ...] | None,
    *,
    exclude: tuple[str, ...] = (),
) -> str | None:
    for coding in codings:
        system = coding.get("system")
        if (systems is None or system in systems) and system not in exclude and coding.get("code"):
            return str(coding["code"])
    return None
