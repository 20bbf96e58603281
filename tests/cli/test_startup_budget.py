"""What the command line loads at start-up: the service stack, the rules engine and the other
formats' readers wait until a command or a payload needs them, so ``healthcert verify`` of one
EU DCC answers in a fraction of a second."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from healthcert.issuance import IssueRequest, issue_hc1

from ..rules.certs import CLOCK, Issuer, vaccination
from .fresh_process import loaded_by

# Loaded by no command before a payload or the command itself needs them.
DEFERRED = [
    "alembic",
    "fastapi",
    "fpdf",
    "healthcert.api",
    "healthcert.database",
    "healthcert.declarations",
    "healthcert.rules.certlogic",
    "healthcert.service",
    "segno",
    "sqlalchemy",
    "starlette",
    "uvicorn",
]
# A loaded CI machine runs ``healthcert --help`` in about a third of this.
HELP_SECONDS = 2.0


def test_help_loads_nothing_deferred() -> None:
    assert loaded_by(["--help"], DEFERRED) == "0 []"


def test_verifying_a_plain_eu_dcc_loads_nothing_deferred(issuer: Issuer, dsc_file: Path) -> None:
    request = IssueRequest.model_validate(
        {
            "holder": {
                "family_name": "Musterfrau",
                "given_name": "Erika",
                "date_of_birth": "1964-08-12",
            },
            "entry": vaccination(),
            "valid_days": 30,
        }
    )
    payload = issue_hc1(request, issuer.signer, now=CLOCK - timedelta(hours=1))
    args = ["verify", "--json", "--at", CLOCK.isoformat(), "--trust", str(dsc_file), payload]
    watched = [
        *DEFERRED,
        "healthcert.rules",
        "healthcert.formats.vdsnc",
        "healthcert.model.certificate",
    ]
    assert loaded_by(args, watched) == "0 []"


def test_help_starts_within_its_budget() -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "healthcert", "--help"], capture_output=True, text=True, check=True
    )
    elapsed = time.monotonic() - started
    assert "verify" in done.stdout
    assert elapsed < HELP_SECONDS, f"healthcert --help took {elapsed:.2f} s"
