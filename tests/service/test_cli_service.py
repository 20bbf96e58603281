"""The service's commands: db upgrade, apikey, audit; and the verifier's start-up stays light."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from healthcert.cli import app


def test_db_upgrade_then_apikey_create_and_list(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    upgraded = runner.invoke(app, ["db", "upgrade", "--url", url])
    assert upgraded.exit_code == 0, upgraded.output
    assert "schema at revision 0003" in upgraded.output
    created = runner.invoke(app, ["apikey", "create", "--role", "recorder", "--url", url])
    assert created.exit_code == 0, created.output
    secret = created.output.strip()
    assert secret.startswith("hck_")
    listed = runner.invoke(app, ["apikey", "list", "--url", url])
    assert "recorder" in listed.output
    assert secret not in listed.output
    audit = runner.invoke(app, ["audit", "--url", url])
    assert "apikey.create" in audit.output


def test_an_unknown_role_is_a_usage_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(app, ["apikey", "create", "--role", "root", "--url", url])
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
