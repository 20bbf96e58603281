"""``healthcert serve --demo``: a demo country, a recorder key and a demo holder, ready to try."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext

DEMO_HOME = Path("var/demo-home")
# A demo secret only: a real deployment keeps the passphrase in its secret store.
DEMO_PASSPHRASE = "demo-only-passphrase"


def prepare_environment() -> None:
    """Demo defaults for what the operator did not set: keys under ./var, a known passphrase."""
    os.environ.setdefault("HEALTHCERT_HOME", str(DEMO_HOME))
    os.environ.setdefault("HEALTHCERT_KEY_PASSPHRASE", DEMO_PASSPHRASE)


def set_up(ctx: ServiceContext, host: str, port: int) -> None:
    """Create the demo's API keys and print what to open."""
    from healthcert.service.apikeys import create_key
    from healthcert.service.audit import Actor

    operator = Actor("admin", "demo")
    recorder = create_key(ctx, "recorder", "demo vaccination site", operator)
    base = f"http://{host}:{port}/api/v1"
    print(f"\nDemo recorder key: {recorder.secret}")
    print(f"Open {base}/docs to try the API.\n")
