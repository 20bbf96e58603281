"""Without the service extra, its commands refuse with the install hint (exit 2) before doing
anything, and their help still shows; the other commands do not care.

Here the service is installed, so a missing package is played by adding a module that does not
exist to those the commands check for. ``tests/test_core_install.py`` installs the package
without the extra in a fresh environment and runs the real commands there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthcert.cli import app, service_extra
from healthcert.keys.home import HOME_ENV
from healthcert.keys.keyfile import PASSPHRASE_ENV

ABSENT = "healthcert_absent_service_module"
runner = CliRunner()


@pytest.fixture
def without_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_extra, "SERVICE_MODULES", ("fastapi", ABSENT, "sqlalchemy"))


def _refused(args: list[str], env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    return " ".join(result.stderr.split())  # as one line, whatever the terminal's width


@pytest.mark.usefixtures("without_service")
@pytest.mark.parametrize(
    "args",
    [
        ["serve"],
        ["db", "upgrade"],
        ["db", "current"],
        ["apikey", "create", "--role", "admin", "--label", "ops"],
        ["apikey", "list"],
        ["apikey", "revoke", "1"],
        ["audit"],
    ],
)
def test_service_commands_refuse_with_the_install_hint(args: list[str], tmp_path: Path) -> None:
    database = tmp_path / "service.db"
    message = _refused([*args, "--url", f"sqlite:///{database}"])
    assert message == (
        "error: this command needs the certificate service, which is not installed "
        f"(missing: {ABSENT}); install it with: pip install 'healthcert[service]'"
    )
    assert not database.exists()  # refused before anything ran


@pytest.mark.usefixtures("without_service")
def test_issue_store_refuses_with_the_install_hint(tmp_path: Path) -> None:
    env = {HOME_ENV: str(tmp_path / "home"), PASSPHRASE_ENV: "only for this test"}
    for args in (["keys", "init", "--country", "CN"], ["keys", "dsc"]):
        assert runner.invoke(app, args, env=env).exit_code == 0
    batch = tmp_path / "records.jsonl"
    batch.write_text("{}\n", encoding="utf-8")
    database = tmp_path / "service.db"
    args = ["issue", "--batch", str(batch), "--store", "--url", f"sqlite:///{database}"]
    message = _refused(args, env)
    assert f"(missing: {ABSENT}); install it with: pip install 'healthcert[service]'" in message
    assert not database.exists()


@pytest.mark.usefixtures("without_service")
@pytest.mark.parametrize("args", [["serve", "--help"], ["db", "upgrade", "--help"], ["--help"]])
def test_help_shows_without_the_service(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Usage: healthcert" in result.stdout


@pytest.mark.usefixtures("without_service")
def test_core_commands_run_without_the_service(tmp_path: Path) -> None:
    env = {HOME_ENV: str(tmp_path), PASSPHRASE_ENV: "only for this test"}
    assert runner.invoke(app, ["keys", "init", "--country", "CN"], env=env).exit_code == 0
    result = runner.invoke(app, ["verify", "--json", "nonsense"], env=env)
    assert result.exit_code == 1, result.output
    assert '"code":"PREFIX_INVALID"' in result.stdout


def test_with_the_service_installed_nothing_is_missing() -> None:
    assert service_extra.missing_modules() == []
