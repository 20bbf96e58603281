"""``healthcert rules list`` and ``healthcert rules check``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthcert.cli import app

from ..rules.certs import ANTIGEN, CLOCK, Issuer, lab_test, vaccination

runner = CliRunner()
AT = CLOCK.isoformat()


def run(code: int, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.stdout


def test_list_shows_the_policy_and_every_rule() -> None:
    output = run(0, "rules", "list", "--country", "CN")
    assert "CN policy 1.0.0" in output
    assert "origin risk: low unless listed" in output
    assert "high: XA — An extra nucleic acid test on arrival" in output
    for identifier in ("GR-CN-0001", "VR-CN-0003", "TR-CN-0004", "RR-CN-0001"):
        assert identifier in output
    assert "At least 14 days have passed since the last dose." in output


def test_list_in_chinese() -> None:
    output = run(0, "rules", "list", "--country", "cn", "--lang", "zh")
    assert "末剂接种后须满14天。" in output
    assert "核酸（PCR）检测采样时间须在查验前48小时内" in output
    assert "入境后须加做一次核酸检测" in output


def test_list_as_json_lines() -> None:
    lines = [
        json.loads(line)
        for line in run(
            0, "rules", "list", "--country", "DE", "--json", "--lang", "de"
        ).splitlines()
    ]
    assert [line["id"] for line in lines][:3] == ["GR-DE-0001", "RR-DE-0001", "TR-DE-0001"]
    first = lines[0]
    assert first == {
        "id": "GR-DE-0001",
        "type": "Acceptance",
        "country": "DE",
        "region": None,
        "certificate_type": "General",
        "version": "1.0.0",
        "valid_from": "2026-06-01T00:00:00+00:00",
        "valid_to": "2031-06-01T00:00:00+00:00",
        "affected_fields": ["v.0.tg", "t.0.tg", "r.0.tg"],
        "description": "Das Zertifikat betrifft COVID-19.",
    }


def test_list_of_an_unknown_destination_fails() -> None:
    result = runner.invoke(app, ["rules", "list", "--country", "JP"])
    assert result.exit_code == 1
    assert "no policy for JP (policies: CN, DE, SG)" in result.stderr


def test_check_shows_each_rule_with_its_outcome_in_chinese(issuer: Issuer, dsc_file: Path) -> None:
    payload = issuer.issue(lab_test(test_type=ANTIGEN, hours_before=3))
    args = ["rules", "check", "--country", "CN", "--from", "DE", "--at", AT]
    output = run(1, *args, "--trust", str(dsc_file), "--lang", "zh", payload)
    assert "红色 不予入境 · 有效 · 入境 CN 来自 DE（出发地风险：低）" in output
    assert "RULE_FAILED 规则 TR-CN-0001 未通过" in output
    rows = {line.split()[0]: line for line in output.splitlines() if "-CN-" in line[:12]}
    assert set(rows) == {
        "GR-CN-0001",
        "GR-CN-0002",
        "TR-CN-0001",
        "TR-CN-0002",
        "TR-CN-0003",
        "TR-CN-0004",
    }
    assert "✘ 未通过" in rows["TR-CN-0001"] and "不接受抗原快速检测" in rows["TR-CN-0001"]
    assert "✔ 通过" in rows["GR-CN-0001"] and "新冠肺炎" in rows["GR-CN-0001"]


def test_check_exit_zero_when_green_and_json_as_verify_prints(
    issuer: Issuer, dsc_file: Path
) -> None:
    payload = issuer.issue(vaccination())
    args = ["rules", "check", "--country", "SG", "--at", AT, "--trust", str(dsc_file)]
    output = run(0, *args, payload)
    assert "GREEN may enter" in output and "VR-SG-0003" in output
    (report,) = [json.loads(line) for line in run(0, *args, "--json", payload).splitlines()]
    verify = run(
        0, "verify", "--json", "--country", "SG", "--at", AT, "--trust", str(dsc_file), payload
    )
    assert report == json.loads(verify)


def test_check_of_an_untrusted_certificate_still_shows_the_rules(issuer: Issuer) -> None:
    payload = issuer.issue(vaccination())
    output = run(1, "rules", "check", "--country", "DE", "--at", AT, payload)
    assert "RED may not enter · not valid" in output
    assert "CERTIFICATE_INVALID the certificate is not valid (KID_UNKNOWN)" in output
    assert "VR-DE-0004" in output


@pytest.mark.parametrize(
    "command",
    [["rules"], ["rules", "list"], ["rules", "check"]],
)
def test_every_command_and_option_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Usage:" in text
    if command == ["rules", "check"]:
        for option in ("--country", "--from", "--at", "--lang", "--json", "--trust", "--policies"):
            assert option in text
        assert "0 when every verdict is green" in text
