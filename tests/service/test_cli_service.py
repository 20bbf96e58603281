"""The service's commands: db upgrade, apikey, audit; and the verifier's start-up stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from healthcert.cli import app
from healthcert.database.migrate import head_revision


def test_db_upgrade_then_apikey_create_and_list(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade", "--url", url])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"schema at revision {head_revision()}" in upgraded.output
    assert head_revision() == "0005"
    create = ["apikey", "create", "--role", "recorder", "--label", "Lab Berlin", "--url", url]
    created = runner.invoke(app, create)
    assert created.exit_code == 0, created.output
    taken = runner.invoke(app, create)
    assert taken.exit_code == 2
    assert "the label 'Lab Berlin' is taken" in taken.output
    office = runner.invoke(
        app, [*create[:4], "--label", "Passport office", "--identity-source", "--url", url]
    )
    assert office.exit_code == 0, office.output
    secret = created.output.strip()
    assert secret.startswith("hck_")
    listed = runner.invoke(app, ["apikey", "list", "--url", url])
    assert "recorder" in listed.output
    assert secret not in listed.output
    lines = listed.output.splitlines()
    assert lines[0].endswith("\tactive") and "Lab Berlin" in lines[0]
    assert lines[1].endswith("\tactive, identity source") and "Passport office" in lines[1]
    audit = runner.invoke(app, ["audit", "--url", url])
    assert "apikey.create" in audit.output


def test_an_unknown_role_is_a_usage_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    command = ["apikey", "create", "--role", "root", "--label", "x", "--url", url]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2


def test_verify_does_not_import_the_service_stack() -> None:
    code = (
        "import sys, healthcert.cli;"
        "heavy = [m for m in ('fastapi', 'sqlalchemy', 'alembic', 'uvicorn', 'fpdf') "
        "if m in sys.modules];"
        "print(','.join(heavy))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == ""
