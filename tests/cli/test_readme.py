"""The README's command-line walkthrough runs as written, on a fresh key home, top to bottom.

Every ``sh`` block is run except those that need what a test cannot give: ``make`` (the whole
install), ``curl`` (a running service) and ``healthcert serve`` itself (it never returns).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import typer

from healthcert.cli import app

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _commands() -> list[str]:
    """The README's runnable command lines, continuation lines joined, in reading order."""
    lines: list[str] = []
    for block in _BLOCK.findall(README.read_text(encoding="utf-8")):
        if "make " in block or "curl " in block:
            continue
        joined = block.replace("\\\n", " ")
        lines += [line for line in joined.splitlines() if line.strip()]
    return [line for line in lines if not line.startswith("healthcert serve")]


def _has_command(*path: str) -> bool:
    command = typer.main.get_command(app)
    for name in path:
        command = getattr(command, "commands", {}).get(name)
        if command is None:
            return False
    return True


def test_every_example_file_the_readme_names_exists() -> None:
    named = set(re.findall(r"examples/[\w.-]+", README.read_text(encoding="utf-8")))
    assert {"examples/requests.jsonl", "examples/records.jsonl"} <= named
    assert sorted(path for path in named if not (ROOT / path).is_file()) == []


def test_the_walkthrough_runs_as_written(tmp_path: Path) -> None:
    commands = _commands()
    assert len(commands) >= 20 and commands[0].startswith("export HEALTHCERT_HOME=")
    if not _has_command("keys", "jwks"):
        # The SMART Health Card lines need the issuer's JWKS, which ``keys jwks`` writes.
        commands = [line for line in commands if "jwks" not in line]
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    script = "set -eu -o pipefail\ntrap 'echo \"FAILED: $BASH_COMMAND\" >&2' ERR\n"
    script += "\n".join(commands) + "\n"
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("HEALTHCERT_") and key != "COLUMNS"
    }
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    payloads = (tmp_path / "payloads.txt").read_text().splitlines()
    requests = (ROOT / "examples" / "requests.jsonl").read_text().splitlines()
    assert len(payloads) == len(requests) and all(p.startswith("HC1:") for p in payloads)
    assert (tmp_path / "healthcert-home" / "keys" / "csca.pem").is_file()
    assert (tmp_path / "var" / "healthcert.db").is_file()
    assert "stored 6 certificates" in done.stderr
