"""The FHIR R4 Bundle the records intake reads, as JSON Schema for the OpenAPI document: the
resources and the fields of each that a certificate needs (others are allowed and ignored)."""

from __future__ import annotations

from typing import Any

_STRING = {"type": "string"}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def _object(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


_CODING = _object(system=_STRING, code=_STRING, display=_STRING)
_CONCEPT = _object(coding=_array(_CODING))
_IDENTIFIER = _object(value=_STRING, type=_CONCEPT)
_REFERENCE = _object(identifier=_IDENTIFIER, display=_STRING)
# A travel document's identifier names its issuing country as its assigner.
_DOCUMENT = _object(value=_STRING, type=_CONCEPT, assigner=_REFERENCE)

_PATIENT = {
    **_object(
        resourceType={"const": "Patient"},
        identifier=_array(_DOCUMENT),
        name=_array(_object(family=_STRING, given=_array(_STRING))),
        birthDate={"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
        telecom=_array(_object(system=_STRING, value=_STRING)),
    ),
    "required": ["resourceType"],
    "description": "The person: identifier (their travel document), name and birthDate.",
}
_IMMUNIZATION = {
    **_object(
        resourceType={"const": "Immunization"},
        id=_STRING,
        identifier=_array(_IDENTIFIER),
        vaccineCode=_CONCEPT,
        manufacturer=_REFERENCE,
        occurrenceDateTime=_STRING,
        protocolApplied=_array(
            _object(
                doseNumberPositiveInt={"type": "integer", "minimum": 1},
                seriesDosesPositiveInt={"type": "integer", "minimum": 1},
            )
        ),
    ),
    "required": ["resourceType"],
    "description": "A vaccination: one record.",
}
_OBSERVATION = {
    **_object(
        resourceType={"const": "Observation"},
        id=_STRING,
        identifier=_array(_IDENTIFIER),
        code=_CONCEPT,
        effectiveDateTime=_STRING,
        valueCodeableConcept=_CONCEPT,
        performer=_array(_REFERENCE),
        device=_REFERENCE,
    ),
    "required": ["resourceType"],
    "description": "A test result: one record.",
}

BUNDLE_SCHEMA: dict[str, Any] = {
    **_object(
        resourceType={"const": "Bundle"},
        type=_STRING,
        entry=_array(
            {
                **_object(resource={"oneOf": [_PATIENT, _IMMUNIZATION, _OBSERVATION]}),
                "required": ["resource"],
            }
        ),
    ),
    "required": ["resourceType", "entry"],
    "title": "FhirBundle",
    "description": "One Patient and its Immunization and Observation resources.",
}

BUNDLE_EXAMPLE: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "resource": {
                "resourceType": "Patient",
                "identifier": [
                    {
                        "type": {"coding": [{"code": "PPN"}]},
                        "value": "C01X00T47",
                        "assigner": {"identifier": {"value": "DE"}},
                    }
                ],
                "name": [{"family": "Müller", "given": ["Anna", "Lena"]}],
                "birthDate": "1990-02-03",
            }
        },
        {
            "resource": {
                "resourceType": "Immunization",
                "identifier": [{"value": "imm-0001"}],
                "vaccineCode": {
                    "coding": [
                        {"system": "http://snomed.info/sct", "code": "J07BX03"},
                        {"system": "https://ec.europa.eu/health", "code": "EU/1/20/1528"},
                    ]
                },
                "manufacturer": {"identifier": {"value": "ORG-100030215"}},
                "occurrenceDateTime": "2026-10-01",
                "protocolApplied": [{"doseNumberPositiveInt": 1, "seriesDosesPositiveInt": 2}],
            }
        },
    ],
}
