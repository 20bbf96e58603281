"""``healthcert trust sync``: download a gateway's lists, check everything, keep it offline.

Every page must carry the anchor's signature over its exact body, for the exact request, with
a change sequence no older than the one held and an expiry still ahead. Every onboarded entry
must carry the anchor's signature; every DSC and border certificate must be signed by an
onboarded CSCA of its country (and a border certificate must be one, ``trust.border``); every
revocation batch and rule by an onboarded UPLOAD certificate of its country. Nothing is written
until all of it holds: a sync that fails leaves the last good copy, and says why. A delta with
nothing new costs one request.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.gateway.client import Connection, DownloadRejected
from healthcert.gateway.cms import CmsError, read_cms
from healthcert.gateway.wire import ENTRY_TYPES, DownloadStamp, entry_signature_holds, thumbprint
from healthcert.trust.batch import ImportBatch, ImportResult, Skipped
from healthcert.trust.eulist import import_eu_list
from healthcert.trust.local import load_local_trust, save_local_trust
from healthcert.trust.synced import (
    LIST_FILE,
    REVOCATIONS_FILE,
    RULES_FILE,
    SYNC_SOURCE,
    SyncState,
    read_json,
    read_state,
    sync_dir,
    write_json,
    write_state,
)

PAGE_SIZE = 5000
MAX_PAGES = 200


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What a sync changed."""

    url: str
    seq: int
    full: bool
    changed: bool
    entries: int
    dscs: int
    skipped: tuple[Skipped, ...]
    revocation_batches: int
    rules: int
    expires: str
    border_keys: int = 0  # destinations' border keys kept (certificates are sealed to them)


def sync(
    connection: Connection, home: Path | None = None, now: datetime | None = None
) -> SyncResult:
    """Sync from ``connection``'s gateway into ``home``; GatewayError or DownloadRejected
    (nothing written) when anything fails."""
    try:
        return _sync(connection, home, now)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise DownloadRejected(f"a malformed answer: {error!r}") from None


def _sync(connection: Connection, home: Path | None, now: datetime | None) -> SyncResult:
    moment = now or datetime.now(UTC)
    anchor_print = thumbprint(connection.anchor.public_bytes(Encoding.DER))
    state = read_state(home)
    # The sequence is the gateway's (its anchor's), whatever URL it is reached at: a list older
    # than the one held is a replay even at another address. A delta needs the same URL too.
    known = state is not None and state.anchor == anchor_print
    held = state.seq if known and state is not None else 0
    same = known and state is not None and state.url == connection.url
    changes, stamp = _trust_list(connection, held if same else None, held, moment)
    if same and state is not None and stamp.seq == held and not changes:
        renewed = dataclasses.replace(
            state, synced_at=moment.isoformat(), expires=stamp.expires.isoformat()
        )
        write_state(renewed, home)
        return SyncResult(connection.url, held, False, False, 0, 0, (), 0, 0, renewed.expires)
    folder = sync_dir(home)
    entries = _merged(read_json(folder / LIST_FILE) if same else None, changes)
    _check_parties(connection, entries)
    uploaders = _uploaders(entries)
    revocations = _revocations(
        connection,
        (read_json(folder / REVOCATIONS_FILE) or {}) if same else {},
        state.revocation_seq if same and state is not None else 0,
        held,
        moment,
        uploaders,
    )
    rules = _rules(connection, held, moment, uploaders)
    result = _store_keys(entries, home)
    write_json(folder / LIST_FILE, entries)
    write_json(folder / REVOCATIONS_FILE, revocations)
    write_json(folder / RULES_FILE, rules)
    write_state(
        SyncState(
            url=connection.url,
            anchor=anchor_print,
            seq=stamp.seq,
            revocation_seq=stamp.seq,
            synced_at=moment.isoformat(),
            expires=stamp.expires.isoformat(),
        ),
        home,
    )
    return SyncResult(
        connection.url,
        stamp.seq,
        not same,
        True,
        len(entries),
        result.added - result.border_keys,
        result.skipped + result.dropped,
        len(revocations),
        sum(len(found) for found in rules.values()),
        stamp.expires.isoformat(),
        result.border_keys,
    )


