"""The trust data synced from a gateway, as this installation keeps it for offline use.

``$HEALTHCERT_HOME/trust/gateway/`` holds what the last good sync accepted: ``state.json``
(the gateway's URL, its anchor's thumbprint, the change sequence and expiry the anchor signed,
when the sync ran), ``trustlist.json`` (the EU array form, every entry checked),
``revocations.json`` (the revocation batches' hashes) and ``rules.json`` (each country's
rules). The DSCs themselves are in the local trust store under the source ``gateway``. A sync
that fails writes nothing here, so the last good copy stays.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from healthcert.errors import TrustStoreError
from healthcert.keys.keyfile import write_atomically
from healthcert.trust.local import trust_dir
from healthcert.trust.revocation import DccRevocations

SYNC_SOURCE = "gateway"
STATE_FILE = "state.json"
LIST_FILE = "trustlist.json"
REVOCATIONS_FILE = "revocations.json"
RULES_FILE = "rules.json"
MAX_AGE_ENV = "HEALTHCERT_TRUST_MAX_AGE_HOURS"
DEFAULT_MAX_AGE = timedelta(hours=24)


def sync_dir(home: Path | None = None) -> Path:
    return trust_dir(home) / "gateway"


@dataclass(frozen=True, slots=True)
class SyncState:
    """What the last good sync accepted."""

    url: str
    anchor: str  # the SHA-256 thumbprint of the anchor certificate the data was checked with
    seq: int
    revocation_seq: int
    synced_at: str
    expires: str


def read_state(home: Path | None = None) -> SyncState | None:
    """The last good sync's state, or None when this installation never synced."""
    document = read_json(sync_dir(home) / STATE_FILE)
    if document is None:
        return None
    try:
        return SyncState(**document)
    except TypeError as error:
        raise TrustStoreError(f"damaged sync state ({error}); sync again") from None


def read_json(path: Path) -> Any:
    """A JSON file of the sync folder, or None when it does not exist."""
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise TrustStoreError(f"{path}: cannot read the synced trust data: {error}") from None


def write_json(path: Path, document: object) -> None:
    write_atomically(path, json.dumps(document, separators=(",", ":")).encode(), 0o644)


def write_state(state: SyncState, home: Path | None = None) -> None:
    write_json(sync_dir(home) / STATE_FILE, asdict(state))


def max_age(environ: Mapping[str, str] | None = None) -> timedelta:
    """How old synced trust data may be before reports warn: HEALTHCERT_TRUST_MAX_AGE_HOURS."""
    text = (os.environ if environ is None else environ).get(MAX_AGE_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_AGE
    try:
        hours = float(text)
    except ValueError:
        raise TrustStoreError(f"{MAX_AGE_ENV} must be a number of hours, got {text!r}") from None
    if not 0 < hours <= 24 * 365:
        raise TrustStoreError(f"{MAX_AGE_ENV} must be between 0 and 8760 hours")
    return timedelta(hours=hours)


def trust_note(
    state: SyncState, now: datetime | None = None, limit: timedelta = DEFAULT_MAX_AGE
) -> dict[str, Any]:
    """What a report says about the synced trust data: where from, when, and a warning when it
    is older than ``limit`` or past the expiry its gateway signed (a warning, not a failure:
    a border post without a network must still verify)."""
    moment = now or datetime.now(UTC)
    synced = datetime.fromisoformat(state.synced_at)
    expires = datetime.fromisoformat(state.expires)
    age = moment - synced
    note: dict[str, Any] = {
        "source": state.url,
        "synced_at": state.synced_at,
        "age_seconds": int(age.total_seconds()),
        "expires": state.expires,
    }
    if expires <= moment:
        note["warning"] = (
            f"the synced trust list expired at {state.expires}: sync with the gateway again"
        )
    elif age > limit:
        note["warning"] = f"the trust data was synced {_span(age)} ago: sync with the gateway"
    return note


def load_synced_revocations(home: Path | None = None) -> DccRevocations | None:
    """The revoked hashes of every synced batch not yet expired; None when never synced."""
    batches = read_json(sync_dir(home) / REVOCATIONS_FILE)
    if batches is None:
        return None
    now = datetime.now(UTC)
    entries: list[tuple[str, bytes]] = []
    try:
        for batch in batches.values():
            if datetime.fromisoformat(batch["expires"]) <= now:
                continue
            kind = str(batch["hashType"])
            entries.extend((kind, base64.b64decode(text)) for text in batch["hashes"])
    except (AttributeError, KeyError, TypeError, ValueError, binascii.Error) as error:
        raise TrustStoreError(f"damaged synced revocations ({error}); sync again") from None
    return DccRevocations.of(entries)


def _span(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds >= 2 * 3600:
        return f"{seconds // 3600} hours"
    if seconds >= 120:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"
