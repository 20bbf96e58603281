"""The format registry is the one list of formats: detection, issuance and the command line
read it (the service: ``tests/service/test_issuance_core.py``), and no module writes a
format's name or order again."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthcert import issuance, verification
from healthcert.cli import app
from healthcert.codec.qr import default_error_level
from healthcert.errors import RequestError
from healthcert.formats import registry

SOURCES = Path(__file__).parents[2] / "src" / "healthcert"
SAMPLES = {
    registry.EU_DCC: "HC1:6BFOXN%TS3DH0YOJ58S",
    registry.SHC: "shc:/5676290952432060346029243740",
    registry.ICAO_VDS_NC: '{"data": {"hdr": {}}, "sig": {}}',
    registry.HEALTH_CODE: "HCD1:6BFOXN%TS3DH0YOJ58S",
    registry.LIGHT: "HCL1:6BFOXN%TS3DH0YOJ58S",
    registry.SEALED: "HCS1:6BFOXN%TS3DH0YOJ58S",
}


def test_the_registry_names_the_public_formats_in_detection_order() -> None:
    assert registry.NAMES == ("eu-dcc", "shc", "icao-vds-nc", "health-code", "light", "sealed")
    assert [wire_format.prefix for wire_format in registry.FORMATS] == [
        "HC1:",
        "shc:/",
        "{",
        "HCD1:",
        "HCL1:",
        "HCS1:",
    ]


def test_verification_detects_in_the_registrys_order_with_its_modules() -> None:
    assert tuple(info.module for info in registry.FORMATS) == verification.FORMAT_MODULES
    for info in registry.FORMATS:
        module = importlib.import_module(info.module)
        assert (module.name, verification.detect(SAMPLES[info.name])) == (info.name, module)


def test_each_formats_qr_error_level_comes_from_the_registry() -> None:
    for info in registry.FORMATS:
        assert default_error_level(SAMPLES[info.name]) == info.qr_error_level


def test_issuance_signs_every_registered_format_and_no_other() -> None:
    assert tuple(issuance._ENCODERS) == registry.CERTIFICATE_FORMATS
    assert registry.CERTIFICATE_FORMATS == ("eu-dcc", "shc", "icao-vds-nc")
    with pytest.raises(
        RequestError, match="one of eu-dcc, shc, icao-vds-nc, health-code, light, sealed"
    ):
        registry.info("pdf")
    # A health code is no certificate: issue_health_code signs it, from its own input.
    with pytest.raises(RequestError, match="a health code carries no certificate"):
        issuance.issue_many([], None, registry.HEALTH_CODE)  # type: ignore[arg-type]
    # Nor is a light certificate: issue_light makes it from a verified certificate.
    with pytest.raises(RequestError, match="a light certificate carries no certificate"):
        issuance.issue_many([], None, registry.LIGHT)  # type: ignore[arg-type]


def test_the_command_line_offers_the_registrys_formats() -> None:
    runner = CliRunner()
    # The words of the help, out of rich's frame.
    help_text = " ".join(runner.invoke(app, ["issue", "--help"]).output.replace("│", " ").split())
    for info in registry.FORMATS:
        assert (f"{info.name} ({info.title})" in help_text) is info.carries_certificate
        assert f"{info.qr_error_level} for {info.name}" in help_text
    refused = runner.invoke(app, ["issue", "--json", "x.json", "--format", "pdf"])
    assert refused.exit_code == 2
    assert "is not one of eu-dcc, shc, icao-vds-nc" in " ".join(
        refused.output.replace("│", " ").split()
    )


def test_no_module_writes_a_format_name_but_the_registry() -> None:
    """``shc`` is left out: it also names a route and a report key."""
    written = []
    for path in sorted(SOURCES.rglob("*.py")):
        if path.name == "registry.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in ("eu-dcc", "icao-vds-nc"):
                written.append(f"{path.relative_to(SOURCES)}:{node.lineno}")
    assert written == []
