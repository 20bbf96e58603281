"""Rule selection as the EU verifier apps do it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from healthcert.model.kinds import EntryKind
from healthcert.rules.ruleset import Rule, RuleError, parse_rules, select_rules

CLOCK = datetime(2022, 1, 15, 12, 0, tzinfo=UTC)


def select(
    rules: Iterable[Rule],
    *,
    kind: EntryKind = EntryKind.VACCINATION,
    arrival: str = "DE",
    issuing: str = "FR",
    clock: datetime = CLOCK,
    region: str | None = None,
) -> list[tuple[str, str]]:
    chosen = select_rules(
        rules,
        kind=kind,
        arrival_country=arrival,
        issuing_country=issuing,
        validation_clock=clock,
        region=region,
    )
    return [(rule.identifier, rule.version) for rule in chosen]


def test_acceptance_of_arrival_and_invalidation_of_issuing_country(rule_doc: Any) -> None:
    rules = parse_rules(
        rule_doc(identifier)
        for identifier in ("VR-DE-0001", "VR-FR-0001", "IR-DE-0001", "IR-FR-0001", "GR-IT-0001")
    )
    assert select(rules, arrival="DE", issuing="FR") == [
        ("IR-FR-0001", "1.0.0"),
        ("VR-DE-0001", "1.0.0"),
    ]
    assert select(rules, arrival="FR", issuing="DE") == [
        ("IR-DE-0001", "1.0.0"),
        ("VR-FR-0001", "1.0.0"),
    ]
    # Travelling home: the country's acceptance and its own invalidation rules.
    assert select(rules, arrival="de", issuing="de") == [
        ("IR-DE-0001", "1.0.0"),
        ("VR-DE-0001", "1.0.0"),
    ]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (EntryKind.VACCINATION, ["GR-DE-0001", "IR-FR-0001", "VR-DE-0001"]),
        (EntryKind.TEST, ["GR-DE-0001", "IR-FR-0001", "TR-DE-0001"]),
        (EntryKind.RECOVERY, ["GR-DE-0001", "IR-FR-0001", "RR-DE-0001"]),
    ],
)
def test_general_rules_and_those_of_the_certificate_type(
    rule_doc: Any, kind: EntryKind, expected: list[str]
) -> None:
    rules = parse_rules(
        [
            *(rule_doc(f"{prefix}-DE-0001") for prefix in ("GR", "VR", "TR", "RR")),
            rule_doc("IR-FR-0001"),
            rule_doc("IR-FR-0002", CertificateType="Test"),
        ]
    )
    if kind is EntryKind.TEST:
        expected = sorted([*expected, "IR-FR-0002"])
    assert [identifier for identifier, _ in select(rules, kind=kind)] == expected


def test_highest_version_wins_compared_as_semantic_versions(rule_doc: Any) -> None:
    rules = parse_rules(
        rule_doc("VR-DE-0001", Version=version) for version in ("1.0.0", "1.9.0", "1.10.0")
    )
    assert select(rules) == [("VR-DE-0001", "1.10.0")]


def test_validity_window_comes_before_the_version(rule_doc: Any) -> None:
    rules = parse_rules(
        [
            rule_doc("VR-DE-0001", Version="1.0.0", ValidFrom="2021-06-01T00:00:00Z"),
            rule_doc("VR-DE-0001", Version="2.0.0", ValidFrom="2022-02-01T00:00:00+01:00"),
            rule_doc(
                "VR-DE-0002", ValidFrom="2021-06-01T00:00:00Z", ValidTo="2021-12-31T23:59:59Z"
            ),
        ]
    )
    assert select(rules) == [("VR-DE-0001", "1.0.0")]
    # ValidFrom is inclusive: 2022-02-01T00:00+01:00 is 2022-01-31T23:00Z.
    switch = datetime(2022, 1, 31, 23, 0, tzinfo=UTC)
    assert select(rules, clock=switch - timedelta(milliseconds=1)) == [("VR-DE-0001", "1.0.0")]
    assert select(rules, clock=switch) == [("VR-DE-0001", "2.0.0")]
    # ValidTo is inclusive too.
    end = datetime(2021, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert ("VR-DE-0002", "1.0.0") in select(rules, clock=end)
    assert ("VR-DE-0002", "1.0.0") not in select(rules, clock=end + timedelta(seconds=1))
    # Before any ValidFrom, nothing applies.
    assert select(rules, clock=datetime(2021, 5, 31, tzinfo=UTC)) == []


def test_the_clock_may_be_in_any_time_zone(rule_doc: Any) -> None:
    rules = parse_rules([rule_doc("VR-DE-0001", ValidFrom="2022-01-15T12:00:00Z")])
    plus_two = timezone(timedelta(hours=2))
    assert select(rules, clock=datetime(2022, 1, 15, 14, 0, tzinfo=plus_two)) != []
    assert select(rules, clock=datetime(2022, 1, 15, 13, 59, tzinfo=plus_two)) == []


def test_regions(rule_doc: Any) -> None:
    rules = parse_rules(
        [
            rule_doc("VR-AT-0001", Region="ET"),
            rule_doc("VR-AT-0002"),
            rule_doc("VR-AT-0003", Region="W"),
            rule_doc("IR-FR-0001", Region="ET"),  # invalidation rules ignore regions
        ]
    )
    assert select(rules, arrival="AT") == [("IR-FR-0001", "1.0.0"), ("VR-AT-0002", "1.0.0")]
    assert select(rules, arrival="AT", region="ET") == [
        ("IR-FR-0001", "1.0.0"),
        ("VR-AT-0001", "1.0.0"),
        ("VR-AT-0002", "1.0.0"),
    ]
    assert select(rules, arrival="AT", region="w") == [
        ("IR-FR-0001", "1.0.0"),
        ("VR-AT-0002", "1.0.0"),
        ("VR-AT-0003", "1.0.0"),
    ]


def test_a_naive_clock_is_refused(rule_doc: Any) -> None:
    with pytest.raises(RuleError, match="time zone"):
        select(parse_rules([rule_doc()]), clock=datetime(2022, 1, 15))
