"""Minimal disclosure: what a report keeps of each kind of certificate (the holder, validity,
the verdict's colour and reason codes), and that nothing of the holder's health survives; the
command line's ``--minimal`` in JSON and for people, with the same exit codes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from healthcert.cli import app
from healthcert.disclosure import minimal_after, reduce_to_minimal
from healthcert.issuance import issue_health_code
from healthcert.rules.policy import load_policies
from healthcert.rules.verdict import Journey, judge
from tests.formats.test_health_code import ISSUED, health_code, signer
from tests.formats.test_health_code import verify as verify_health_code
from tests.rules.certs import (
    CLOCK,
    DETECTED,
    HOLDER,
    IGG,
    Issuer,
    lab_test,
    make_issuer,
    recovery,
    vaccination,
)

# What a certificate's entry and the rules say, which a minimal report must not.
HEALTH_WORDS = (
    "vaccination",
    "EU/1/20/1528",
    "ORG-100030215",
    "1119349007",
    "dose",
    "LP6464-4",
    "260415000",
    DETECTED,
    IGG,
    "Testzentrum",
    "first_positive",
    "URN:UVCI",
    "VR-",
    "TR-",
    "rules",
    "description",
    "sample",
)


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return make_issuer("DE")


def _entries() -> list[dict[str, Any]]:
    day = CLOCK.date()
    return [
        vaccination(),
        lab_test(),
        lab_test(test_type=IGG, result=DETECTED),
        recovery(
            first_positive=day - timedelta(days=30),
            valid_from=day - timedelta(days=19),
            valid_until=day + timedelta(days=150),
        ),
    ]


@pytest.mark.parametrize("entry", _entries(), ids=["vaccination", "pcr", "igg", "recovery"])
def test_a_certificate_keeps_who_and_when_and_nothing_of_health(
    issuer: Issuer, entry: dict[str, Any]
) -> None:
    report = issuer.verify(issuer.issue(entry))
    judge(report, load_policies(), Journey("DE"), clock=CLOCK)
    full = report.to_dict()
    reduce_to_minimal(report)
    document = report.to_dict()
    assert document["valid"] is True
    assert document["certificate"] == {"holder": HOLDER}
    assert (document["iat"], document["exp"]) == (full["iat"], full["exp"])
    assert document["verdict"] == full["verdict"]
    assert document["verdict_reasons"] == [
        {"code": reason["code"]} for reason in full["verdict_reasons"]
    ]
    assert document["destination"] == {"country": "DE"}
    assert (document["payload"], document["input"], document["view"]) == (None, "-", "minimal")
    assert "rules" not in document["checks"]
    text = json.dumps(document)
    for word in HEALTH_WORDS:
        assert word not in text, word


def test_a_health_code_keeps_the_document_and_the_trip_an_airline_matches() -> None:
    report = verify_health_code(issue_health_code(health_code(), signer(), ISSUED))
    full = report.to_dict()
    reduce_to_minimal(report)
    document = report.to_dict()
    assert document["certificate"] == {
        "kind": "health-code",
        "holder": full["certificate"]["holder"],
    }
    assert document["certificate"]["holder"]["document_number"] == "E12345678"
    assert document["trip"] == full["trip"]
    assert document["verdict"] == "green"
    assert "declaration_id" not in json.dumps(document)


def test_an_invalid_report_keeps_its_errors(issuer: Issuer) -> None:
    report = issuer.verify(issuer.issue(vaccination()), CLOCK + timedelta(days=400))
    reduce_to_minimal(report)
    assert [error.code for error in report.errors] == ["EXPIRED"]
    assert report.certificate == {"holder": HOLDER}


def test_without_a_judge_the_answer_is_what_a_batch_accepts(issuer: Issuer) -> None:
    cut = minimal_after(None)
    good = issuer.verify(issuer.issue(vaccination()))
    assert cut(good, CLOCK) == "green"
    expired = issuer.verify(issuer.issue(vaccination()), CLOCK + timedelta(days=400))
    assert cut(expired, CLOCK) == "red"
    red_code = verify_health_code(
        issue_health_code(health_code(colour=health_code().colour.RED), signer(), ISSUED)
    )
    assert cut(red_code, CLOCK) == "red"


def _cli(issuer: Issuer, tmp_path: Path, *args: str) -> Any:
    trust = tmp_path / "dsc.pem"
    trust.write_bytes(issuer.dsc_pem)
    payload = issuer.issue(vaccination())
    common = ["verify", payload, "--trust", str(trust), "--at", CLOCK.isoformat(), "--minimal"]
    return CliRunner().invoke(app, [*common, *args])


def test_the_command_line_prints_the_minimal_report(issuer: Issuer, tmp_path: Path) -> None:
    answer = _cli(issuer, tmp_path, "--json", "--country", "DE")
    assert answer.exit_code == 0, answer.output
    document = json.loads(answer.output)
    assert document["view"] == "minimal"
    assert document["verdict"] == "green"
    for word in HEALTH_WORDS:
        assert word not in answer.output, word
    person = _cli(issuer, tmp_path)
    assert person.exit_code == 0
    assert "WANG<<XIAOMING), born 1985-07-21" in person.output
    assert "Comirnaty" not in person.output and "dose" not in person.output
    refused = _cli(issuer, tmp_path, "--country", "DE", "--at", "2030-01-01")
    assert refused.exit_code == 1
