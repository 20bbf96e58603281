"""Rule documents: accepted ones become typed rules, bad ones are refused with a RuleError
that names the rule and the problem."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from healthcert.errors import HealthcertError
from healthcert.model.kinds import EntryKind
from healthcert.rules.rule import MAX_RULES_JSON_BYTES
from healthcert.rules.ruleset import (
    CertificateType,
    Description,
    RuleError,
    RuleType,
    load_rules_json,
    parse_rule,
    parse_rules,
    semver_key,
)


def test_a_valid_rule_becomes_a_typed_rule(rule_doc: Any) -> None:
    document = rule_doc("VR-DE-0001", Region="BW", AffectedFields=["v.0", "v.0.dt"])
    rule = parse_rule(document)
    assert rule.identifier == "VR-DE-0001"
    assert rule.type is RuleType.ACCEPTANCE
    assert rule.country == "DE"
    assert rule.region == "BW"
    assert rule.version == "1.0.0"
    assert rule.version_key == (1, 0, 0)
    assert rule.schema_version == "1.3.0"
    assert rule.engine == "CERTLOGIC"
    assert rule.engine_version == "1.3.2"
    assert rule.certificate_type is CertificateType.VACCINATION
    assert rule.descriptions[0] == Description("en", "English description of VR-DE-0001")
    assert rule.valid_from == datetime(2021, 6, 1, tzinfo=UTC)
    assert rule.valid_to == datetime(2030, 6, 1, tzinfo=UTC)
    assert rule.affected_fields == ("v.0", "v.0.dt")
    assert rule.logic == {"===": [1, 1]}
    assert rule.document == document
    assert rule.evaluate({}) is True
    document["Logic"]["==="][1] = 2  # the rule keeps its own copy
    assert rule.logic == {"===": [1, 1]}
    assert rule.evaluate({}) is True


def test_descriptions_fall_back_to_english_then_to_the_first(rule_doc: Any) -> None:
    rule = parse_rule(rule_doc())
    assert rule.description("de") == "Deutsche Beschreibung von VR-DE-0001"
    assert rule.description("fr") == "English description of VR-DE-0001"
    only_german = parse_rule(rule_doc(Description=[{"lang": "de", "desc": "Nur Deutsch"}]))
    assert only_german.description("fr") == "Nur Deutsch"


def test_empty_region_and_distribution_hash_are_accepted(rule_doc: Any) -> None:
    rule = parse_rule(rule_doc(Region="", hash="0fd533ce"))
    assert rule.region is None


def test_certificate_type_of_each_entry_kind() -> None:
    assert CertificateType.of(EntryKind.VACCINATION) is CertificateType.VACCINATION
    assert CertificateType.of(EntryKind.TEST) is CertificateType.TEST
    assert CertificateType.of(EntryKind.RECOVERY) is CertificateType.RECOVERY


def test_semver_orders_numerically() -> None:
    assert semver_key("1.10.0") > semver_key("1.9.9")
    assert sorted(["1.0.10", "1.0.9", "0.99.0"], key=semver_key) == ["0.99.0", "1.0.9", "1.0.10"]


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"Engine": "JSONLOGIC"}, "Engine is 'JSONLOGIC': only CERTLOGIC is supported"),
        ({"Logic": {"or": [True]}}, 'Logic is not valid CertLogic: unrecognised operator: "or"'),
        ({"Logic": {"if": [True, False]}}, 'operator "if" takes exactly 3 operand(s), but has 2'),
        ({"Logic": {"!": [True, False]}}, 'operator "!" takes exactly 1 operand(s), but has 2'),
        ({"Logic": {"plusTime": ["2021", 1, "week"]}}, '"plusTime" unit must be one of'),
        ({"Logic": {"var": "x."}}, "data access path doesn't have a valid format: x."),
        ({"Logic": {"and": [True, None]}}, "invalid CertLogic expression"),
        ({"Logic": True}, "does not match the rule schema: Logic must be object"),
        ({"Logic": {}}, "does not match the rule schema: Logic must contain at least 1 properties"),
        ({"Type": "Entry"}, "does not match the rule schema: Type must be one of"),
        ({"CertificateType": "Antibody"}, "CertificateType must be one of"),
        ({"Country": "de"}, "Country must match pattern"),
        ({"Version": "1.0"}, "Version must match pattern"),
        ({"Version": "01.0.0"}, "Version must match pattern"),
        ({"Description": []}, "Description must contain at least 1 items"),
        ({"Description": [{"lang": "en"}]}, "Description[0] must contain ['desc'] properties"),
        ({"ValidFrom": "2021-06-01"}, "ValidFrom must match pattern"),
        ({"ValidTo": "2021-06-01T00:00:00"}, "ValidTo must match pattern"),
        ({"ValidTo": "2021-05-31T23:59:59Z"}, "ValidTo is not after ValidFrom"),
        ({"ValidFrom": "2021-02-30T00:00:00Z"}, "ValidFrom is not a valid date-time"),
        ({"AffectedFields": []}, "AffectedFields must contain at least 1 items"),
        ({"Engine": ...}, "rule must contain"),
        ({"Color": "blue"}, "rule must not contain {'Color'} properties"),
        ({"Country": "FR"}, "Identifier names country DE but Country is FR"),
        ({"Type": "Invalidation"}, "must have an Identifier starting with IR-"),
        ({"CertificateType": "Test"}, "must have an Identifier starting with TR-"),
    ],
)
def test_bad_rules_are_refused_naming_rule_and_problem(
    rule_doc: Any, overrides: dict[str, Any], problem: str
) -> None:
    with pytest.raises(RuleError) as raised:
        parse_rule(rule_doc("VR-DE-0001", **overrides))
    assert raised.value.identifier == "VR-DE-0001"
    assert problem in raised.value.problem
    assert str(raised.value).startswith("rule VR-DE-0001: ")
    assert isinstance(raised.value, HealthcertError)


def test_deeply_nested_logic_is_refused_without_exhausting_the_stack(rule_doc: Any) -> None:
    logic: Any = True
    for _ in range(5000):
        logic = {"!": [logic]}
    with pytest.raises(RuleError, match=r"rule VR-DE-0001: .*nested deeper than"):
        parse_rule(rule_doc("VR-DE-0001", Logic={"!": [True]}) | {"Logic": logic})


def test_a_malformed_identifier_is_named_with_the_schema_problem(rule_doc: Any) -> None:
    with pytest.raises(RuleError, match=r"rule VR-DE-1: .*Identifier must match pattern"):
        parse_rule(rule_doc("VR-DE-0001", Identifier="VR-DE-1"))


@pytest.mark.parametrize("document", [None, [], "VR-DE-0001", {"Identifier": 5}])
def test_documents_without_an_identifier_are_refused(document: Any) -> None:
    with pytest.raises(RuleError, match="rule without a usable Identifier: "):
        parse_rule(document)


def test_invalidation_rules_may_concern_any_certificate_type(rule_doc: Any) -> None:
    rule = parse_rule(rule_doc("IR-DE-0001", CertificateType="Vaccination"))
    assert rule.type is RuleType.INVALIDATION
    assert rule.certificate_type is CertificateType.VACCINATION


def test_one_bad_rule_refuses_the_list(rule_doc: Any) -> None:
    documents = [rule_doc("VR-DE-0001"), rule_doc("VR-DE-0002", Logic={"nope": []})]
    with pytest.raises(RuleError, match=r'rule VR-DE-0002: .*unrecognised operator: "nope"'):
        parse_rules(documents)


def test_same_version_twice(rule_doc: Any) -> None:
    same = [rule_doc("VR-DE-0001"), rule_doc("VR-DE-0001")]
    assert len(parse_rules(same)) == 1
    conflicting = [rule_doc("VR-DE-0001"), rule_doc("VR-DE-0001", Logic={"===": [1, 2]})]
    with pytest.raises(RuleError, match="rule VR-DE-0001: two different rules share Version"):
        parse_rules(conflicting)


def test_load_rules_json(rule_doc: Any) -> None:
    documents = [rule_doc("VR-DE-0001"), rule_doc("IR-DE-0001")]
    rules = load_rules_json(json.dumps(documents).encode())
    assert [rule.identifier for rule in rules] == ["VR-DE-0001", "IR-DE-0001"]
    assert len(load_rules_json(json.dumps(documents[0]))) == 1


def test_load_rules_json_refuses_non_json_and_oversized_input() -> None:
    with pytest.raises(RuleError, match="rule list is not JSON"):
        load_rules_json("[{")
    with pytest.raises(RuleError, match="larger than"):
        load_rules_json(b" " * (MAX_RULES_JSON_BYTES + 1))
