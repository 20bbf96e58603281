"""Building the data a rule sees and running rules: passed, failed, open."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from healthcert.model.kinds import EntryKind
from healthcert.rules.ruleset import (
    RuleError,
    RuleOutcome,
    RuleResult,
    RuleType,
    build_rule_data,
    parse_rule,
    parse_rules,
    run_rules,
    select_rules,
)


def data_at(payload: dict[str, Any], clock: datetime, value_sets: Any) -> dict[str, Any]:
    return build_rule_data(
        payload, validation_clock=clock, value_sets=value_sets, country_code="DE"
    )


def test_build_rule_data(vaccination_payload: dict[str, Any], value_sets: Any) -> None:
    clock = datetime(2021, 9, 1, 14, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    data = build_rule_data(
        vaccination_payload,
        validation_clock=clock,
        value_sets={"disease-agent-targeted": ("840539006",), "empty": {}},
        country_code="de",
        exp=1661990400,
        iat=datetime(2021, 6, 2, tzinfo=UTC),
        kid=bytes.fromhex("d919375fc1e7b6b2"),
    )
    assert data == {
        "payload": vaccination_payload,
        "external": {
            "validationClock": "2021-09-01T14:30:05.123+02:00",
            "valueSets": {"disease-agent-targeted": ["840539006"], "empty": []},
            "countryCode": "DE",
            "exp": "2022-09-01T00:00:00+00:00",
            "iat": "2021-06-02T00:00:00+00:00",
            "kid": "2Rk3X8HntrI=",
        },
    }
    assert (
        build_rule_data({}, validation_clock=clock, value_sets={}, country_code="DE")["external"][
            "exp"
        ]
        is None
    )


def test_build_rule_data_refuses_a_string_as_value_set() -> None:
    clock = datetime(2021, 1, 1, tzinfo=UTC)
    with pytest.raises(RuleError, match="'country-2-codes' must be a collection"):
        build_rule_data(
            {}, validation_clock=clock, value_sets={"country-2-codes": "DE"}, country_code="DE"
        )


def test_build_rule_data_refuses_naive_times() -> None:
    with pytest.raises(RuleError, match="time zone"):
        build_rule_data({}, validation_clock=datetime(2021, 1, 1), value_sets={}, country_code="DE")
    with pytest.raises(RuleError, match="exp must carry a time zone"):
        build_rule_data(
            {},
            validation_clock=datetime(2021, 1, 1, tzinfo=UTC),
            value_sets={},
            country_code="DE",
            exp=datetime(2022, 1, 1),
        )


@pytest.mark.parametrize(
    ("days_after_last_dose", "hour", "result"),
    [
        (13, 23, RuleResult.FAILED),
        (14, 0, RuleResult.PASSED),
        (200, 10, RuleResult.PASSED),
        (270, 0, RuleResult.PASSED),
        # plusTime keeps the clock's time of day: 10:00 on day 270 is past day 270 at 00:00.
        (270, 10, RuleResult.FAILED),
        (271, 0, RuleResult.FAILED),
    ],
)
def test_typical_vaccination_rule(
    rule_doc: Any,
    vaccination_logic: Any,
    vaccination_payload: dict[str, Any],
    value_sets: Any,
    days_after_last_dose: int,
    hour: int,
    result: RuleResult,
) -> None:
    rule = parse_rule(rule_doc("VR-DE-0001", Logic=vaccination_logic))
    day = date(2021, 6, 1) + timedelta(days=days_after_last_dose)
    clock = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    (outcome,) = run_rules([rule], data_at(vaccination_payload, clock, value_sets))
    assert outcome.result is result


@pytest.mark.parametrize(
    ("change", "result"),
    [
        ({"mp": "Sputnik-V"}, RuleResult.FAILED),
        ({"dn": 1}, RuleResult.FAILED),
        ({"dn": 3}, RuleResult.PASSED),
        ({"dt": "2021-06-31"}, RuleResult.OPEN),  # not a date: no answer rather than a guess
        ({"dn": "2"}, RuleResult.OPEN),
    ],
)
def test_vaccination_rule_on_changed_entries(
    rule_doc: Any,
    vaccination_logic: Any,
    vaccination_payload: dict[str, Any],
    value_sets: Any,
    change: dict[str, Any],
    result: RuleResult,
) -> None:
    rule = parse_rule(rule_doc("VR-DE-0001", Logic=vaccination_logic))
    vaccination_payload["v"][0].update(change)
    clock = datetime(2021, 7, 1, tzinfo=UTC)
    (outcome,) = run_rules([rule], data_at(vaccination_payload, clock, value_sets))
    assert outcome.result is result
    assert (outcome.detail is None) is (result is not RuleResult.OPEN)


def test_vaccination_rule_passes_a_test_certificate(
    rule_doc: Any, vaccination_logic: Any, test_payload: dict[str, Any], value_sets: Any
) -> None:
    rule = parse_rule(rule_doc("VR-DE-0001", Logic=vaccination_logic))
    clock = datetime(2021, 6, 10, 12, tzinfo=UTC)
    (outcome,) = run_rules([rule], data_at(test_payload, clock, value_sets))
    assert outcome.result is RuleResult.PASSED


def test_outcomes_carry_rule_facts_and_localised_descriptions(
    rule_doc: Any, test_payload: dict[str, Any], value_sets: Any
) -> None:
    rules = parse_rules(
        [
            rule_doc("GR-DE-0001", Logic={"===": [{"var": "payload.ver"}, "1.3.0"]}),
            rule_doc("TR-DE-0001", Logic={"===": [{"var": "payload.t.0.tt"}, "LP217198-3"]}),
            rule_doc("IR-DE-0001", Logic={"plusTime": [{"var": "payload.v.0.dt"}, 0, "day"]}),
            rule_doc("RR-DE-0001", Logic={"var": "payload.t.0.tc"}),
        ]
    )
    data = data_at(test_payload, datetime(2021, 6, 10, 12, tzinfo=UTC), value_sets)
    outcomes = run_rules(rules, data, language="de")
    assert [(o.identifier, o.result) for o in outcomes] == [
        ("GR-DE-0001", RuleResult.PASSED),
        ("TR-DE-0001", RuleResult.FAILED),
        ("IR-DE-0001", RuleResult.OPEN),  # plusTime of null raises
        ("RR-DE-0001", RuleResult.OPEN),  # a string is not a boolean answer
    ]
    assert outcomes[0] == RuleOutcome(
        identifier="GR-DE-0001",
        type=RuleType.ACCEPTANCE,
        result=RuleResult.PASSED,
        description="Deutsche Beschreibung von GR-DE-0001",
        version="1.0.0",
        country="DE",
        certificate_type=rules[0].certificate_type,
        affected_fields=("v.0", "v.0.mp"),
    )
    assert outcomes[2].type is RuleType.INVALIDATION
    assert outcomes[2].detail is not None and "plusTime" in outcomes[2].detail
    assert outcomes[3].detail is not None and "Testzentrum" in outcomes[3].detail
    assert run_rules(rules[:1], data, language="fr")[0].description.startswith("English")


def test_minors_rule_with_date_of_birth(rule_doc: Any, value_sets: Any) -> None:
    """A GR rule that exempts minors, on a partial date of birth (1964-08 -> 1964-08-31)."""
    minor = {
        "after": [
            {"dccDateOfBirth": [{"var": "payload.dob"}]},
            {"plusTime": [{"var": "external.validationClock"}, -18, "year"]},
        ]
    }
    rule = parse_rule(rule_doc("GR-DE-0001", Logic=minor))
    payload = {"dob": "2004-08"}
    on_birthday = datetime(2022, 8, 31, tzinfo=UTC)
    (before,) = run_rules([rule], data_at(payload, on_birthday - timedelta(seconds=1), value_sets))
    (after,) = run_rules([rule], data_at(payload, on_birthday, value_sets))
    assert (before.result, after.result) == (RuleResult.PASSED, RuleResult.FAILED)


def test_select_build_run_end_to_end(
    rule_doc: Any,
    vaccination_logic: Any,
    vaccination_payload: dict[str, Any],
    value_sets: Any,
) -> None:
    rules = parse_rules(
        [
            rule_doc("VR-DE-0001", Logic=vaccination_logic, Version="1.0.0"),
            rule_doc("VR-DE-0001", Logic={"===": [1, 2]}, Version="0.9.0"),
            rule_doc("TR-DE-0001", Logic={"===": [1, 2]}),
            rule_doc(
                "IR-AT-0001",
                CertificateType="Vaccination",
                Logic={
                    "!": [
                        {
                            "in": [
                                {"extractFromUVCI": [{"var": "payload.v.0.ci"}, 2]},
                                ["10807843F94AEE0EE5093FBC254BD813"],
                            ]
                        }
                    ]
                },
            ),
        ]
    )
    clock = datetime(2021, 8, 1, 9, tzinfo=UTC)
    selected = select_rules(
        rules,
        kind=EntryKind.VACCINATION,
        arrival_country="DE",
        issuing_country="AT",
        validation_clock=clock,
    )
    outcomes = run_rules(selected, data_at(vaccination_payload, clock, value_sets))
    assert [(o.identifier, o.version, o.result) for o in outcomes] == [
        ("IR-AT-0001", "1.0.0", RuleResult.FAILED),  # this UVCI is blocked by its issuer
        ("VR-DE-0001", "1.0.0", RuleResult.PASSED),
    ]
