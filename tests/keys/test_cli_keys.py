from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from healthcert.cli.keys import app
from healthcert.keys.home import HOME_ENV
from healthcert.keys.keyfile import PASSPHRASE_ENV

SECRET = "a long enough passphrase"
runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    monkeypatch.setenv(PASSPHRASE_ENV, SECRET)
    return tmp_path


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    return result.stdout


def _error(code: int, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def test_init_dsc_list_round_trip(home: Path) -> None:
    assert "Created CSCA" in _ok("init", "--country", "nl", "--name", "NL test CSCA")
    assert "Created DSC" in _ok("dsc", "--types", "vaccination,test", "--days", "30")
    listing = json.loads(_ok("list", "--json"))
    assert listing["csca"]["subject"] == "CN=NL test CSCA,C=NL"
    [dsc] = listing["dscs"]
    assert dsc["types"] == ["test", "vaccination"]
    assert dsc["algorithm"] == "ES256" and dsc["current"] and dsc["status"] == "valid"
    key_file = home / "keys" / f"dsc-{dsc['kid_hex']}.key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "in use" in _ok("list")


def test_init_refuses_to_overwrite_without_force(home: Path) -> None:
    _ok("init", "--country", "DE")
    before = (home / "keys" / "csca.pem").read_bytes()
    assert "--force" in _error(1, "init", "--country", "DE")
    assert (home / "keys" / "csca.pem").read_bytes() == before
    _ok("init", "--country", "DE", "--force")
    assert (home / "keys" / "csca.pem").read_bytes() != before


def test_ps256_dsc_and_validity_capped(home: Path) -> None:
    _ok("init", "--country", "DE")
    assert "shortened" in _ok("dsc", "--alg", "ps256", "--days", "100000")
    [dsc] = json.loads(_ok("list", "--json"))["dscs"]
    assert dsc["algorithm"] == "PS256"


def test_missing_passphrase_exits_2(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV)
    assert PASSPHRASE_ENV in _error(2, "init", "--country", "DE")
    assert not (home / "keys").exists()


def test_wrong_passphrase_exits_3(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _ok("init", "--country", "DE")
    monkeypatch.setenv(PASSPHRASE_ENV, "xyzzy-not-it")
    line = _error(3, "dsc")
    assert "cannot decrypt" in line and "xyzzy" not in line


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["dsc", "--types", "vaccination,antibody"], "unknown kind antibody"),
        (["dsc", "--alg", "RS256"], "ES256, PS256"),
        (["dsc", "--days", "0"], "at least 1"),
        (["init", "--country", "DEU"], "two-letter"),
    ],
)
def test_bad_options_exit_2(home: Path, args: list[str], text: str) -> None:
    _ok("init", "--country", "DE")
    assert text in _error(2, *args)


def test_dsc_without_csca(home: Path) -> None:
    assert "keys init" in _error(3, "dsc")


def test_list_empty(home: Path) -> None:
    assert json.loads(_ok("list", "--json")) == {"csca": None, "dscs": []}
    assert "No keys" in _ok("list")


def test_every_command_and_option_has_help() -> None:
    group = typer.main.get_command(app)
    commands = getattr(group, "commands", {})
    assert set(commands) == {"init", "dsc", "border", "list", "jwks", "party"}
    for command in commands.values():
        assert command.help
        for parameter in command.params:
            assert getattr(parameter, "help", None), f"{command.name} {parameter.name}"
