"""``pip install healthcert``, without the service extra, in a fresh virtual environment: the
library issues and verifies, the commands for keys, trust, issue, verify and rules work, none
of the service's packages is there, and the service's commands refuse with the install hint.

The project is copied (its sources, not this checkout's build products) and installed as a
user would, dependencies from the package index pip is configured with. The test is skipped
only when that install fails and the index cannot be reached.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parent.parent
REQUEST = PROJECT / "examples" / "request-vaccination.json"
HINT = "pip install 'healthcert[service]'"
SERVICE_PACKAGES = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg", "fpdf")

# Run with the environment's Python, in a key home the commands made: the public API alone
# issues, verifies (also with verify_many and two workers, and with a verdict), and each
# service package is tried.
LIBRARY_SCRIPT = """
import importlib, json, os, sys
from pathlib import Path
import healthcert

keys = Path(os.environ["HEALTHCERT_HOME"]) / "keys"
trust = healthcert.TrustStore.from_paths([str(keys)])
signer = healthcert.Signer.load()
payload = healthcert.issue(json.loads(sys.argv[1]), signer=signer, format="eu-dcc")
alone = healthcert.verify(payload, trust=trust)
judged = healthcert.verify(payload, trust=trust, country="CN", origin="DE")
many = list(healthcert.verify_many([payload, "nonsense"] * 50, trust=trust, workers=2))
missing = []
for name in sys.argv[2:]:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        missing.append(name)
print(json.dumps({
    "prefix": payload[:4],
    "valid": alone.valid,
    "verdict": judged.to_dict()["verdict"],
    "many": [report.valid for report in many[:4]] + [len(many)],
    "codes": sorted({error.code for report in many for error in report.errors}),
    "missing": missing,
}))
"""


def _index_reachable() -> bool:
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/")
    try:
        with urllib.request.urlopen(f"{index}/pip/", timeout=10):
            return True
    except OSError:
        return False


def _copy_sources(target: Path) -> None:
    """What a clean clone holds for the install: no virtual environment, no built modules."""
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(PROJECT / name, target / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.so", "*.egg-info", "*.pyc")
    shutil.copytree(PROJECT / "src", target / "src", ignore=ignore)


@pytest.fixture(scope="module")
def core_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin directory of a fresh environment where healthcert is installed without extras."""
    root = tmp_path_factory.mktemp("core-install")
    project = root / "project"
    project.mkdir()
    _copy_sources(project)
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(project)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
    )
    if done.returncode != 0:
        if not _index_reachable():
            pytest.skip(f"the package index cannot be reached to install healthcert: {done.stderr}")
        raise AssertionError(f"pip install failed:\n{done.stdout}\n{done.stderr}")
    return venv / "bin"


def _run(bin_dir: Path, *args: str, home: Path, stdin: str | None = None) -> Any:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    environment.update(
        {
            "HEALTHCERT_HOME": str(home),
            "HEALTHCERT_KEY_PASSPHRASE": "only for this test",
            "COLUMNS": "200",
        }
    )
    return subprocess.run(
        [str(bin_dir / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        env=environment,
        input=stdin,
        timeout=120,
        cwd=home,
    )


def test_the_core_install_works_without_the_service(core_install: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    request = REQUEST.read_text(encoding="utf-8")

    def command(*args: str, code: int = 0) -> str:
        done = _run(core_install, "healthcert", *args, home=home)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        return done.stdout

    assert "verify" in command("--help")
    command("keys", "init", "--country", "CN")
    command("keys", "dsc")
    keys = home / "keys"
    (dsc,) = [path for path in keys.glob("dsc-*.pem") if not path.name.endswith(".key.pem")]
    command("trust", "add", str(keys / "csca.pem"), str(dsc))
    assert "CN" in command("trust", "list")
    payload = command("issue", "--json", str(REQUEST)).strip()
    (report,) = [json.loads(line) for line in command("verify", "--json", payload).splitlines()]
    assert (report["valid"], report["errors"]) == (True, [])
    assert command("rules", "list", "--country", "DE")

    library = _run(
        core_install, "python", "-c", LIBRARY_SCRIPT, request, *SERVICE_PACKAGES, home=home
    )
    assert library.returncode == 0, library.stderr
    assert json.loads(library.stdout) == {
        "prefix": "HC1:",
        "valid": True,
        "verdict": "green",
        "many": [True, False, True, False, 100],
        "codes": ["PREFIX_INVALID"],
        "missing": list(SERVICE_PACKAGES),
    }

    for args in (["serve"], ["db", "upgrade"], ["apikey", "list"], ["audit"]):
        done = _run(core_install, "healthcert", *args, home=home)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert HINT in " ".join(done.stderr.split()), done.stderr
        assert "Traceback" not in done.stderr
        assert not (home / "var").exists()  # no database was made
