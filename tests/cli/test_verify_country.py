"""``healthcert verify --country``: the entry verdict in reports, on screen and in exit codes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from healthcert.cli import app
from healthcert.issuance import IssueRequest, issue_hc1

from ..rules.certs import CLOCK, Issuer, lab_test, vaccination
from .fresh_process import loaded_by

runner = CliRunner()
AT = CLOCK.isoformat()
LATIN_HOLDER = {"family_name": "Musterfrau", "given_name": "Erika", "date_of_birth": "1964-08-12"}


def run(code: int, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.stdout


def reports(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


def test_green_exits_zero_with_the_verdict_in_the_report(issuer: Issuer, dsc_file: Path) -> None:
    payload = issuer.issue(vaccination())
    args = ["verify", "--json", "--at", AT, "--trust", str(dsc_file)]
    (report,) = reports(run(0, *args, "--country", "cn", "--from", "de", payload))
    assert report["valid"] is True and report["verdict"] == "green"
    assert report["checks"]["rules"] is True
    assert report["destination"]["country"] == "CN" and report["destination"]["origin"] == "DE"
    assert {rule["result"] for rule in report["rules"]} == {"passed"}


def test_exit_one_unless_every_verdict_is_green(issuer: Issuer, dsc_file: Path) -> None:
    green = issuer.issue(vaccination())
    red = issuer.issue(lab_test(hours_before=60))  # PCR older than CN's 48 hours
    args = ["verify", "--json", "--at", AT, "--trust", str(dsc_file), "--country", "CN"]
    first, second = reports(run(1, *args, green, red))
    assert (first["verdict"], second["verdict"]) == ("green", "red")
    assert second["valid"] is True
    assert [reason["code"] for reason in second["verdict_reasons"]] == ["RULE_FAILED"]
    (yellow,) = reports(run(1, *args, "--from", "XA", green))
    assert yellow["verdict"] == "yellow"
    assert yellow["verdict_reasons"][0]["code"] == "ORIGIN_HIGH_RISK"
    # Without --country the same certificate is simply valid.
    (plain,) = reports(run(0, "verify", "--json", "--at", AT, "--trust", str(dsc_file), red))
    assert "verdict" not in plain and "rules" not in plain["checks"]


def test_workers_judge_in_input_order(issuer: Issuer, dsc_file: Path, tmp_path: Path) -> None:
    entries = [vaccination(), lab_test(hours_before=60), vaccination(days_before=3)] * 100
    batch = tmp_path / "payloads.txt"
    batch.write_text("\n".join(issuer.issue(entry) for entry in entries) + "\n")
    args = ["verify", "--json", "--at", AT, "--trust", str(dsc_file), "--country", "SG"]
    output = run(1, *args, "--workers", "2", "--batch", str(batch))
    verdicts = [report["verdict"] for report in reports(output)]
    assert verdicts == ["green", "green", "red"] * 100  # SG takes PCR tests up to 72 hours


def test_the_screen_shows_verdict_reasons_and_rules_in_the_language(
    issuer: Issuer, dsc_file: Path
) -> None:
    payload = issuer.issue(lab_test(hours_before=60))
    args = ["verify", "--at", AT, "--trust", str(dsc_file), "--country", "CN", "--from", "XA"]
    output = run(1, *args, "--lang", "zh", payload)
    assert "有效 · 红色 不予入境" in output
    assert "入境 CN 来自 XA（出发地风险：高）" in output
    assert "RULE_FAILED 规则 TR-CN-0003 未通过" in output
    assert "入境后须加做一次核酸检测，并在指定场所隔离7天。" in output
    assert "✔ TR-CN-0001 检测须为核酸（PCR）检测或IgG抗体检测，不接受抗原快速检测。" in output
    assert "✘ TR-CN-0003" in output


def test_a_medium_risk_origin_shows_its_requirement(issuer: Issuer, dsc_file: Path) -> None:
    payload = issuer.issue(vaccination())
    args = ["verify", "--at", AT, "--trust", str(dsc_file), "--country", "DE", "--from", "XB"]
    output = run(0, *args, payload)
    assert "GREEN may enter" in output
    assert "Register digitally before arrival." in output


def test_own_policies_replace_the_shipped_ones(
    issuer: Issuer, dsc_file: Path, tmp_path: Path
) -> None:
    strict = {"country": "CN", "version": "9.0.0", "rules": []}
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "cn.json").write_text(json.dumps(strict))
    args = ["verify", "--json", "--at", AT, "--trust", str(dsc_file), "--country", "CN"]
    (report,) = reports(run(1, *args, "--policies", str(tmp_path / "policies"), "HC1:" + "x"))
    assert report["verdict"] == "red"
    (report,) = reports(
        run(1, *args, "--policies", str(tmp_path / "policies"), issuer.issue(vaccination()))
    )
    assert report["verdict"] == "yellow" and report["destination"]["policy_version"] == "9.0.0"
    assert report["verdict_reasons"][0]["code"] == "NO_RULES"


def test_usage_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "xy.json").write_text(json.dumps({"country": "XY", "version": "1", "rules": []}))
    cases = [
        (["--from", "DE"], "--from and --policies need --country"),
        (["--country", "China"], "is not a two-letter country code"),
        (["--country", "CN", "--from", "D"], "--from 'D' is not a two-letter country code"),
        (["--country", "CN", "--lang", "中文"], "is not a language code"),
        (["--country", "CN", "--policies", str(tmp_path / "none")], "is not a directory"),
    ]
    for options, message in cases:
        result = runner.invoke(app, ["verify", *options, "HC1:x"])
        assert result.exit_code == 2, (options, result.output)
        assert message in " ".join(result.stderr.split()), (options, result.stderr)
    # A policy file that exists but cannot be used is a configuration error, not a usage one.
    result = runner.invoke(app, ["verify", "--country", "CN", "--policies", str(bad), "HC1:x"])
    assert result.exit_code == 3, result.output
    assert "xy.json: version: String should match" in " ".join(result.stderr.split())


def test_verify_without_country_does_not_load_the_rules_engine(
    issuer: Issuer, dsc_file: Path
) -> None:
    args = ["verify", "--at", AT, "--trust", str(dsc_file), issuer.issue(vaccination())]
    assert loaded_by(args, ["healthcert.rules"]) == "0 []"


def test_verifying_eu_dccs_loads_neither_the_models_nor_the_other_formats(
    issuer: Issuer, dsc_file: Path
) -> None:
    # A plainly written DCC (a Latin-script name, a full date of birth) maps to the report
    # without the pydantic models: building them and loading the other formats' readers cost
    # a tenth of a second before the first report. (typer itself may load pydantic.)
    request = IssueRequest.model_validate(
        {"holder": LATIN_HOLDER, "entry": vaccination(), "valid_days": 30}
    )
    payload = issue_hc1(request, issuer.signer, now=CLOCK - timedelta(hours=1))
    args = ["verify", "--json", "--at", AT, "--trust", str(dsc_file), payload]
    unwanted = [
        "healthcert.model.certificate",
        "healthcert.formats.shc.card",
        "healthcert.formats.vdsnc.seal",
    ]
    assert loaded_by(args, unwanted) == "0 []"


def test_help_names_the_entry_options() -> None:
    output = " ".join(run(0, "verify", "--help").split())
    for option in ("--country", "--from", "--lang", "--policies"):
        assert option in output
    assert "every verdict is green" in output
