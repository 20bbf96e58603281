"""The declaration section of destination policies and the dates of origin risk levels: the
shipped examples, layering, and malformed sections refused naming file and field."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from healthcert.rules.policy import (
    Laboratory,
    PolicyError,
    TestRequirement,
    load_policies,
    parse_policy,
)

SHIPPED_ONLY = Path("/nonexistent")


def _declared(**fields: Any) -> dict[str, Any]:
    return {"country": "XY", "version": "1.0.0", "declaration": fields}


def test_the_shipped_cn_policy_asks_for_pcr_and_igg_at_listed_laboratories() -> None:
    cn = load_policies(home=SHIPPED_ONLY).get("CN")
    assert cn is not None and cn.declaration is not None
    both = (
        TestRequirement("naat", 48, in_departure_city=True, listed_laboratory=True),
        TestRequirement("antibody_igg", 48, in_departure_city=True, listed_laboratory=True),
    )
    assert cn.declaration.tests == both
    assert cn.declaration.transit_tests == both
    assert [test.test_type for test in both] == ["LP6464-4", "94563-4"]
    assert cn.declaration.vaccination_required is False
    assert cn.declaration.vaccination_for("high") is True
    assert cn.declaration.vaccination_for("medium") is False
    # A medium-risk origin's own PCR rule replaces the base one; the antibody test stays.
    medium = cn.declaration.tests_for("medium")
    assert [(test.kind, test.max_age_hours) for test in medium] == [
        ("naat", 24),
        ("antibody_igg", 48),
    ]
    assert cn.declaration.tests_for("low") == both
    berlin = Laboratory("DE", "Berlin", "Example Laboratory Berlin")
    assert berlin in cn.declaration.laboratories
    assert cn.declaration.laboratory("DE", " example laboratory  berlin") == berlin
    assert cn.declaration.laboratory("FR", "Example Laboratory Berlin") is None
    assert cn.declaration.auto_approval_allowed("low") is True
    assert cn.declaration.auto_approval_allowed("medium") is False
    assert cn.risk_set_date("xa") == date(2026, 6, 1)
    assert cn.risk_set_date("FR") is None


def test_the_shipped_de_and_sg_policies_have_a_sane_declaration_section() -> None:
    policies = load_policies(home=SHIPPED_ONLY)
    for country in ("DE", "SG"):
        policy = policies.get(country)
        assert policy is not None and policy.declaration is not None
        assert policy.declaration.tests, country
        assert not any(test.listed_laboratory for test in policy.declaration.tests)
        assert policy.declaration.auto_approval_allowed("high") is False
        assert set(policy.risk_set_on) == set(policy.origin_risk), country
    sg = policies.get("SG")
    assert sg is not None and sg.declaration is not None
    assert [test.kind for test in sg.declaration.tests_for("high")] == ["rapid_antigen", "naat"]


def test_a_minimal_declaration_section_has_no_requirements_and_no_automatic_approval() -> None:
    policy = parse_policy(_declared(), "xy.json")
    assert policy.declaration is not None
    assert policy.declaration.tests == () and policy.declaration.transit_tests == ()
    assert policy.declaration.auto_approval_allowed("low") is False
    assert parse_policy({"country": "XY", "version": "1.0.0"}, "xy.json").declaration is None


PCR_AT_LISTED = {"kind": "naat", "max_age_hours": 48, "listed_laboratory": True}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            _declared(tests=[{"kind": "pcr", "max_age_hours": 48}]),
            "xy.json: declaration.tests.0.kind: Input should be 'naat', 'antibody_igg' or "
            "'rapid_antigen'",
        ),
        (
            _declared(tests=[{"kind": "naat", "max_age_hours": 0}]),
            "xy.json: declaration.tests.0.max_age_hours: Input should be greater than or equal "
            "to 1",
        ),
        (
            _declared(tests=[{"kind": "naat", "max_age_hours": 673}]),
            "xy.json: declaration.tests.0.max_age_hours: Input should be less than or equal to 672",
        ),
        (
            _declared(tests=[{"kind": "naat", "max_age_hours": "48"}]),
            "xy.json: declaration.tests.0.max_age_hours: Input should be a valid integer",
        ),
        (
            _declared(tests=[{"kind": "naat"}]),
            "xy.json: declaration.tests.0.max_age_hours: Field required",
        ),
        (
            _declared(tests=[{"kind": "naat", "max_age_hours": 48, "in_city": True}]),
            "xy.json: declaration.tests.0.in_city: Extra inputs are not permitted",
        ),
        (
            _declared(tests=[PCR_AT_LISTED]),
            "xy.json: declaration: Value error, laboratories is empty, but a test must be taken "
            "at a listed one",
        ),
        (
            _declared(transit={"tests": [PCR_AT_LISTED]}),
            "xy.json: declaration: Value error, laboratories is empty",
        ),
        (
            _declared(risk_levels={"high": {"tests": [PCR_AT_LISTED]}}),
            "xy.json: declaration: Value error, laboratories is empty",
        ),
        (
            _declared(tests=[{"kind": "naat", "max_age_hours": 48}] * 2),
            "xy.json: declaration: Value error, tests: the test kind 'naat' is asked for twice",
        ),
        (
            _declared(risk_levels={"severe": {}}),
            "xy.json: declaration.risk_levels.severe.[key]: Input should be 'low', 'medium' or "
            "'high'",
        ),
        (
            _declared(risk_levels={"high": {"vaccination_required": "yes"}}),
            "xy.json: declaration.risk_levels.high.vaccination_required: Input should be a valid "
            "boolean",
        ),
        (
            _declared(laboratories=[{"country": "de", "city": "Berlin", "name": "Lab"}]),
            "xy.json: declaration.laboratories.0.country: String should match pattern",
        ),
        (
            _declared(laboratories=[{"country": "DE", "city": "", "name": "Lab"}]),
            "xy.json: declaration.laboratories.0.city: String should have at least 1 character",
        ),
        (
            _declared(auto_approve={"max_risk": "none"}),
            "xy.json: declaration.auto_approve.max_risk: Input should be 'low', 'medium' or 'high'",
        ),
        (
            _declared(auto_approve={}),
            "xy.json: declaration.auto_approve.max_risk: Field required",
        ),
        (
            _declared(vaccination="required"),
            "xy.json: declaration.vaccination: Extra inputs are not permitted",
        ),
        (
            {
                "country": "XY",
                "version": "1.0.0",
                "origin_risk": {"countries": {"XB": "medium"}, "set_on": {"XB": "01.06.2026"}},
            },
            "xy.json: origin_risk.set_on.XB: Input should be a valid date",
        ),
        (
            {
                "country": "XY",
                "version": "1.0.0",
                "origin_risk": {"countries": {"XB": "medium"}, "set_on": {"XA": "2026-06-01"}},
            },
            "xy.json: origin_risk: Value error, set_on.XA: XA has no risk level in countries",
        ),
    ],
)
def test_a_malformed_declaration_section_is_refused_naming_file_and_field(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(document, "xy.json")
    assert message in str(caught.value)


def test_a_malformed_declaration_in_a_later_layer_refuses_the_whole_set(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "policies").mkdir(parents=True)
    bad = _declared(tests=[{"kind": "naat", "max_age_hours": -1}])
    bad["country"] = "CN"
    (home / "policies" / "cn.json").write_text(json.dumps(bad), "utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policies(home=home)
    assert str(caught.value).endswith(
        "cn.json: declaration.tests.0.max_age_hours: Input should be greater than or equal to 1"
    )


def test_the_authority_updates_risk_levels_and_their_dates_in_a_later_layer(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    (home / "policies").mkdir(parents=True)
    updated = {
        "country": "CN",
        "version": "1.1.0",
        "origin_risk": {
            "countries": {"XA": "medium", "DE": "high"},
            "set_on": {"XA": "2026-11-01", "DE": "2026-11-15"},
        },
        "requirements": {"high": {"en": "Quarantine.", "zh": "隔离。"}},
        "declaration": {"tests": [{"kind": "rapid_antigen", "max_age_hours": 24}]},
    }
    (home / "policies" / "cn.json").write_text(json.dumps(updated), "utf-8")
    cn = load_policies(home=home).get("CN")
    assert cn is not None and cn.version == "1.1.0"
    assert (cn.risk_of("XA"), cn.risk_set_date("XA")) == ("medium", date(2026, 11, 1))
    assert (cn.risk_of("de"), cn.risk_set_date("de")) == ("high", date(2026, 11, 15))
    # The later file replaces the whole policy: no listed laboratories, no transit tests remain.
    assert cn.declaration is not None
    assert cn.declaration.tests == (TestRequirement("rapid_antigen", 24),)
    assert cn.declaration.laboratories == () and cn.declaration.transit_tests == ()