def _trust_list(
    connection: Connection, since: int | None, held: int, now: datetime
) -> tuple[list[dict[str, Any]], DownloadStamp]:
    """Every page of the list (or of the changes after ``since``); the stamp of the first page
    with the earliest expiry of all."""
    entries: list[dict[str, Any]] = []
    first: DownloadStamp | None = None
    for page in range(MAX_PAGES):
        query = f"page={page}&pagesize={PAGE_SIZE}"
        target = f"/trustList?since={since}&{query}" if since is not None else f"/trustList?{query}"
        answer, stamp = connection.signed_get(target, min_seq=held, now=now)
        if first is not None and stamp.seq != first.seq:
            raise DownloadRejected("the list changed while it was read: sync again")
        # The list is as good as its first page's sequence, and as fresh as its stalest page.
        first = stamp if first is None else _earlier(first, stamp)
        entries.extend(_json_list(answer.body, target))
        if not stamp.more:
            assert first is not None
            return entries, first
    raise DownloadRejected(f"more than {MAX_PAGES} pages: refusing a list that never ends")


def _earlier(first: DownloadStamp, other: DownloadStamp) -> DownloadStamp:
    return dataclasses.replace(first, expires=min(first.expires, other.expires))


def _json_list(body: bytes, target: str) -> list[dict[str, Any]]:
    try:
        document = json.loads(body)
    except ValueError:
        raise DownloadRejected(f"{target}: the body is not JSON") from None
    if not isinstance(document, list) or not all(isinstance(e, dict) for e in document):
        raise DownloadRejected(f"{target}: not an array of trust list entries")
    return document


def _key(entry: Mapping[str, Any]) -> tuple[str, str]:
    return str(entry.get("certificateType")), str(entry.get("thumbprint"))


