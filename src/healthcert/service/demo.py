"""``healthcert serve --demo``: a demo country, API keys and a demo holder, ready to try.

The demo holder's one-time sign-in code is printed in the terminal (the demo notifier), so a
person can walk the whole path: sign in, obtain the certificate, open the PDF, verify it. The
demo passport office, an identity source, gave the holder's contact; the demo vaccination site
reported the record.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from healthcert.database.tables import ApiKey
from healthcert.declarations.filing import file_declaration
from healthcert.declarations.intake import declarations_of
from healthcert.formats import registry
from healthcert.keys.home import HOME_ENV, healthcert_home
from healthcert.keys.keyfile import PASSPHRASE_ENV
from healthcert.service.apikeys import create_key
from healthcert.service.audit import Actor
from healthcert.service.contacts import Contact, set_contact
from healthcert.service.person import Person
from healthcert.service.records import parse_record, store_record

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from healthcert.service.contacts import Contact as Recipient
    from healthcert.service.context import ServiceContext

# A demo secret only: a real deployment keeps the passphrase in its secret store.
DEMO_PASSPHRASE = "demo-only-passphrase"
DEMO_DOCUMENT = "E12345678"
DEMO_BIRTH = "1985-07-21"
DEMO_COUNTRY = "CN"
DEMO_RESIDENCE = "US"
DEMO_CONTACT = "+861055550100"
DEMO_PERSON = Person("passport", DEMO_COUNTRY, DEMO_DOCUMENT, DEMO_BIRTH)
DEMO_RECORD = {
    "record_id": "demo-0001",
    "holder": {
        "document_type": "passport",
        "issuing_country": DEMO_COUNTRY,
        "document_number": DEMO_DOCUMENT,
        "family_name": "王",
        "given_name": "小明",
        "family_name_latin": "WANG",
        "given_name_latin": "XIAOMING",
        "date_of_birth": DEMO_BIRTH,
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


class TerminalNotifier:
    """The demo's delivery: the message printed where the person running the demo sees it
    (nothing is queued, so nothing is sent anywhere)."""

    def send(self, session: Session, recipient: Recipient, body: str, at: datetime) -> None:
        address = recipient.address
        print(f"\n>>> message to the demo holder ({address}): {body}\n", flush=True)


def prepare_environment() -> None:
    """The demo's passphrase where the operator set none. The key home is the one every
    command uses (HEALTHCERT_HOME, else ~/.local/share/healthcert): ``healthcert issue`` and
    ``healthcert verify`` run beside the demo sign with and trust the keys it serves."""
    os.environ.setdefault(PASSPHRASE_ENV, DEMO_PASSPHRASE)


def key_home_lines() -> str:
    """Where the keys are, and what a terminal beside this one exports to use them."""
    home = healthcert_home().expanduser().resolve()
    lines = [f"  Key home: {home} ({HOME_ENV}; the command line uses the same)"]
    if os.environ.get(PASSPHRASE_ENV) == DEMO_PASSPHRASE:
        lines.append(f"    export {PASSPHRASE_ENV}={DEMO_PASSPHRASE}   # in another terminal")
    return "\n".join(lines)


def set_up(ctx: ServiceContext, host: str, port: int) -> None:
    """Create the demo's keys and holder record, and print what to open and try."""
    ctx.notifier = TerminalNotifier()
    operator = Actor("admin", "demo")
    run = secrets.token_hex(3)  # labels are unique, and each start shows new keys
    keys = {
        role: create_key(ctx, role, f"demo {role} {run}", operator).secret
        for role in ("recorder", "issuer", "verifier")
    }
    keys["officer"] = create_key(
        ctx, "officer", f"demo post {run}", operator, [DEMO_RESIDENCE]
    ).secret
    office = _demo_key(ctx, "recorder", "demo passport office", identity_source=True)
    set_contact(ctx, DEMO_PERSON, Contact.parse(DEMO_CONTACT), office)
    recorder = _demo_key(ctx, "recorder", "demo vaccination site")
    record = store_record(ctx, parse_record(DEMO_RECORD), recorder).record.id
    declaration = _seed_declaration(ctx, record)
    base = f"http://{host}:{port}/api/v1"
    print(_instructions(base, keys, record, declaration, _database(ctx)), flush=True)


def _demo_key(
    ctx: ServiceContext, role: str, label: str, *, identity_source: bool = False
) -> Actor:
    """The actor of the demo's standing key of this label, created on the first start: the
    same sender each start, so its record is stored once."""
    with ctx.sessions() as session:
        key_id = session.scalar(select(ApiKey.id).where(ApiKey.label == label))
    if key_id is None:
        operator = Actor("admin", "demo")
        key_id = create_key(ctx, role, label, operator, identity_source=identity_source).id
    return Actor(role, label, key_id)


def _seed_declaration(ctx: ServiceContext, record: int) -> int:
    """The demo holder's declaration, waiting in the demo post's queue (filed once)."""
    person = DEMO_PERSON
    filed = declarations_of(ctx, person)
    if filed:
        return int(filed[-1]["id"])
    return file_declaration(ctx, person, demo_declaration(ctx.clock(), record)).id


def demo_declaration(now: datetime, record: int) -> dict[str, Any]:
    """A declaration from New York home to Beijing in two days, the vaccination as evidence."""
    departure = (now + timedelta(days=2)).replace(microsecond=0)
    return {
        "identity": {"document_type": "passport", "issuing_country": "CN", "nationality": "CN"},
        "residence": {"country": DEMO_RESIDENCE, "city": "New York", "address": "1 Main St"},
        "trip": {
            "from_country": DEMO_RESIDENCE,
            "from_city": "New York",
            "via": [],
            "to_country": "CN",
            "port_of_entry": "PEK",
            "departure": departure.isoformat(),
            "transport": "CA982",
        },
        "evidence": [{"record_id": record}],
        "health": {"symptoms": False, "temperature_c": 36.6},
        "consent": True,
    }


def _database(ctx: ServiceContext) -> str:
    """The database URL a command in another terminal (or folder) reaches: a relative SQLite
    path made absolute, a password hidden."""
    url = ctx.engine.url
    if url.drivername.startswith("sqlite") and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).resolve()))
    return url.render_as_string(hide_password=True)


def _instructions(
    base: str, keys: dict[str, str], record: int, declaration: int, database: str
) -> str:
    identity = (
        f'{{"document_type": "passport", "issuing_country": "{DEMO_COUNTRY}", '
        f'"document_number": "{DEMO_DOCUMENT}", "date_of_birth": "{DEMO_BIRTH}"}}'
    )
    return f"""
healthcert demo: country CN, one vaccination record for the demo holder WANG XIAOMING.

  Open {base}/docs to try every endpoint.

{key_home_lines()}
  Database: {database}
    healthcert issue --batch records.jsonl --store --url '{database}'
    healthcert verify '<payload>'   # both use the keys this service signs with and trusts

  API keys (shown once):
    recorder  {keys["recorder"]}
    issuer    {keys["issuer"]}
    verifier  {keys["verifier"]}
    officer   {keys["officer"]}  (the post for residents of {DEMO_RESIDENCE})

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
    curl -H 'Authorization: Bearer <token>' {base}/holder/health-code

  As the post: the demo holder's declaration {declaration} waits in the queue.
    curl -H 'X-API-Key: {keys["officer"]}' {base}/consular/declarations/{declaration}
    curl -X POST -H 'X-API-Key: {keys["officer"]}' -H 'Content-Type: application/json' \\
         -d '{{"decision": "approve"}}' {base}/consular/declarations/{declaration}/decision
"""
