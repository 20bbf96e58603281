"""Answers a person can act on: missing files, unreadable images, text shown as written, one
exit status per kind of failure, the issue and expiry dates on screen, rules at 80 columns."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner, Result

from healthcert import report as codes
from healthcert.cli import app
from healthcert.cli.common import (
    EXIT_CONFIG,
    EXIT_INTERNAL,
    EXIT_INVALID,
    EXIT_USAGE,
    exit_code_of,
    looks_like_path,
    parse_time,
    run_guarded,
)
from healthcert.cli.render import ReportPrinter
from healthcert.errors import ConfigurationError, KeyStoreError, RequestError, TrustStoreError
from healthcert.rules.policy import PolicyError

from ..rules.certs import CLOCK, Issuer, vaccination

runner = CliRunner()
AT = CLOCK.isoformat()
# A Base45 payload whose prefix was lost: slashes and dots, and still no file name.
NO_PREFIX = "NCFOXN%TSMAHN-HHOCJ8R+-4-LLG-2/R8-E5NDC0OELQCTOPWM684DVTPH1K *RQHIZC4TPIFRMLN"


def invoke(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def only_error_line(result: Result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# -- a file that is not there -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["nosuchfile.png", "scan.JPG", "card.jpeg", "list.txt", "b.jsonl", "seal.json"]
)
@pytest.mark.parametrize("command", [["verify"], ["rules", "check", "--country", "CN"]])
def test_a_missing_file_is_a_usage_error(command: list[str], name: str) -> None:
    result = invoke(*command, name)
    assert result.exit_code == EXIT_USAGE
    assert result.stdout == ""
    assert only_error_line(result) == f"error: {name}: no such file"


def test_a_missing_path_without_extension_says_what_a_payload_looks_like() -> None:
    result = invoke("verify", "--json", "scans/today")
    assert result.exit_code == EXIT_USAGE
    assert only_error_line(result) == (
        "error: scans/today: no such file (and not a payload: those begin with HC1:, shc:/ or {)"
    )


def test_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("verify", str(tmp_path))
    assert result.exit_code == EXIT_USAGE
    assert only_error_line(result) == f"error: {tmp_path}: is a directory, not a file"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("shc:/5676290952432060/x.png", codes.NUMERIC_INVALID),
        ("HC1:NCF/OXN.png", codes.BASE45_INVALID),
        ("hc1:abc/def", None),
        ('{"data": {"hdr": "a/b.json"}}', None),
        ("eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln", None),
        (NO_PREFIX, codes.PREFIX_INVALID),
        ("-", codes.PREFIX_INVALID),
        ("", codes.INPUT_EMPTY),
    ],
)
def test_a_payload_is_never_taken_for_a_path(payload: str, code: str | None) -> None:
    assert not looks_like_path(payload)
    result = invoke("verify", "--json", payload)
    assert result.exit_code == EXIT_INVALID, result.output
    (report,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert report["input"] == payload and report["valid"] is False
    if code is not None:
        assert code in [error["code"] for error in report["errors"]]


def test_an_existing_file_with_any_name_is_read(tmp_path: Path) -> None:
    odd = tmp_path / "HC1:looks-like-a-payload.txt"
    odd.write_text("HC1:x")
    result = invoke("verify", "--json", str(odd))
    assert result.exit_code == EXIT_INVALID
    assert json.loads(result.stdout)["input"] == str(odd)


def test_a_missing_trust_source_is_a_usage_error_and_a_bad_one_a_trust_error(
    tmp_path: Path,
) -> None:
    result = invoke("verify", "--trust", str(tmp_path / "absent.pem"), "HC1:x")
    assert result.exit_code == EXIT_USAGE
    assert only_error_line(result) == (
        f"error: --trust {tmp_path / 'absent.pem'}: no such file or directory"
    )
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    result = invoke("verify", "--trust", str(garbage), "HC1:x")
    assert result.exit_code == EXIT_CONFIG
    assert only_error_line(result) == "error: garbage.pem: not a certificate, EU trust list or JWKS"


# -- messages in words, text as written -------------------------------------------------------


def test_a_png_that_is_no_image_says_so_in_words(tmp_path: Path) -> None:
    fake = tmp_path / "file.png"
    fake.write_text("hello")
    result = invoke("verify", "--json", str(fake))
    assert result.exit_code == EXIT_INVALID
    [error] = json.loads(result.stdout)["errors"]
    assert error == {
        "code": codes.QR_UNREADABLE,
        "message": f"{fake} is not an image healthcert can read: "
        "unknown image format, or not an image",
    }
    human = invoke("verify", str(fake)).stdout
    assert "0x" not in human and "BytesIO" not in human


@pytest.mark.parametrize("option", ["--batch", "--trust"])
def test_markup_in_a_path_is_shown_as_written(option: str) -> None:
    result = invoke("verify", option, "/tmp/a[/b]", *(["HC1:x"] if option == "--trust" else []))
    assert result.exit_code == EXIT_USAGE
    assert "/tmp/a[/b]" in only_error_line(result)


def test_markup_in_an_argument_is_shown_as_written() -> None:
    result = invoke("verify", "HC1:[bold]x[/]")
    assert result.exit_code == EXIT_INVALID
    assert "HC1:[bold]x[/]" in result.stdout


def test_markup_in_a_payload_is_shown_as_written() -> None:
    console = Console(record=True, width=200, color_system=None)
    report: dict[str, Any] = {
        "input": "HC1:x",
        "format": "eu-dcc",
        "valid": True,
        "checks": {"decode": True},
        "errors": [],
        "issuer": {"country": "[red]XX", "kid": "k[/]"},
        "certificate": {
            "holder": {"family_name": "[bold]Smith[/]", "date_of_birth": "1980"},
            "entry": {
                "kind": "vaccination",
                "dose_number": 1,
                "total_doses": 2,
                "date": "2026-01-01",
                "country": "[/x]",
            },
        },
    }
    ReportPrinter(console).show(report)
    text = console.export_text()
    assert "[bold]Smith[/], born 1980" in text
    assert "in [/x]" in text and "[red]XX (kid k[/])" in text


# -- exit statuses ----------------------------------------------------------------------------


def test_each_kind_of_error_has_its_exit_status() -> None:
    assert exit_code_of(ConfigurationError("no passphrase")) == EXIT_USAGE
    assert exit_code_of(KeyStoreError("cannot decrypt")) == EXIT_CONFIG
    assert exit_code_of(TrustStoreError("not a trust list")) == EXIT_CONFIG
    assert exit_code_of(PolicyError("xy.json", "bad")) == EXIT_CONFIG
    assert exit_code_of(RequestError("dose_number")) == EXIT_INVALID
    assert (EXIT_INVALID, EXIT_USAGE, EXIT_CONFIG, EXIT_INTERNAL) == (1, 2, 3, 4)


def test_an_unforeseen_error_is_one_line_and_status_4(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> None:
        raise KeyError("lost")

    monkeypatch.delenv("HEALTHCERT_DEBUG", raising=False)
    with pytest.raises(SystemExit) as stopped:
        run_guarded(broken)
    assert stopped.value.code == EXIT_INTERNAL
    line = capsys.readouterr().err.strip()
    assert line.startswith("internal error: 'lost' (a fault of healthcert")
    assert "HEALTHCERT_DEBUG=1" in line and "Traceback" not in line
    monkeypatch.setenv("HEALTHCERT_DEBUG", "1")
    with pytest.raises(KeyError):
        run_guarded(broken)


def test_a_typer_exit_passes_through_the_guard() -> None:
    def done() -> None:
        raise typer.Exit(EXIT_INVALID)

    with pytest.raises(typer.Exit):
        run_guarded(done)


def test_help_lists_the_exit_statuses() -> None:
    text = " ".join(invoke("--help").stdout.split())
    assert "Exit status: 0 success" in text
    assert "2 usage error" in text and "3 key or trust error" in text
    assert "4 internal error" in text


# -- the clock --------------------------------------------------------------------------------


def test_at_takes_days_or_hours_from_now() -> None:
    now = datetime.now(UTC)
    later = parse_time("+30d")
    earlier = parse_time("-12h")
    assert later is not None and earlier is not None
    assert abs(later - (now + timedelta(days=30))) < timedelta(minutes=1)
    assert abs(earlier - (now - timedelta(hours=12))) < timedelta(minutes=1)


@pytest.mark.parametrize("clock", ["+30", "30d", "+30w", "+d", "+1.5d"])
def test_a_bad_relative_at_is_a_usage_error(clock: str) -> None:
    result = invoke("verify", "--at", clock, "HC1:x")
    assert result.exit_code == EXIT_USAGE
    assert "nor +Nd or -Nh from now" in only_error_line(result)


# -- what the screen shows --------------------------------------------------------------------


def test_the_panel_shows_when_the_certificate_was_issued_and_expires(
    issuer: Issuer, dsc_file: Path
) -> None:
    payload = issuer.issue(vaccination())
    args = ["verify", "--at", AT, "--trust", str(dsc_file), payload]
    [report] = [
        json.loads(line) for line in invoke(*args[:1], "--json", *args[1:]).stdout.splitlines()
    ]
    screen = invoke(*args).stdout
    assert f"issued   {report['iat']}" in screen
    assert f"expires  {report['exp']}" in screen


def test_rules_list_reads_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = invoke("rules", "list", "--country", "DE")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= 80
    heading = lines.index(next(line for line in lines if line.startswith("GR-DE-0001")))
    assert lines[heading].split() == [
        "GR-DE-0001",
        "Acceptance",
        "·",
        "General",
        "·",
        "1.0.0",
        "·",
        "2026-06-01",
        "–",
        "2031-06-01",
    ]
    assert lines[heading + 1].strip() == "The certificate is for COVID-19."
    # Each description reads whole beneath its rule, wrapped at word boundaries only.
    listed = invoke("rules", "list", "--country", "DE", "--json").stdout.splitlines()
    for rule in map(json.loads, listed):
        start = next(n for n, line in enumerate(lines) if line.startswith(rule["id"] + " "))
        block = []
        for line in lines[start + 1 :]:
            if not line.startswith("    ") or not line.strip():
                break
            block.append(line.strip())
        assert " ".join(block) == rule["description"]
        assert len(block[0]) >= min(20, len(rule["description"]))


def test_rules_list_is_a_table_on_a_wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    lines = invoke("rules", "list", "--country", "DE").stdout.splitlines()
    [row] = [line for line in lines if line.startswith("GR-DE-0001")]
    assert row.split("│")[-1].strip() == "The certificate is for COVID-19."
