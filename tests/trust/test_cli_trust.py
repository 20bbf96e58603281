"""``healthcert trust``: add, list and remove, as people and programs use them."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from healthcert.cli.trust import app
from healthcert.keys.home import HOME_ENV

from . import pki

DE_LIST = Path(__file__).parents[1] / "data" / "trustlists" / "eu-national-mirror-de.json"
runner = CliRunner()


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    return tmp_path / "home"


def _run(code: int, *args: str) -> tuple[str, str]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.stdout, result.stderr


def test_add_list_remove_round_trip(tmp_path: Path) -> None:
    out, _ = _run(0, "add", str(DE_LIST))
    assert "eu-national-mirror-de.json: 832 keys added, 0 skipped" in out
    spanish = "ES kid 44e1c943d4524bfa: not strict DER, read tolerantly: BasicConstraints has a"
    assert f"warning eu-national-mirror-de.json {spanish}" in " ".join(out.split())
    lines = [json.loads(line) for line in _run(0, "list", "--json")[0].splitlines()]
    assert len(lines) == 832
    [es] = [line for line in lines if line["kid"] == "ROHJQ9RSS/o="]
    assert es["warning"].endswith("BasicConstraints has a pathLenConstraint with cA FALSE")
    assert sum("warning" in line for line in lines) == 6
    nl = next(line for line in lines if line["kid"] == "+7gPaASOAJY=")
    assert nl["country"] == "NL" and nl["types"] == ["recovery"]
    assert nl["source"] == "eu-national-mirror-de.json"
    assert "Health DSC for recovery" in nl["subject"]
    assert datetime.fromisoformat(nl["not_before"]) < datetime.fromisoformat(nl["not_after"])
    assert {"kid", "country", "types", "subject", "not_before", "not_after", "source"} <= set(nl)
    german = _run(0, "list", "--json", "--country", "de")[0].splitlines()
    assert len(german) == 214
    out, _ = _run(0, "remove", "+7gPaASOAJY=")
    assert "Removed 1 entry" in out
    assert len(_run(0, "list", "--json")[0].splitlines()) == 831
    _run(0, "remove", "--source", "eu-national-mirror-de.json")
    assert _run(0, "list", "--json")[0] == ""
    assert "empty" in _run(0, "list")[0]


def test_add_json_report(tmp_path: Path) -> None:
    path = tmp_path / "xa.pem"
    csca = pki.csca("XA")
    path.write_bytes(
        pki.pem(csca.certificate, pki.dsc(csca).certificate, pki.dsc(pki.csca("XA")).certificate)
    )
    [report] = [json.loads(line) for line in _run(0, "add", "--json", str(path))[0].splitlines()]
    assert (report["added"], report["anchors"]) == (1, 1)
    assert [s["reason"] for s in report["skipped"]] == ["not signed by any trusted CSCA of XA"]
    out = _run(0, "list")[0]
    assert "1 trusted keys" in out and "Trusted CSCAs for: XA" in out


def test_errors_are_one_red_line(tmp_path: Path) -> None:
    _, err = _run(2, "add", str(tmp_path / "absent.json"))
    assert err.strip().splitlines() == [f"error: {tmp_path / 'absent.json'}: no such file"]
    _, err = _run(1, "remove", "AAAAAAAAAAA=")
    assert err.strip() == "error: nothing in the trust store matches kid AAAAAAAAAAA="
    _, err = _run(2, "remove")
    assert err.strip() == "error: name either a KID or --source NAME"
    _, err = _run(2, "remove", "AAAAAAAAAAA=", "--source", "x")


def test_many_skips_are_summarised_for_people(tmp_path: Path) -> None:
    anchor = tmp_path / "de.pem"
    anchor.write_bytes(pki.pem(pki.csca("DE").certificate))
    _run(0, "add", str(DE_LIST))
    out, _ = _run(0, "add", str(anchor))
    assert "214 earlier keys dropped" in out and "... and 194 more" in out


def test_every_command_and_option_has_help() -> None:
    commands = getattr(typer.main.get_command(app), "commands", {})
    assert set(commands) == {"add", "list", "remove", "sync"}
    for command in commands.values():
        assert command.help
        for parameter in command.params:
            assert getattr(parameter, "help", None), f"{command.name} {parameter.name}"


def test_a_border_key_is_added_and_listed_with_its_usage(tmp_path: Path) -> None:
    from healthcert.keys.border import create_border_key

    csca = pki.csca("FR")
    border = create_border_key(csca)
    path = tmp_path / "border-FR.pem"
    path.write_bytes(pki.pem(csca.certificate, border.certificate))
    out, _ = _run(0, "add", str(path))
    assert " ".join(out.split()) == (
        "border-FR.pem: 1 keys added (border keys: 1, for key agreement: sealed to, no signing), "
        "0 skipped, 1 CSCAs trusted"
    )
    [line] = [json.loads(line) for line in _run(0, "list", "--json")[0].splitlines()]
    assert (line["usage"], line["types"], line["country"]) == ("border", [], "FR")
    table = _run(0, "list")[0]  # the types column folds "border (key agreement)" at 80 columns
    assert "border (key" in table and "agreement)" in table and "none" not in table
    # A signing key says so too.
    signer = tmp_path / "fr-dsc.pem"
    signer.write_bytes(pki.pem(pki.dsc(csca).certificate))
    [report] = [json.loads(line) for line in _run(0, "add", "--json", str(signer))[0].splitlines()]
    assert (report["added"], report["border_keys"]) == (1, 0)
    usages = sorted(json.loads(line)["usage"] for line in _run(0, "list", "--json")[0].splitlines())
    assert usages == ["border", "signing"]
