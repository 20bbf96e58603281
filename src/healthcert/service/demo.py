"""``healthcert serve --demo``: a demo country, API keys and a demo holder, ready to try.

The demo holder's one-time sign-in code is printed in the terminal (the demo notifier), so a
person can walk the whole path: sign in, obtain the certificate, open the PDF, verify it.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from healthcert.formats import registry
from healthcert.service.apikeys import create_key
from healthcert.service.audit import Actor
from healthcert.service.notifier import OutboxNotifier
from healthcert.service.records import parse_record, store_record

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from healthcert.service.context import ServiceContext

DEMO_HOME = Path("var/demo-home")
# A demo secret only: a real deployment keeps the passphrase in its secret store.
DEMO_PASSPHRASE = "demo-only-passphrase"
DEMO_DOCUMENT = "E12345678"
DEMO_BIRTH = "1985-07-21"
DEMO_RECORD = {
    "record_id": "demo-0001",
    "holder": {
        "document_type": "passport",
        "document_number": DEMO_DOCUMENT,
        "family_name": "王",
        "given_name": "小明",
        "family_name_latin": "WANG",
        "given_name_latin": "XIAOMING",
        "date_of_birth": DEMO_BIRTH,
        "contact": "+86 10 5555 0100 (demo)",
    },
    "entry": {
        "kind": "vaccination",
        "vaccine": "J07BX03",
        "product": "EU/1/20/1528",
        "manufacturer": "ORG-100030215",
        "dose_number": 2,
        "total_doses": 2,
        "date": "2026-09-14",
    },
}


class TerminalNotifier(OutboxNotifier):
    """The outbox, and the message printed where the person running the demo sees it."""

    def send(self, session: Session, recipient: str, body: str, at: datetime) -> None:
        super().send(session, recipient, body, at)
        print(f"\n>>> message to the demo holder ({recipient}): {body}\n", flush=True)


def prepare_environment() -> None:
    """Demo defaults for what the operator did not set: keys under ./var, a known passphrase."""
    os.environ.setdefault("HEALTHCERT_HOME", str(DEMO_HOME))
    os.environ.setdefault("HEALTHCERT_KEY_PASSPHRASE", DEMO_PASSPHRASE)


def set_up(ctx: ServiceContext, host: str, port: int) -> None:
    """Create the demo's keys and holder record, and print what to open and try."""
    ctx.notifier = TerminalNotifier()
    operator = Actor("admin", "demo")
    keys = {
        role: create_key(ctx, role, f"demo {role}", operator).secret
        for role in ("recorder", "issuer", "verifier")
    }
    recorder = Actor("recorder", "demo vaccination site")
    record = store_record(ctx, parse_record(DEMO_RECORD), recorder).record.id
    print(_instructions(f"http://{host}:{port}/api/v1", keys, record), flush=True)


def _instructions(base: str, keys: dict[str, str], record: int) -> str:
    identity = f'{{"document_number": "{DEMO_DOCUMENT}", "date_of_birth": "{DEMO_BIRTH}"}}'
    return f"""
healthcert demo: country CN, one vaccination record for the demo holder WANG XIAOMING.

  Open {base}/docs to try every endpoint.

  API keys (shown once):
    recorder  {keys["recorder"]}
    issuer    {keys["issuer"]}
    verifier  {keys["verifier"]}

  As the demo holder:
    curl -X POST {base}/holder/sign-in -H 'Content-Type: application/json' \\
         -d '{identity}'
    (the code appears in this terminal)
    curl -X POST {base}/holder/session -H 'Content-Type: application/json' \\
         -d '{identity[:-1]}, "code": "<code>"}}'
    curl -H 'Authorization: Bearer <token>' {base}/holder/records
    curl -X POST -H 'Authorization: Bearer <token>' -H 'Content-Type: application/json' \\
         -d '{{"format": "{registry.EU_DCC}"}}' {base}/holder/records/{record}/certificates
    open {base}/holder/certificates/<id>/pdf with the same Authorization header
"""