def _merged(
    held: list[dict[str, Any]] | None, changes: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The held list with the changes applied: new entries added, deleted ones removed."""
    by_key = {_key(entry): entry for entry in held or []}
    for entry in changes:
        if entry.get("deleted"):
            by_key.pop(_key(entry), None)
        else:
            by_key[_key(entry)] = entry
    return list(by_key.values())


def _check_parties(connection: Connection, entries: Iterable[Mapping[str, Any]]) -> None:
    """Every CSCA, UPLOAD and AUTHENTICATION entry must carry the anchor's signature."""
    for entry in entries:
        kind = entry.get("certificateType")
        if kind not in ENTRY_TYPES:
            continue
        der = _raw(entry)
        signature = entry.get("signature")
        country = entry.get("country")
        if not (
            isinstance(signature, str)
            and isinstance(country, str)
            and entry_signature_holds(connection.anchor, country, str(kind), der, signature)
        ):
            raise DownloadRejected(
                f"the {kind} entry of {country} {str(entry.get('thumbprint'))[:16]}... is not "
                "signed by the gateway's anchor: refusing the whole list"
            )


def _raw(entry: Mapping[str, Any]) -> bytes:
    try:
        return base64.b64decode(str(entry.get("rawData")), validate=True)
    except (binascii.Error, ValueError):
        raise DownloadRejected("an entry's rawData is not base64") from None


def _uploaders(entries: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """The thumbprints of each country's onboarded UPLOAD certificates."""
    found: dict[str, set[str]] = {}
    for entry in entries:
        if entry.get("certificateType") == "UPLOAD":
            found.setdefault(str(entry["country"]), set()).add(thumbprint(_raw(entry)))
    return found


def _signed_content(cms_text: object, country: str, uploaders: Mapping[str, set[str]]) -> bytes:
    """The content of an uploader's CMS, checked to be by an UPLOAD certificate of ``country``."""
    try:
        signed = read_cms(base64.b64decode(str(cms_text), validate=True))
    except (binascii.Error, ValueError, CmsError) as error:
        raise DownloadRejected(f"a CMS of {country} does not hold: {error}") from None
    if thumbprint(signed.signer.public_bytes(Encoding.DER)) not in uploaders.get(country, set()):
        raise DownloadRejected(f"a CMS of {country} is not signed by its UPLOAD certificate")
    return signed.content


def _revocations(
    connection: Connection,
    held: dict[str, Any],
    since: int,
    min_seq: int,
    now: datetime,
    uploaders: Mapping[str, set[str]],
) -> dict[str, Any]:
    batches = dict(held)
    for page in range(MAX_PAGES):
        target = f"/revocation-list?since={since}&page={page}"
        answer, stamp = connection.signed_get(target, min_seq=min_seq, now=now)
        if answer.status == 204:
            return batches
        listing = json.loads(answer.body)
        for item in listing.get("batches", []):
            batch_id = str(item["batchId"])
            if item.get("deleted"):
                batches.pop(batch_id, None)
            else:
                batches[batch_id] = _batch(connection, batch_id, min_seq, now, uploaders)
        if not stamp.more:
            return batches
    raise DownloadRejected(f"more than {MAX_PAGES} pages of revocation batches")


def _batch(
    connection: Connection,
    batch_id: str,
    min_seq: int,
    now: datetime,
    uploaders: Mapping[str, set[str]],
) -> dict[str, Any]:
    answer, _stamp = connection.signed_get(f"/revocation-list/{batch_id}", min_seq=min_seq, now=now)
    document = json.loads(answer.body)
    country = str(document.get("country"))
    batch = json.loads(_signed_content(document.get("cms"), country, uploaders))
    if batch.get("country") != country:
        raise DownloadRejected(f"revocation batch {batch_id} is listed for {country}")
    return {
        "country": country,
        "hashType": batch["hashType"],
        "expires": datetime.fromisoformat(str(batch["expires"]).replace("Z", "+00:00")).isoformat(),
        "hashes": [entry["hash"] for entry in batch["entries"]],
    }


def _rules(
    connection: Connection,
    min_seq: int,
    now: datetime,
    uploaders: Mapping[str, set[str]],
) -> dict[str, list[Any]]:
    """Every country's rules (every version), each checked against its UPLOAD certificate."""
    answer, _stamp = connection.signed_get("/rules", min_seq=min_seq, now=now)
    found: dict[str, list[Any]] = {}
    for country, identifiers in json.loads(answer.body).items():
        for versions in identifiers.values():
            for version in versions:
                content = _signed_content(version.get("cms"), country, uploaders)
                found.setdefault(country, []).append(json.loads(content))
    return found


def _store_keys(entries: list[dict[str, Any]], home: Path | None) -> ImportResult:
    """Replace the gateway's keys in the local trust store; a DSC or border key counts only
    when its country has an onboarded CSCA that signed it."""
    batch = import_eu_list(entries, SYNC_SOURCE)
    vouched = {anchor.country for anchor in batch.anchors}
    kept = ImportBatch(anchors=batch.anchors, skipped=batch.skipped, ignored=batch.ignored)
    for key in batch.keys:
        if key.country in vouched:
            kept.keys.append(key)
        else:
            kept.skipped.append(
                Skipped(
                    f"{SYNC_SOURCE} {key.country} kid {key.kid.hex()}",
                    f"no onboarded CSCA of {key.country}",
                )
            )
    store = load_local_trust(home)
    store.remove(lambda key: key.source == SYNC_SOURCE)
    store.remove_anchors(lambda anchor: anchor.source == SYNC_SOURCE)
    result = store.add_batch(kept, source=SYNC_SOURCE)
    save_local_trust(store, home)
    return result
