"""The declaration pre-check on real certificates (signed and verified by healthcert) against
the shipped CN policy: PCR plus IgG antibody, 48 hours, a listed laboratory in the departure
city, a new test in every transit country."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from healthcert.declarations.precheck import (
    DeclarationFacts,
    EvidenceFacts,
    PrecheckResult,
    TransitStop,
    precheck,
)
from healthcert.report import Report
from healthcert.rules.policy import Policy, load_policies, parse_policy

from ..rules.certs import CLOCK, DETECTED, IGG, PCR, Issuer, lab_test, make_issuer, vaccination

DEPARTURE = CLOCK + timedelta(hours=12)
BERLIN_LAB = "Example Laboratory Berlin"
FRANKFURT_LAB = "Example Laboratory Frankfurt"
SINGAPORE_LAB = "Example Laboratory Singapore"
IGA = "94562-6"


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return make_issuer("DE")


@pytest.fixture(scope="module")
def cn() -> Policy:
    policy = load_policies(home=Path("/nonexistent")).get("CN")
    assert policy is not None
    return policy


def trip(
    origin: str = "DE", city: str = "Berlin", departure: datetime = DEPARTURE, *via: TransitStop
) -> DeclarationFacts:
    return DeclarationFacts(origin, city, "CN", departure, tuple(via))


def test_entry(
    test_type: str = PCR,
    *,
    hours_before_departure: float = 24,
    centre: str = BERLIN_LAB,
    country: str = "DE",
    result: str | None = None,
    departure: datetime = DEPARTURE,
) -> dict[str, Any]:
    hours_before_clock = hours_before_departure - (departure - CLOCK).total_seconds() / 3600
    entry = lab_test(test_type=test_type, hours_before=hours_before_clock)
    if result is not None:
        entry["result"] = result
    entry.update(centre=centre, country=country)
    return entry


test_entry.__test__ = False  # type: ignore[attr-defined]  # a factory, not a test


def certificate(issuer: Issuer, entry: dict[str, Any], ident: str) -> EvidenceFacts:
    report = issuer.verify(issuer.issue(entry))
    assert report.valid, report.error_codes
    return EvidenceFacts("certificate", id=ident, report=report)


def both_tests(issuer: Issuer, **where: Any) -> list[EvidenceFacts]:
    return [
        certificate(issuer, test_entry(PCR, **where), "pcr"),
        certificate(issuer, test_entry(IGG, **where), "igg"),
    ]


def statuses(result: PrecheckResult) -> dict[str, str]:
    return {outcome.requirement: outcome.status for outcome in result.requirements}


def test_everything_met_from_a_low_risk_origin_is_approved_automatically(
    issuer: Issuer, cn: Policy
) -> None:
    result = precheck(trip(), both_tests(issuer), cn, CLOCK)
    assert statuses(result) == {"departure": "met", "test.naat": "met", "test.antibody_igg": "met"}
    naat = result.outcome("test.naat")
    assert naat.evidence == (0,) and naat.evidence_ids == ("pcr",)
    assert naat.reason == {
        "en": f"a verified test at {BERLIN_LAB}",
        "zh": f"{BERLIN_LAB}的检测经验证",
    }
    assert result.outcome("test.antibody_igg").evidence_ids == ("igg",)
    assert result.risk == "low" and result.risk_set_on is None
    assert result.auto_approve is True
    assert result.auto_approve_reason["en"] == (
        "low origin risk, every requirement met by machine-verified evidence"
    )
    assert "自动验证" in result.auto_approve_reason["zh"]


def test_an_antibody_test_sampled_60_hours_before_departure_is_too_old(
    issuer: Issuer, cn: Policy
) -> None:
    evidence = [
        certificate(issuer, test_entry(PCR), "pcr"),
        certificate(issuer, test_entry(IGG, hours_before_departure=60), "igg"),
    ]
    result = precheck(trip(), evidence, cn, CLOCK)
    antibody = result.outcome("test.antibody_igg")
    assert antibody.status == "not_met" and antibody.evidence == (1,)
    assert antibody.reason == {
        "en": "sampled 60 h before departure, more than 48 h",
        "zh": "采样时间为出发前60小时，超过48小时",
    }
    assert result.outcome("test.naat").status == "met"
    assert result.auto_approve is False
    assert result.auto_approve_reason["en"] == "not every requirement is met: test.antibody_igg"


def test_exactly_48_hours_counts_and_a_sample_after_departure_does_not(
    issuer: Issuer, cn: Policy
) -> None:
    on_the_limit = both_tests(issuer, hours_before_departure=48)
    assert precheck(trip(), on_the_limit, cn, CLOCK).outcome("test.naat").status == "met"
    # Sampled an hour after departure (and so after the clock too): departure is said first.
    late = [certificate(issuer, test_entry(PCR, hours_before_departure=6), "pcr")]
    early_flight = trip(departure=CLOCK + timedelta(hours=3))
    reason = precheck(early_flight, late, cn, CLOCK).outcome("test.naat").reason
    assert reason["en"] == "sampled after departure"


def test_a_sample_time_after_the_clock_does_not_count(issuer: Issuer, cn: Policy) -> None:
    entry = test_entry(PCR, hours_before_departure=2)  # 10 hours after CLOCK
    evidence = [EvidenceFacts("record", id="rec-1", entry=entry)]
    outcome = precheck(trip(), evidence, cn, CLOCK).outcome("test.naat")
    assert outcome.status == "not_met"
    assert outcome.reason == {
        "en": "sampled after the time of the check",
        "zh": "采样时间晚于审核时间",
    }


def test_a_positive_nucleic_acid_test_is_not_met(issuer: Issuer, cn: Policy) -> None:
    evidence = [certificate(issuer, test_entry(PCR, result=DETECTED), "pcr")]
    outcome = precheck(trip(), evidence, cn, CLOCK).outcome("test.naat")
    assert outcome.status == "not_met" and outcome.evidence_ids == ("pcr",)
    assert outcome.reason == {"en": "the result is not negative", "zh": "检测结果不是阴性"}


def test_a_detected_igg_antibody_counts_but_another_antibody_type_does_not(
    issuer: Issuer, cn: Policy
) -> None:
    detected = [certificate(issuer, test_entry(IGG, result=DETECTED), "igg")]
    assert precheck(trip(), detected, cn, CLOCK).outcome("test.antibody_igg").status == "met"
    iga = [certificate(issuer, test_entry(IGA), "iga")]
    outcome = precheck(trip(), iga, cn, CLOCK).outcome("test.antibody_igg")
    assert outcome.status == "not_met" and outcome.evidence == ()
    assert outcome.reason == {
        "en": "no IgG antibody test taken in DE",
        "zh": "没有在DE进行的IgG抗体检测",
    }


def test_an_unlisted_laboratory_is_not_met(issuer: Issuer, cn: Policy) -> None:
    evidence = both_tests(issuer, centre="Testzentrum Berlin Hbf")
    result = precheck(trip(), evidence, cn, CLOCK)
    outcome = result.outcome("test.naat")
    assert outcome.status == "not_met"
    assert outcome.reason == {
        "en": "the testing centre (Testzentrum Berlin Hbf) is not a laboratory the embassy lists",
        "zh": "检测机构（Testzentrum Berlin Hbf）不在使馆公布的检测机构名单内",
    }
    # Case and spacing in the centre's name do not matter.
    listed = both_tests(issuer, centre="example  laboratory BERLIN")
    assert statuses(precheck(trip(), listed, cn, CLOCK))["test.naat"] == "met"


def test_a_listed_laboratory_in_another_city_is_not_met(issuer: Issuer, cn: Policy) -> None:
    evidence = both_tests(issuer, centre=FRANKFURT_LAB)
    outcome = precheck(trip(), evidence, cn, CLOCK).outcome("test.antibody_igg")
    assert outcome.status == "not_met"
    assert outcome.reason == {
        "en": "sampled in Frankfurt, not in Berlin",
        "zh": "采样城市为Frankfurt，而非Berlin",
    }
    assert precheck(trip(city="Frankfurt"), evidence, cn, CLOCK).auto_approve is True


def test_a_test_from_another_country_is_not_met(issuer: Issuer, cn: Policy) -> None:
    evidence = both_tests(issuer, country="FR", centre="Example Laboratory Paris")
    outcome = precheck(trip(), evidence, cn, CLOCK).outcome("test.naat")
    assert outcome.reason["en"] == "sampled in FR, not in DE"


def test_an_uploaded_document_needs_review_and_stops_automatic_approval(
    issuer: Issuer, cn: Policy
) -> None:
    document = EvidenceFacts("document", id="upload-7", entry={"kind": "test", "test_type": IGG})
    evidence = [certificate(issuer, test_entry(PCR), "pcr"), document]
    result = precheck(trip(), evidence, cn, CLOCK)
    assert statuses(result) == {
        "departure": "met",
        "test.naat": "met",
        "test.antibody_igg": "needs_review",
    }
    antibody = result.outcome("test.antibody_igg")
    assert antibody.evidence_ids == ("upload-7",)
    assert antibody.reason == {
        "en": "an uploaded document is read by a person",
        "zh": "上传的文件须由工作人员人工审核",
    }
    assert result.auto_approve is False
    # Even beside machine-verified evidence that meets everything, a document needs a person.
    extra = [*both_tests(issuer), EvidenceFacts("document", id="letter")]
    extra_result = precheck(trip(), extra, cn, CLOCK)
    assert set(statuses(extra_result).values()) == {"met"}
    assert extra_result.auto_approve is False
    assert extra_result.auto_approve_reason["en"] == "an uploaded document must be read by a person"


def test_a_certificate_that_did_not_verify_does_not_count(issuer: Issuer, cn: Policy) -> None:
    payload = issuer.issue(test_entry(PCR), valid_days=1)
    expired = issuer.verify(payload, clock=CLOCK + timedelta(days=3))
    assert not expired.valid
    evidence = [EvidenceFacts("certificate", id="old", report=expired)]
    outcome = precheck(trip(), evidence, cn, CLOCK).outcome("test.naat")
    assert outcome.status == "not_met" and outcome.evidence_ids == ("old",)
    assert outcome.reason == {
        "en": "the certificate did not verify as valid",
        "zh": "证书未通过验证",
    }


def test_a_red_verdict_does_not_count(issuer: Issuer, cn: Policy) -> None:
    evidence = [EvidenceFacts("certificate", report=both_tests(issuer)[0].report, verdict="red")]
    outcome = precheck(trip(), evidence, cn, CLOCK).outcome("test.naat")
    assert outcome.status == "not_met"
    assert outcome.reason["en"] == "the destination's rules refused the certificate"


def test_the_report_as_a_dict_and_an_authority_record_count_like_a_report(
    issuer: Issuer, cn: Policy
) -> None:
    report = both_tests(issuer)[0].report
    assert isinstance(report, Report)
    as_dicts = [
        EvidenceFacts("certificate", id="pcr", report=report.to_dict()),
        EvidenceFacts("record", id="lab-record-1", entry=test_entry(IGG)),
    ]
    result = precheck(trip(), as_dicts, cn, CLOCK)
    assert result.auto_approve is True
    assert result.outcome("test.antibody_igg").evidence_ids == ("lab-record-1",)


def test_a_departure_in_the_past_is_not_met(issuer: Issuer, cn: Policy) -> None:
    past = CLOCK - timedelta(hours=1)
    evidence = both_tests(issuer, departure=past)
    result = precheck(trip(departure=past), evidence, cn, CLOCK)
    departure = result.outcome("departure")
    assert departure.status == "not_met"
    assert departure.reason == {
        "en": "the departure (2026-11-20 07:00 UTC) has passed",
        "zh": "出发时间（2026-11-20 07:00 UTC）已过",
    }
    assert result.outcome("test.naat").status == "met"
    assert result.auto_approve is False
    assert result.auto_approve_reason["en"] == "not every requirement is met: departure"


def test_a_transit_passenger_tests_again_in_the_transit_country(issuer: Issuer, cn: Policy) -> None:
    onward = DEPARTURE + timedelta(hours=20)
    stop = TransitStop("SG", onward, city="Singapore")
    home_tests = both_tests(issuer)
    without = precheck(trip("DE", "Berlin", DEPARTURE, stop), home_tests, cn, CLOCK)
    assert statuses(without) == {
        "departure": "met",
        "test.naat": "met",
        "test.antibody_igg": "met",
        "transit.SG.naat": "not_met",
        "transit.SG.antibody_igg": "not_met",
    }
    nothing = precheck(trip("DE", "Berlin", DEPARTURE, stop), [], cn, CLOCK)
    assert nothing.outcome("transit.SG.naat").reason == {
        "en": "no nucleic acid (PCR) test taken in SG",
        "zh": "没有在SG进行的核酸（PCR）检测",
    }
    # The home tests were taken in Germany: they do not count for Singapore.
    transit_naat = without.outcome("transit.SG.naat")
    assert transit_naat.evidence_ids == ("pcr",)
    assert transit_naat.reason == {"en": "sampled in DE, not in SG", "zh": "采样地为DE，而非SG"}
    assert without.auto_approve is False
    # Checked again in Singapore, after the first departure, with tests taken there.
    in_singapore: dict[str, Any] = {"country": "SG", "centre": SINGAPORE_LAB, "departure": onward}
    transit_tests = [
        certificate(issuer, test_entry(PCR, hours_before_departure=10, **in_singapore), "sg-pcr"),
        certificate(issuer, test_entry(IGG, hours_before_departure=10, **in_singapore), "sg-igg"),
    ]
    in_transit = onward - timedelta(hours=2)
    journey = trip("DE", "Berlin", DEPARTURE, stop)
    result = precheck(journey, home_tests + transit_tests, cn, in_transit)
    assert set(statuses(result).values()) == {"met"}
    assert result.outcome("test.naat").evidence_ids == ("pcr",)
    assert result.outcome("transit.SG.naat").evidence_ids == ("sg-pcr",)
    assert result.outcome("transit.SG.antibody_igg").evidence_ids == ("sg-igg",)
    assert result.auto_approve is True


def test_a_riskier_origin_adds_requirements_and_forbids_automatic_approval(
    issuer: Issuer, cn: Policy
) -> None:
    labs: dict[str, Any] = {"country": "XA", "centre": "Example Laboratory A"}
    evidence = [
        certificate(issuer, test_entry(PCR, **labs), "pcr"),
        certificate(issuer, test_entry(IGG, **labs), "igg"),
    ]
    without = precheck(trip("XA", "Example City A"), evidence, cn, CLOCK)
    assert without.risk == "high" and str(without.risk_set_on) == "2026-06-01"
    assert without.outcome("vaccination").status == "not_met"
    assert without.outcome("vaccination").reason["en"] == "no vaccination evidence"
    vaccinated = [*evidence, certificate(issuer, vaccination(), "vax")]
    result = precheck(trip("XA", "Example City A"), vaccinated, cn, CLOCK)
    assert set(statuses(result).values()) == {"met"}
    assert result.outcome("vaccination").evidence_ids == ("vax",)
    assert result.auto_approve is False
    assert result.auto_approve_reason == {
        "en": "the policy allows no automatic approval at high origin risk",
        "zh": "政策不允许对high风险来源地自动批准",
    }
    incomplete = [certificate(issuer, vaccination(dose=1, total=2), "vax1")]
    outcome = precheck(trip("XA", "Example City A"), incomplete, cn, CLOCK).outcome("vaccination")
    assert outcome.reason["en"] == "the series is not complete"


def test_a_medium_risk_origin_asks_for_a_fresher_nucleic_acid_test(
    issuer: Issuer, cn: Policy
) -> None:
    labs: dict[str, Any] = {
        "country": "XB",
        "centre": "Example Laboratory B",
        "hours_before_departure": 30,
    }
    evidence = [
        certificate(issuer, test_entry(PCR, **labs), "pcr"),
        certificate(issuer, test_entry(IGG, **labs), "igg"),
    ]
    result = precheck(trip("XB", "Example City B"), evidence, cn, CLOCK)
    assert result.risk == "medium"
    assert (
        result.outcome("test.naat").reason["en"] == "sampled 30 h before departure, more than 24 h"
    )
    assert result.outcome("test.antibody_igg").status == "met"


def test_transit_through_a_riskier_country_raises_the_risk(issuer: Issuer, cn: Policy) -> None:
    stop = TransitStop("XA", DEPARTURE + timedelta(hours=10))
    result = precheck(trip("DE", "Berlin", DEPARTURE, stop), both_tests(issuer), cn, CLOCK)
    assert result.risk == "high" and "vaccination" in statuses(result)


CITY_ONLY = {
    "country": "XY",
    "version": "1.0.0",
    "declaration": {
        "tests": [{"kind": "rapid_antigen", "max_age_hours": 24, "in_departure_city": True}],
        "auto_approve": {"max_risk": "low"},
    },
}


@pytest.mark.parametrize(
    ("declared", "status", "reason"),
    [
        ("berlin", "needs_review", "the sampling city (berlin) is only declared"),
        (None, "needs_review", "where it was sampled is not machine-verifiable"),
        ("Hamburg", "not_met", "sampled in Hamburg, not in Berlin"),
    ],
)
def test_a_city_the_traveller_declares_is_not_machine_verified(
    issuer: Issuer, declared: str | None, status: str, reason: str
) -> None:
    policy = parse_policy(CITY_ONLY, "xy.json")
    entry = test_entry("LP217198-3", hours_before_departure=20, centre="Any Pharmacy")
    evidence = [EvidenceFacts("record", entry=entry, sample_city=declared)]
    result = precheck(trip(), evidence, policy, CLOCK)
    outcome = result.outcome("test.rapid_antigen")
    assert (outcome.status, outcome.reason["en"]) == (status, reason)
    assert result.auto_approve is False


def test_a_policy_without_a_declaration_section_never_approves(issuer: Issuer) -> None:
    policy = parse_policy({"country": "XY", "version": "1.0.0"}, "xy.json")
    result = precheck(trip(), both_tests(issuer), policy, CLOCK)
    assert statuses(result) == {"departure": "met"}
    assert result.auto_approve is False


def test_the_result_is_deterministic_and_json(issuer: Issuer, cn: Policy) -> None:
    evidence = both_tests(issuer)
    first = precheck(trip(), evidence, cn, CLOCK).to_dict()
    assert first == precheck(trip(), evidence, cn, CLOCK).to_dict()
    assert json.loads(json.dumps(first, ensure_ascii=False)) == first
    assert first["requirements"][1] == {
        "requirement": "test.naat",
        "status": "met",
        "evidence": [0],
        "evidence_ids": ["pcr"],
        "reason": {"en": f"a verified test at {BERLIN_LAB}", "zh": f"{BERLIN_LAB}的检测经验证"},
    }


def test_transit_departures_must_follow_one_another() -> None:
    with pytest.raises(ValueError, match="each transit departure must come after"):
        trip("DE", "Berlin", DEPARTURE, TransitStop("SG", DEPARTURE - timedelta(hours=1)))


def test_times_without_a_time_zone_are_refused() -> None:
    with pytest.raises(ValueError, match=r"DeclarationFacts\.departure must carry a time zone"):
        DeclarationFacts("DE", "Berlin", "CN", datetime(2026, 11, 20, 20, 0))
    with pytest.raises(ValueError, match="clock must carry a time zone"):
        policy = parse_policy({"country": "XY", "version": "1.0.0"}, "xy.json")
        precheck(trip(), [], policy, datetime(2026, 11, 20))
