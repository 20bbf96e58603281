"""The three formats through the commands: issue each with its QR code, read it back, verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from typer.testing import CliRunner

from healthcert.cli import app
from healthcert.codec.qr import read_image
from healthcert.formats.shc.card import issuer_jwk

from .fresh_process import loaded_by

EXAMPLES = Path(__file__).parent.parent.parent / "examples"
SHC = Path(__file__).parent.parent / "data" / "shc" / "examples"
SHC_ISSUER = "https://spec.smarthealth.cards/examples/issuer"
ISS = "https://health.example.cn/shc"


@pytest.fixture
def keys(clean_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HEALTHCERT_KEY_PASSPHRASE", "a test passphrase")
    runner = CliRunner()
    assert runner.invoke(app, ["keys", "init", "--country", "CN"]).exit_code == 0
    assert runner.invoke(app, ["keys", "dsc", "--types", "vaccination,test"]).exit_code == 0
    return clean_home / "keys"


def _dsc(keys: Path) -> Path:
    return next(p for p in keys.glob("dsc-*.pem") if not p.name.endswith(".key.pem"))


def _reports(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


@pytest.mark.parametrize(
    ("format_name", "prefix"),
    [("eu-dcc", "HC1:"), ("shc", "shc:/"), ("icao-vds-nc", '{"data":')],
)
def test_each_format_issues_a_qr_code_that_verifies(
    keys: Path, tmp_path: Path, format_name: str, prefix: str
) -> None:
    runner = CliRunner()
    image = tmp_path / f"{format_name}.png"
    issued = runner.invoke(
        app,
        ["issue", "--json", str(EXAMPLES / "request-vaccination.json"), "--format", format_name,
         "--iss", ISS, "--qr", str(image)],
    )  # fmt: skip
    assert issued.exit_code == 0, issued.output
    payload = issued.stdout.strip()
    assert payload.startswith(prefix)
    assert read_image(image.read_bytes()) == [payload]
    jwks = tmp_path / "jwks.json"
    certificate = x509.load_pem_x509_certificate(_dsc(keys).read_bytes())
    jwks.write_text(json.dumps({"keys": [issuer_jwk(certificate.public_key())]}))  # type: ignore[arg-type]
    verified = runner.invoke(
        app,
        ["verify", str(image), "--json", "--trust", str(_dsc(keys)),
         "--trust", str(keys / "csca.pem"), "--trust", f"{ISS}={jwks}"],
    )  # fmt: skip
    (report,) = _reports(verified.stdout)
    assert verified.exit_code == 0, report
    assert report["format"] == format_name
    holder = report["certificate"]["holder"]
    assert (holder["family_name_latin"], holder["given_name_latin"]) == ("WANG", "XIAOMING")
    assert report["certificate"]["entry"]["product"] == "EU/1/20/1528"


def test_a_smart_health_card_keeps_a_chinese_name_and_its_pinyin(
    keys: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    request = str(EXAMPLES / "request-vaccination.json")
    issued = runner.invoke(app, ["issue", "--json", request, "--format", "shc", "--iss", ISS])
    assert issued.exit_code == 0, issued.output
    jwks = tmp_path / "jwks.json"
    certificate = x509.load_pem_x509_certificate(_dsc(keys).read_bytes())
    jwks.write_text(json.dumps({"keys": [issuer_jwk(certificate.public_key())]}))  # type: ignore[arg-type]
    verified = runner.invoke(
        app, ["verify", issued.stdout.strip(), "--json", "--trust", f"{ISS}={jwks}"]
    )
    (report,) = _reports(verified.stdout)
    assert report["certificate"]["holder"]["family_name"] == "王"
    assert report["certificate"]["holder"]["given_name"] == "小明"
    assert report["issuer"]["iss"] == ISS


def test_a_smart_health_card_needs_its_issuer_url(keys: Path) -> None:
    request = str(EXAMPLES / "request-vaccination.json")
    result = CliRunner().invoke(app, ["issue", "--json", request, "--format", "shc"])
    assert result.exit_code == 2
    assert "issuer" in result.output


def test_an_unknown_format_is_a_usage_error(keys: Path) -> None:
    request = str(EXAMPLES / "request-vaccination.json")
    result = CliRunner().invoke(app, ["issue", "--json", request, "--format", "pdf"])
    assert result.exit_code == 2
    assert "--format" in result.output


def test_chunks_given_together_give_one_report() -> None:
    chunks = [
        (SHC / f"example-02-f-qr-code-numeric-value-{index}.txt").read_text().strip()
        for index in range(3)
    ]
    result = CliRunner().invoke(
        app,
        ["verify", *chunks, "--json", "--at", "2023-07-01T00:00:00Z",
         "--trust", f"{SHC_ISSUER}={SHC / 'issuer'}"],
    )  # fmt: skip
    (report,) = _reports(result.stdout)
    assert report["format"] == "shc"
    assert report["checks"]["signature"] is True
    assert report["checks"]["revocation"] is True
    # The card is a lab panel without a Patient: genuine, but no certificate of a person.
    assert [error["code"] for error in report["errors"]] == ["CONTENT_UNSUPPORTED"]


def test_a_health_card_file_gives_one_report_per_card() -> None:
    result = CliRunner().invoke(
        app,
        ["verify", str(SHC / "example-00-e-file.smart-health-card"), "--json",
         "--at", "2023-07-01T00:00:00Z", "--trust", f"{SHC_ISSUER}={SHC / 'issuer'}"],
    )  # fmt: skip
    reports = _reports(result.stdout)
    assert result.exit_code == 0, reports
    assert [report["valid"] for report in reports] == [True]
    assert reports[0]["input"].endswith("example-00-e-file.smart-health-card#1")
    assert reports[0]["certificate"]["holder"]["family_name"] == "Anyperson"


def test_verifying_a_health_card_loads_neither_the_models_nor_the_other_formats() -> None:
    # A plainly written card maps to the report without the pydantic models: building them
    # and loading the VDS-NC reader cost a tenth of a second before the first report.
    card = (SHC / "example-00-d-jws.txt").read_text().strip()
    args = ["verify", card, "--json", "--at", "2023-07-01T00:00:00Z"]
    args += ["--trust", f"{SHC_ISSUER}={SHC / 'issuer'}"]
    assert (
        loaded_by(args, ["healthcert.model.certificate", "healthcert.formats.vdsnc.seal"]) == "0 []"
    )


def test_a_vci_directory_is_trust_for_its_issuers(tmp_path: Path) -> None:
    jwks = json.loads((SHC / "issuer" / ".well-known" / "jwks.json").read_text())
    directory = tmp_path / "vci-issuers.json"
    directory.write_text(
        json.dumps({"issuerInfo": [{"issuer": {"iss": SHC_ISSUER, "name": "Example"}, **jwks}]})
    )
    card = (SHC / "example-00-d-jws.txt").read_text().strip()
    result = CliRunner().invoke(
        app, ["verify", card, "--json", "--at", "2023-07-01T00:00:00Z", "--trust", str(directory)]
    )
    (report,) = _reports(result.stdout)
    assert report["valid"] is True, report["errors"]
