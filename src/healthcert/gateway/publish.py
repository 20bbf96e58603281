"""``healthcert gateway publish``: upload what is new since last time, each signed as CMS by
this country's UPLOAD key: its DSCs and border certificates (``border-CC.pem``, from the key
directory), rules (JSON files) and revocations (UCIs, as one batch of UCI hashes).

What was accepted is remembered per gateway in ``$HEALTHCERT_HOME/gateway-client/published.json``;
an entry the gateway already holds (409 for a kid) counts as published too.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.errors import HealthcertError
from healthcert.gateway.client import Connection, GatewayError
from healthcert.gateway.cms import sign_cms
from healthcert.keys.directory import KeyDirectory
from healthcert.keys.home import healthcert_home
from healthcert.keys.keyfile import read_certificate, write_atomically
from healthcert.keys.kid import kid_of
from healthcert.keys.material import CertifiedKey
from healthcert.keys.subject import subject_country
from healthcert.rules.rule import RuleError, load_rules_json
from healthcert.trust.revocation import UCI, revocation_hash

REVOCATION_DAYS = 365
# Where the gateway answers 409 "exists" for a kid it holds: published before, from here.
CERTIFICATE_PATHS = ("/signerCertificate", "/borderCertificate")
BORDER_FILES = "border-[A-Z][A-Z].pem"  # keys.border.border_paths; the keys end .key.pem


class PublishError(HealthcertError):
    """Something to publish that the gateway refused, or that cannot be read."""


@dataclass(slots=True)
class Published:
    """What one run uploaded, and what the gateway refused (with its reason)."""

    dscs: list[str] = field(default_factory=list)
    borders: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    batches: list[str] = field(default_factory=list)
    already: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)


def ledger_path(home: Path | None = None) -> Path:
    return (home if home is not None else healthcert_home()) / "gateway-client" / "published.json"


def publish(
    connection: Connection,
    upload: CertifiedKey,
    directory: KeyDirectory,
    *,
    rule_files: Sequence[Path] = (),
    revoked_ucis: Sequence[str] = (),
    home: Path | None = None,
) -> Published:
    """Upload what ``connection``'s gateway has not accepted from here yet."""
    ledger = _read_ledger(home)
    done = ledger.setdefault(connection.url, {"dsc": [], "rules": [], "batches": []})
    done.setdefault("border", [])  # a ledger written before border keys were published
    outcome = Published()
    for stored in directory.dscs():
        der = stored.certificate.public_bytes(Encoding.DER)
        _send(
            connection,
            "/signerCertificate",
            der,
            upload,
            stored.kid.hex(),
            done["dsc"],
            outcome,
            outcome.dscs,
        )
    for path in border_certificates(directory):
        certificate = read_certificate(path)
        _send(
            connection,
            "/borderCertificate",
            certificate.public_bytes(Encoding.DER),
            upload,
            kid_of(certificate).hex(),
            done["border"],
            outcome,
            outcome.borders,
        )
    for identifier, document in _rules(rule_files):
        _send(
            connection,
            "/rules",
            document,
            upload,
            identifier,
            done["rules"],
            outcome,
            outcome.rules,
        )
    if revoked_ucis:
        country = _country(directory)
        batch = _batch(country, revoked_ucis)
        name = hashlib.sha256(json.dumps(batch["entries"]).encode()).hexdigest()
        body = json.dumps(batch).encode()
        _send(
            connection,
            "/revocation-list",
            body,
            upload,
            name,
            done["batches"],
            outcome,
            outcome.batches,
        )
    _write_ledger(ledger, home)
    return outcome


def _send(
    connection: Connection,
    path: str,
    content: bytes,
    upload: CertifiedKey,
    name: str,
    done: list[str],
    outcome: Published,
    sent: list[str],
) -> None:
    if name in done:
        outcome.already += 1
        return
    answer = connection.request("POST", path, base64.b64encode(sign_cms(content, upload)))
    if answer.status == 201:
        done.append(name)
        sent.append(name)
        return
    detail = _detail(answer.body)
    if answer.status == 409 and path in CERTIFICATE_PATHS and "exists" in detail:
        done.append(name)
        outcome.already += 1
        return
    if answer.status in (401, 403):
        raise GatewayError(f"{connection.url}{path}: HTTP {answer.status} {detail}")
    outcome.refused.append((name, f"HTTP {answer.status}: {detail}"))


def border_certificates(directory: KeyDirectory) -> list[Path]:
    """The border certificates ``keys border`` wrote in the key directory (not their keys)."""
    return sorted(directory.root.glob(BORDER_FILES))


def _detail(body: bytes) -> str:
    try:
        return str(json.loads(body).get("detail"))
    except (ValueError, AttributeError):
        return body[:300].decode("utf-8", "replace")


def _rules(paths: Iterable[Path]) -> list[tuple[str, bytes]]:
    """Each rule of the files as (Identifier and Version, its exact JSON)."""
    found = []
    for path in paths:
        try:
            text = path.read_bytes()
            rules = load_rules_json(text)
        except OSError as error:
            raise PublishError(f"{path}: cannot read: {error.strerror}") from None
        except RuleError as error:
            raise PublishError(f"{path}: {error}") from None
        for rule in rules:
            document = json.dumps(rule.document, separators=(",", ":")).encode()
            found.append((f"{rule.identifier} {rule.version}", document))
    return found


def _country(directory: KeyDirectory) -> str:
    country = subject_country(directory.load_csca_certificate())
    if country is None:
        raise PublishError("the CSCA names no country: cannot say whose revocations these are")
    return country


def _batch(country: str, ucis: Sequence[str]) -> dict[str, Any]:
    expires = datetime.now(UTC) + timedelta(days=REVOCATION_DAYS)
    entries = [
        {"hash": base64.b64encode(revocation_hash(uci.strip().encode("utf-8"))).decode()}
        for uci in sorted(set(ucis))
    ]
    return {"country": country, "expires": expires.isoformat(), "hashType": UCI, "entries": entries}


def _read_ledger(home: Path | None) -> dict[str, dict[str, list[str]]]:
    path = ledger_path(home)
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise PublishError(f"{path}: cannot read: {error}") from None
    return document if isinstance(document, dict) else {}


def _write_ledger(ledger: dict[str, Any], home: Path | None) -> None:
    write_atomically(ledger_path(home), json.dumps(ledger, indent=1).encode(), 0o600)
