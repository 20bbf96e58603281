"""The entry verdict on real certificates: green, yellow and red, and what the report says."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from healthcert.report import Report
from healthcert.rules.policy import Policies, load_policies, parse_policy
from healthcert.rules.verdict import (
    CERTIFICATE_INVALID,
    NO_RULES,
    ORIGIN_HIGH_RISK,
    RULE_FAILED,
    RULE_OPEN,
    Journey,
    Verdict,
    judge,
)
from healthcert.trust.revocation import UCI, DccRevocations, revocation_hash
from healthcert.trust.store import TrustStore
from healthcert.verification import context, verify_payload

from .certs import CLOCK, DETECTED, IGG, Issuer, lab_test, make_issuer, vaccination


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return make_issuer("DE")


@pytest.fixture(scope="module")
def shipped() -> Policies:
    return load_policies(home=Path("/nonexistent"))


def verdict_of(
    report: Report,
    policies: Policies,
    destination: str = "CN",
    origin: str | None = "DE",
    language: str = "en",
) -> Verdict:
    return judge(report, policies, Journey(destination, origin), clock=CLOCK, language=language)


def codes(report: Report) -> list[str]:
    return [reason["code"] for reason in report.extra["verdict_reasons"]]


def _rule(identifier: str, logic: Any, certificate_type: str = "General") -> dict[str, Any]:
    return {
        "Identifier": identifier,
        "Type": "Invalidation" if identifier.startswith("IR") else "Acceptance",
        "Country": identifier[3:5],
        "Version": "1.0.0",
        "SchemaVersion": "1.3.0",
        "Engine": "CERTLOGIC",
        "EngineVersion": "1.3.2",
        "CertificateType": certificate_type,
        "Description": [{"lang": "en", "desc": f"rule {identifier}"}],
        "ValidFrom": "2026-01-01T00:00:00Z",
        "ValidTo": "2030-01-01T00:00:00Z",
        "AffectedFields": ["v.0"],
        "Logic": logic,
    }


def _policies(*documents: dict[str, Any]) -> Policies:
    return Policies(parse_policy(document, f"{document['country']}.json") for document in documents)


def test_green_a_valid_certificate_that_passes_every_rule(
    issuer: Issuer, shipped: Policies
) -> None:
    report = issuer.verify(issuer.issue(vaccination()))
    assert verdict_of(report, shipped) is Verdict.GREEN
    document = json.loads(report.json_line())
    assert document["valid"] is True
    assert document["checks"]["rules"] is True
    assert list(document["checks"])[-1] == "rules"
    assert document["verdict"] == "green" and document["verdict_reasons"] == []
    assert document["destination"] == {
        "country": "CN",
        "origin": "DE",
        "origin_risk": "low",
        "requirement": None,
        "policy_version": "1.0.0",
    }
    first = document["rules"][0]
    assert first == {
        "id": "GR-CN-0001",
        "type": "Acceptance",
        "result": "passed",
        "description": "The certificate is for COVID-19.",
    }
    assert [rule["id"] for rule in document["rules"]] == [
        "GR-CN-0001",
        "GR-CN-0002",
        "VR-CN-0001",
        "VR-CN-0002",
        "VR-CN-0003",
    ]
    assert document["errors"] == []


def test_a_verdict_is_only_in_reports_that_asked_for_one(issuer: Issuer) -> None:
    document = issuer.verify(issuer.issue(vaccination())).to_dict()
    assert "rules" not in document["checks"]
    assert not {"verdict", "verdict_reasons", "rules", "destination"} & set(document)
    assert document["iat"] == "2026-11-20T07:00:00Z"
    assert document["exp"] == "2026-12-20T07:00:00Z"


def test_green_with_a_medium_risk_origin_shows_what_it_requires(
    issuer: Issuer, shipped: Policies
) -> None:
    report = issuer.verify(issuer.issue(vaccination()))
    assert verdict_of(report, shipped, origin="XB", language="zh") is Verdict.GREEN
    destination = report.extra["destination"]
    assert destination["origin_risk"] == "medium"
    assert destination["requirement"] == "出发前须填写健康申报。"


def test_yellow_for_a_high_risk_origin_with_the_policys_action(
    issuer: Issuer, shipped: Policies
) -> None:
    report = issuer.verify(issuer.issue(vaccination()))
    assert verdict_of(report, shipped, origin="XA", language="zh") is Verdict.YELLOW
    assert report.checks["rules"] is True and report.valid
    (reason,) = report.extra["verdict_reasons"]
    assert reason["code"] == ORIGIN_HIGH_RISK
    assert "XA" in reason["message"]
    assert "入境后须加做一次核酸检测，并在指定场所隔离7天。" in reason["message"]
    assert report.extra["rules"][0]["description"] == "证书针对的疾病须为新冠肺炎（COVID-19）。"


def test_yellow_when_the_destination_has_no_policy(issuer: Issuer, shipped: Policies) -> None:
    report = issuer.verify(issuer.issue(vaccination()))
    assert verdict_of(report, shipped, destination="JP") is Verdict.YELLOW
    assert codes(report) == [NO_RULES]
    assert report.checks["rules"] is None and report.extra["rules"] == []
    assert report.extra["destination"]["policy_version"] is None
    assert report.extra["destination"]["origin_risk"] is None


def test_yellow_when_no_rule_covers_the_certificate_type(issuer: Issuer) -> None:
    only_vaccination = {
        "country": "XY",
        "version": "1.0.0",
        "rules": [_rule("VR-XY-0001", {"===": [1, 1]}, "Vaccination")],
    }
    policies = _policies(only_vaccination)
    report = issuer.verify(issuer.issue(lab_test()))
    assert verdict_of(report, policies, destination="XY") is Verdict.YELLOW
    assert codes(report) == [NO_RULES]
    assert (
        "XY has no entry rules for this certificate"
        in report.extra["verdict_reasons"][0]["message"]
    )


def test_yellow_when_a_rule_cannot_be_evaluated(issuer: Issuer) -> None:
    # "<" on the manufacturer's code (a string) has no CertLogic value: the rule is open.
    policy = {
        "country": "XY",
        "version": "1.0.0",
        "rules": [
            _rule("GR-XY-0001", {"<": [{"var": "payload.v.0.ma"}, 3]}),
            _rule("GR-XY-0002", {"===": [1, 1]}),
        ],
    }
    report = issuer.verify(issuer.issue(vaccination()))
    assert verdict_of(report, _policies(policy), destination="XY") is Verdict.YELLOW
    assert codes(report) == [RULE_OPEN]
    assert report.extra["verdict_reasons"][0]["message"].startswith(
        "rule GR-XY-0001 could not be evaluated: "
    )
    assert [rule["result"] for rule in report.extra["rules"]] == ["open", "passed"]
    assert report.checks["rules"] is None


def test_red_when_a_rule_fails_and_valid_keeps_its_meaning(
    issuer: Issuer, shipped: Policies
) -> None:
    report = issuer.verify(issuer.issue(lab_test(hours_before=60)))
    assert verdict_of(report, shipped, origin="XA") is Verdict.RED
    assert report.valid and report.errors == []
    assert report.checks["rules"] is False
    assert codes(report) == [RULE_FAILED, ORIGIN_HIGH_RISK]
    assert report.extra["verdict_reasons"][0]["message"] == (
        "rule TR-CN-0003 failed: The nucleic acid (PCR) test sample was taken at most 48 hours "
        "before the check, and not after it."
    )
    assert report.to_dict()["valid"] is True


def test_red_for_a_certificate_signed_by_an_untrusted_key(
    issuer: Issuer, shipped: Policies
) -> None:
    payload = issuer.issue(vaccination())
    report = verify_payload(payload, context(TrustStore(), CLOCK))
    assert verdict_of(report, shipped) is Verdict.RED
    assert codes(report) == [CERTIFICATE_INVALID]
    assert "KID_UNKNOWN" in report.extra["verdict_reasons"][0]["message"]
    # The rules still ran, so the operator sees every problem at once.
    assert report.checks["rules"] is True


def test_red_for_an_expired_certificate(issuer: Issuer, shipped: Policies) -> None:
    payload = issuer.issue(lab_test(test_type=IGG, result=DETECTED), valid_days=1)
    later = CLOCK + timedelta(days=2)
    report = issuer.verify(payload, later)
    assert judge(report, shipped, Journey("CN"), clock=later) is Verdict.RED
    assert codes(report) == [CERTIFICATE_INVALID]
    assert report.extra["verdict_reasons"][0]["message"] == "the certificate is not valid (EXPIRED)"
    assert report.checks["rules"] is True  # the IgG result is still recent enough for CN


def test_red_for_a_revoked_certificate(issuer: Issuer, shipped: Policies) -> None:
    entry = vaccination()
    payload = issuer.issue(entry)
    revoked = DccRevocations.of([(UCI, revocation_hash(entry["certificate_id"].encode()))])
    report = verify_payload(payload, context(issuer.trust, CLOCK, dcc_revocations=revoked))
    assert report.has_error("REVOKED")
    assert verdict_of(report, shipped) is Verdict.RED
    assert "REVOKED" in report.extra["verdict_reasons"][0]["message"]


def test_red_without_rules_for_what_does_not_decode(shipped: Policies) -> None:
    report = verify_payload("HC1:not base45!", context(TrustStore(), CLOCK))
    assert verdict_of(report, shipped) is Verdict.RED
    assert codes(report) == [CERTIFICATE_INVALID]
    assert report.checks["rules"] is None and report.extra["rules"] == []


def test_a_genuine_certificate_the_model_cannot_hold_is_open(shipped: Policies) -> None:
    report = Report(input="HC1:...", format="eu-dcc")
    for check in ("decode", "signature", "validity_period"):
        report.passed(check)
    assert report.valid and report.certificate is None
    assert verdict_of(report, shipped) is Verdict.YELLOW
    assert codes(report) == [RULE_OPEN]


def test_invalidation_rules_of_the_issuing_country_apply(issuer: Issuer) -> None:
    # DE invalidates its own certificates of one UVCI issuer ("DE" is fragment 1 of our UCIs).
    recall = {"!": [{"===": [{"extractFromUVCI": [{"var": "payload.v.0.ci"}, 1]}, "DE"]}]}
    de = {"country": "DE", "version": "1.0.0", "rules": [_rule("IR-DE-0001", recall)]}
    cn = {"country": "CN", "version": "1.0.0", "rules": [_rule("GR-CN-0001", {"===": [1, 1]})]}
    policies = _policies(de, cn)
    report = issuer.verify(issuer.issue(vaccination()))
    assert verdict_of(report, policies) is Verdict.RED
    assert [(rule["id"], rule["result"]) for rule in report.extra["rules"]] == [
        ("GR-CN-0001", "passed"),
        ("IR-DE-0001", "failed"),
    ]
    china = make_issuer("CN")
    report = china.verify(china.issue(vaccination(country="CN")))
    assert verdict_of(report, policies) is Verdict.GREEN
    assert [rule["id"] for rule in report.extra["rules"]] == ["GR-CN-0001"]


def test_rules_see_kid_iat_exp_and_the_destination(issuer: Issuer) -> None:
    report = issuer.verify(issuer.issue(vaccination(), valid_days=30))
    kid = report.issuer["kid"]
    thirty_days = {
        "not-after": [
            {"plusTime": [{"var": "external.exp"}, 0, "day"]},
            {"plusTime": [{"var": "external.iat"}, 30, "day"]},
        ]
    }
    rules = [
        _rule("GR-XY-0001", {"===": [{"var": "external.kid"}, kid]}),
        _rule("GR-XY-0002", thirty_days),
        _rule("GR-XY-0003", {"===": [{"var": "external.countryCode"}, "XY"]}),
        _rule("GR-XY-0004", {"===": [{"var": "payload.nam.fnt"}, "WANG"]}),
    ]
    policies = _policies({"country": "XY", "version": "1.0.0", "rules": rules})
    assert verdict_of(report, policies, destination="XY") is Verdict.GREEN, report.extra


def test_a_language_without_texts_falls_back_to_english(issuer: Issuer, shipped: Policies) -> None:
    report = issuer.verify(issuer.issue(vaccination(days_before=3)))
    assert verdict_of(report, shipped, language="fr") is Verdict.RED
    message = report.extra["verdict_reasons"][0]["message"]
    assert message == "rule VR-CN-0003 failed: At least 14 days have passed since the last dose."


def test_journey_codes_are_upper_case() -> None:
    assert Journey(" cn", "xa", "bw") == Journey("CN", "XA", "BW")


def test_judging_twice_gives_the_same_report(issuer: Issuer, shipped: Policies) -> None:
    report = issuer.verify(issuer.issue(vaccination()))
    verdict_of(report, shipped, origin="XA")
    first = copy.deepcopy(report.to_dict())
    verdict_of(report, shipped, origin="XA")
    assert report.to_dict() == first
