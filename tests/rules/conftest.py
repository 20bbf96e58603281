"""Shared material of the rule tests: a rule-document factory, a realistic DCC, value sets."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

RuleDoc = Callable[..., dict[str, Any]]

_PREFIX_TYPES = {
    "GR": ("Acceptance", "General"),
    "VR": ("Acceptance", "Vaccination"),
    "TR": ("Acceptance", "Test"),
    "RR": ("Acceptance", "Recovery"),
    "IR": ("Invalidation", "General"),
}

# The usual shape of a vaccination acceptance rule: product in the value set, series complete,
# at least 14 days after the last dose and at most 270 days.
VACCINATION_LOGIC: dict[str, Any] = {
    "if": [
        {"var": "payload.v.0"},
        {
            "and": [
                {
                    "in": [
                        {"var": "payload.v.0.mp"},
                        {"var": "external.valueSets.vaccines-covid-19-names"},
                    ]
                },
                {">=": [{"var": "payload.v.0.dn"}, {"var": "payload.v.0.sd"}]},
                {
                    "not-before": [
                        {"plusTime": [{"var": "external.validationClock"}, 0, "day"]},
                        {"plusTime": [{"var": "payload.v.0.dt"}, 14, "day"]},
                    ]
                },
                {
                    "not-after": [
                        {"plusTime": [{"var": "external.validationClock"}, 0, "day"]},
                        {"plusTime": [{"var": "payload.v.0.dt"}, 270, "day"]},
                    ]
                },
            ]
        },
        True,
    ]
}

VACCINATION_PAYLOAD: dict[str, Any] = {
    "ver": "1.3.0",
    "nam": {
        "fn": "Musterfrau-Gößinger",
        "fnt": "MUSTERFRAU<GOESSINGER",
        "gn": "Gabriele",
        "gnt": "GABRIELE",
    },
    "dob": "1998-02-26",
    "v": [
        {
            "tg": "840539006",
            "vp": "1119349007",
            "mp": "EU/1/20/1528",
            "ma": "ORG-100030215",
            "dn": 2,
            "sd": 2,
            "dt": "2021-06-01",
            "co": "AT",
            "is": "Ministry of Health, Austria",
            "ci": "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B",
        }
    ],
}

TEST_PAYLOAD: dict[str, Any] = {
    "ver": "1.3.0",
    "nam": {"fnt": "MUSTERMANN", "gnt": "ERIKA"},
    "dob": "1964-08",
    "t": [
        {
            "tg": "840539006",
            "tt": "LP6464-4",
            "nm": "Roche LightCycler qPCR",
            "sc": "2021-06-10T10:12:22Z",
            "tr": "260415000",
            "tc": "Testzentrum Köln Hbf",
            "co": "DE",
            "is": "Robert Koch-Institut",
            "ci": "URN:UVCI:01DE/IZ12345A/5CWLU12RNOB9RXSEOP6FG8#W",
        }
    ],
}

VALUE_SETS: dict[str, list[str]] = {
    "vaccines-covid-19-names": ["EU/1/20/1528", "EU/1/20/1507", "EU/1/21/1529", "EU/1/20/1525"],
    "disease-agent-targeted": ["840539006"],
}


def _rule_doc(identifier: str = "VR-DE-0001", **overrides: Any) -> dict[str, Any]:
    """A valid rule document for ``identifier``; keyword arguments replace fields by name
    (a value of ``...`` removes the field)."""
    rule_type, certificate_type = _PREFIX_TYPES[identifier[:2]]
    document: dict[str, Any] = {
        "Identifier": identifier,
        "Type": rule_type,
        "Country": identifier[3:5],
        "Version": "1.0.0",
        "SchemaVersion": "1.3.0",
        "Engine": "CERTLOGIC",
        "EngineVersion": "1.3.2",
        "CertificateType": certificate_type,
        "Description": [
            {"lang": "en", "desc": f"English description of {identifier}"},
            {"lang": "de", "desc": f"Deutsche Beschreibung von {identifier}"},
        ],
        "ValidFrom": "2021-06-01T00:00:00Z",
        "ValidTo": "2030-06-01T00:00:00Z",
        "AffectedFields": ["v.0", "v.0.mp"],
        "Logic": {"===": [1, 1]},
    }
    for name, value in overrides.items():
        if value is ...:
            document.pop(name, None)
        else:
            document[name] = copy.deepcopy(value)
    return document


@pytest.fixture
def rule_doc() -> RuleDoc:
    return _rule_doc


@pytest.fixture
def vaccination_logic() -> dict[str, Any]:
    return copy.deepcopy(VACCINATION_LOGIC)


@pytest.fixture
def vaccination_payload() -> dict[str, Any]:
    return copy.deepcopy(VACCINATION_PAYLOAD)


@pytest.fixture
def test_payload() -> dict[str, Any]:
    return copy.deepcopy(TEST_PAYLOAD)


@pytest.fixture
def value_sets() -> dict[str, list[str]]:
    return copy.deepcopy(VALUE_SETS)
