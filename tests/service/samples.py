"""Records as senders send them, for the service tests."""

from __future__ import annotations

import secrets
from typing import Any


def holder(document_number: str | None = None, **changes: Any) -> dict[str, Any]:
    person = {
        "document_type": "passport",
        "issuing_country": "CN",
        "document_number": document_number or f"E{secrets.token_hex(4).upper()}",
        "family_name": "王",
        "given_name": "小明",
        "family_name_latin": "WANG",
        "given_name_latin": "XIAOMING",
        "date_of_birth": "1985-07-21",
        "contact": "+86 10 5555 0100",
    }
    person.update(changes)
    return person


def vaccination(**changes: Any) -> dict[str, Any]:
    entry = {
        "kind": "vaccination",
        "vaccine": "J07BX03",
        "product": "EU/1/20/1528",
        "manufacturer": "ORG-100030215",
        "dose_number": 2,
        "total_doses": 2,
        "date": "2026-09-14",
    }
    entry.update(changes)
    return entry


def antibody_test(test_type: str = "94563-4") -> dict[str, Any]:
    return {
        "kind": "test",
        "test_type": test_type,
        "sample_time": "2026-11-20T08:30:00+08:00",
        "result": "260373001",
        "centre": "Beijing Capital Airport Testing Centre",
    }


def record(entry: dict[str, Any] | None = None, **person: Any) -> dict[str, Any]:
    return {
        "record_id": f"site-{secrets.token_hex(6)}",
        "holder": holder(**person),
        "entry": entry or vaccination(),
    }


def fhir_bundle(document_number: str) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [
                        {
                            "type": {"coding": [{"code": "PPN"}]},
                            "value": document_number,
                            "assigner": {"identifier": {"value": "DE"}},
                        }
                    ],
                    "name": [{"family": "Müller", "given": ["Anna", "Lena"]}],
                    "birthDate": "1990-02-03",
                    "telecom": [{"system": "email", "value": "anna@example.org"}],
                }
            },
            {
                "resource": {
                    "resourceType": "Immunization",
                    "identifier": [{"value": f"imm-{document_number}"}],
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
            {
                "resource": {
                    "resourceType": "Observation",
                    "identifier": [{"value": f"obs-{document_number}"}],
                    "code": {"coding": [{"system": "http://loinc.org", "code": "94564-2"}]},
                    "effectiveDateTime": "2026-11-01T09:00:00+01:00",
                    "valueCodeableConcept": {
                        "coding": [{"system": "http://snomed.info/sct", "code": "260415000"}]
                    },
                    "performer": [{"display": "Labor Berlin"}],
                }
            },
        ],
    }
