"""The rules countries published on the gateway, as the last sync kept them, are the rules a
verifier judges by: they replace a policy's copy, and a country without a policy gets one."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from healthcert.rules.policy import PolicyError, load_policies, read_policy_file, shipped_policies
from healthcert.rules.verdict import Journey, judge
from healthcert.trust.synced import RULES_FILE, sync_dir

from .certs import CLOCK, make_issuer, vaccination


def _shipped_rule(country: str) -> dict[str, Any]:
    document = json.loads(shipped_policies().joinpath(f"{country}.json").read_text())
    return copy.deepcopy(document["rules"][0])


def _refusing_rule(country: str, identifier: str, version: str = "1.0.0") -> dict[str, Any]:
    """A country's acceptance rule that no certificate passes (its Logic is 1 === 2)."""
    rule = _shipped_rule("DE")
    rule.update(Identifier=identifier, Country=country, Version=version, Logic={"===": [1, 2]})
    rule["Description"] = [{"lang": "en", "desc": "Entry is closed."}]
    return rule


def _synced(home: Path, rules: object) -> Path:
    folder = sync_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / RULES_FILE
    path.write_text(json.dumps(rules))
    return path


def _failed(home: Path, destination: str) -> set[str]:
    issuer = make_issuer("SG")
    report = issuer.verify(issuer.issue(vaccination()))
    assert report.valid, report.error_codes
    judge(report, load_policies(home=home), Journey(destination), clock=CLOCK)
    return {rule["id"] for rule in report.extra["rules"] if rule["result"] == "failed"}


def test_synced_rules_replace_the_policy_copy_and_keep_its_origin_risks(tmp_path: Path) -> None:
    shipped = read_policy_file(shipped_policies().joinpath("DE.json"))
    assert _failed(tmp_path, "DE") == set()
    _synced(tmp_path, {"DE": [_refusing_rule("DE", "GR-DE-0900")]})
    policy = load_policies(home=tmp_path).get("DE")
    assert policy is not None
    assert [rule.identifier for rule in policy.rules] == ["GR-DE-0900"]
    assert policy.origin_risk == shipped.origin_risk
    assert policy.source.endswith(f"DE.json + {sync_dir(tmp_path) / RULES_FILE}")
    assert _failed(tmp_path, "DE") == {"GR-DE-0900"}


def test_a_country_with_synced_rules_and_no_policy_gets_one(tmp_path: Path) -> None:
    assert load_policies(home=tmp_path).get("FR") is None
    _synced(tmp_path, {"FR": [_refusing_rule("FR", "GR-FR-0001")]})
    policy = load_policies(home=tmp_path).get("FR")
    assert policy is not None and policy.version == "gateway"
    assert policy.origin_risk == {} and policy.requirements == {}
    assert _failed(tmp_path, "FR") == {"GR-FR-0001"}


def test_the_version_valid_at_the_clock_is_the_one_run(tmp_path: Path) -> None:
    older = _shipped_rule("DE") | {"Identifier": "GR-DE-0901", "Version": "1.0.0"}
    newer = _refusing_rule("DE", "GR-DE-0901", version="1.1.0")
    newer["ValidFrom"] = (CLOCK.replace(year=CLOCK.year + 1)).isoformat()
    _synced(tmp_path, {"DE": [older, newer]})
    assert _failed(tmp_path, "DE") == set()


def test_an_explicit_policy_directory_still_has_the_last_word(tmp_path: Path) -> None:
    _synced(tmp_path, {"DE": [_refusing_rule("DE", "GR-DE-0900")]})
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    (chosen / "DE.json").write_text(shipped_policies().joinpath("DE.json").read_text())
    policy = load_policies(chosen, home=tmp_path).get("DE")
    assert policy is not None and "GR-DE-0900" not in {rule.identifier for rule in policy.rules}


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        ([1, 2], "not an object of countries"),
        ({"DE": {"rule": 1}}, "DE: not a list of rules"),
        ({"DE": [{"Identifier": "GR-DE-0001"}]}, "DE: "),
        ({"DE": [_refusing_rule("FR", "GR-FR-0002")]}, "Country is FR, not DE"),
    ],
)
def test_damaged_synced_rules_are_refused_not_ignored(
    tmp_path: Path, rules: object, problem: str
) -> None:
    path = _synced(tmp_path, rules)
    with pytest.raises(PolicyError, match=problem) as raised:
        load_policies(home=tmp_path)
    assert str(path) in str(raised.value)


def test_unreadable_synced_rules_name_the_file(tmp_path: Path) -> None:
    path = _synced(tmp_path, {})
    path.write_text("{not json")
    with pytest.raises(PolicyError, match="cannot read the synced trust data"):
        load_policies(home=tmp_path)


def test_no_sync_changes_nothing(tmp_path: Path) -> None:
    shipped = load_policies(home=tmp_path / "none")
    assert load_policies(home=tmp_path).countries() == shipped.countries()
