"""The command line run in a fresh interpreter, to see which modules a command loads."""

from __future__ import annotations

import subprocess
import sys

_SCRIPT = """
import sys
from typer.testing import CliRunner
from healthcert.cli import app
watched = sys.argv[1].split(",")
result = CliRunner().invoke(app, sys.argv[2:])
print(result.exit_code, sorted(
    module for module in sys.modules
    if any(module == name or module.startswith(name + ".") for name in watched)
))
"""


def loaded_by(args: list[str], watched: list[str]) -> str:
    """``healthcert ARGS`` run in a fresh interpreter: "<exit code> [<the watched modules,
    and their submodules, it loaded>]"."""
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, ",".join(watched), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip() + done.stderr
