"""The persisted trust store of this installation, ``$HEALTHCERT_HOME/trust/index.json``.

The index is a compact cache of what was accepted at import time (certificates as DER, bare
keys as SubjectPublicKeyInfo, and the facts a lookup needs). Loading it parses no certificate:
each key is built on the first lookup of its kid, so verifying one payload stays fast with a
store of every country's keys.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key

from healthcert.errors import TrustStoreError
from healthcert.formats.shc.issuers import issuer_country
from healthcert.keys.home import healthcert_home
from healthcert.keys.keyfile import write_atomically
from healthcert.model.kinds import EntryKind
from healthcert.trust import certificates
from healthcert.trust.batch import Anchor, ImportBatch, ImportResult
from healthcert.trust.border import usage_of
from healthcert.trust.der import read_certificate
from healthcert.trust.did_proof import ProofSigner
from healthcert.trust.entry import TrustedKey
from healthcert.trust.sources import import_path, source_name
from healthcert.trust.store import TrustStore

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

INDEX_NAME = "index.json"
INDEX_FORMAT = "healthcert-trust-index"
INDEX_VERSION = 1


def trust_dir(home: Path | None = None) -> Path:
    """``$HEALTHCERT_HOME/trust``."""
    return (home if home is not None else healthcert_home()) / "trust"


def load_local_trust(home: Path | None = None) -> TrustStore:
    """The persisted trust store (empty when nothing was added yet)."""
    path = trust_dir(home) / INDEX_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return TrustStore()
    except OSError as error:
        raise TrustStoreError(f"{path}: cannot read: {error.strerror}") from error
    return _store_from_index(_parse_index(data, path))


def save_local_trust(store: TrustStore, home: Path | None = None) -> Path:
    """Write ``store`` as the persisted trust store and return the index path."""
    path = trust_dir(home) / INDEX_NAME
    index = {
        "format": INDEX_FORMAT,
        "version": INDEX_VERSION,
        "anchors": [_anchor_record(anchor) for anchor in store.anchors],
        "keys": [_key_record(key) for key in store],
    }
    try:
        write_atomically(path, json.dumps(index, separators=(",", ":")).encode(), 0o644)
    except OSError as error:
        raise TrustStoreError(f"{path}: cannot write: {error.strerror}") from error
    return path


def add_to_local_trust(
    paths: Iterable[str | Path],
    *,
    home: Path | None = None,
    issuer_url: str | None = None,
    country: str | None = None,
    did_signers: Sequence[ProofSigner] = (),
) -> list[ImportResult]:
    """Import sources into the persisted store; a source added again replaces its old keys.

    ``country`` is recorded on the keys that name none (a SMART Health Card issuer's JWKS: its
    cards carry no country either). ``did_signers`` check the proof of DID trust lists. Every
    source is read before the store changes, so a bad path leaves the store untouched.
    """
    code = _country(country)
    batches = [
        (source_name(p), _with_country(_import(p, issuer_url, did_signers), code)) for p in paths
    ]
    store = load_local_trust(home)
    results = []
    for name, batch in batches:
        replaced = _remove_source(store, name)[0]
        result = store.add_batch(batch, source=name)
        results.append(_with_replaced(result, replaced))
    save_local_trust(store, home)
    return results


def _import(
    path: str | Path, issuer_url: str | None, did_signers: Sequence[ProofSigner]
) -> ImportBatch:
    return import_path(path, issuer_url=issuer_url, did_signers=did_signers)


def _country(country: str | None) -> str | None:
    return None if country is None else issuer_country(country)


def _with_country(batch: ImportBatch, country: str | None) -> ImportBatch:
    if country is not None:
        batch.keys = [
            key if key.country else dataclasses.replace(key, country=country) for key in batch.keys
        ]
    return batch


def remove_from_local_trust(
    *, kid: str | None = None, source: str | None = None, home: Path | None = None
) -> int:
    """Remove the keys with ``kid`` (base64, base64url or hex), or every key and CSCA of
    ``source``; return how many were removed."""
    store = load_local_trust(home)
    if kid is not None:
        removed = store.remove(lambda key: kid_matches(key.kid, kid))
    elif source is not None:
        removed = sum(_remove_source(store, source))
    else:
        raise TrustStoreError("name a kid or a source to remove")
    if removed:
        save_local_trust(store, home)
    return removed


def kid_matches(kid: bytes, text: str) -> bool:
    """Whether ``text`` names ``kid`` in any of the spellings people copy from lists."""
    standard = base64.b64encode(kid).decode()
    spellings = {standard, standard.rstrip("="), base64.urlsafe_b64encode(kid).decode()}
    spellings.add(base64.urlsafe_b64encode(kid).decode().rstrip("="))
    return text.strip() in spellings or text.strip().lower() == kid.hex()


def _remove_source(store: TrustStore, name: str) -> tuple[int, int]:
    """Remove the keys and the CSCAs that came from ``name``; return both counts."""
    keys = store.remove(lambda key: _from_source(key.source, name))
    anchors = store.remove_anchors(lambda anchor: _from_source(anchor.source, name))
    return keys, anchors


def _from_source(actual: str, name: str) -> bool:
    # Keys from a directory carry "<directory>/<file>"; removing the directory removes them.
    return actual == name or actual.startswith(name + "/")


def _with_replaced(result: ImportResult, replaced: int) -> ImportResult:
    return dataclasses.replace(result, replaced=replaced)


def _parse_index(data: bytes, path: Path) -> Mapping[str, Any]:
    try:
        index = json.loads(data)
    except ValueError as error:
        raise TrustStoreError(f"{path}: damaged trust index; add the sources again") from error
    if (
        not isinstance(index, dict)
        or index.get("format") != INDEX_FORMAT
        or index.get("version") != INDEX_VERSION
    ):
        raise TrustStoreError(f"{path}: not a trust index of this version; add the sources again")
    return index


def _store_from_index(index: Mapping[str, Any]) -> TrustStore:
    store = TrustStore()
    try:
        for record in index.get("anchors", []):
            certificate = certificates.parse_der(base64.b64decode(record["der"]))
            store.add_anchor(Anchor(certificate, record["country"], record["source"]))
        for record in index.get("keys", []):
            store.defer(base64.b64decode(record["kid"]), functools.partial(_key_from, record))
    except (KeyError, TypeError, ValueError) as error:
        raise TrustStoreError(f"damaged trust index ({error}); add the sources again") from error
    return store


def _key_from(record: Mapping[str, Any]) -> TrustedKey:
    """Build one persisted key; it was checked when imported, so only decoding happens here."""
    der = base64.b64decode(record["der"]) if "der" in record else None
    tolerated = der is not None and "warning" in record
    certificate = certificates.parse_der(der) if der is not None and not tolerated else None
    public_key: PublicKeyTypes
    if certificate is not None:
        public_key = certificate.public_key()
    elif der is not None:
        public_key = _tolerated_public_key(der)
    else:
        public_key = load_der_public_key(base64.b64decode(record["spki"]))
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValueError("unsupported key type in the trust index")
    return TrustedKey(
        kid=base64.b64decode(record["kid"]),
        public_key=public_key,
        source=record["source"],
        types=frozenset(EntryKind(kind) for kind in record["types"]),
        country=record.get("country"),
        subject=record.get("subject"),
        not_before=_date(record.get("not_before")),
        not_after=_date(record.get("not_after")),
        certificate=certificate,
        issuer_url=record.get("issuer_url"),
        der=der if tolerated else None,
        warning=record.get("warning"),
    )


def _tolerated_public_key(der: bytes) -> PublicKeyTypes:
    """The key of a certificate that only the tolerant reader reads (as when it was added)."""
    return load_der_public_key(read_certificate(der).spki)


def _key_record(key: TrustedKey) -> dict[str, Any]:
    # The usage is not stored: it is the certificate's, read again wherever it is asked for.
    record = _facts(key)
    if key.certificate is not None:
        record["der"] = _b64(key.certificate.public_bytes(Encoding.DER))
    elif key.der is not None:
        record["der"] = _b64(key.der)
    else:
        spki = key.public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        record["spki"] = _b64(spki)
    return record


def key_summary(key: TrustedKey) -> dict[str, Any]:
    """The JSON facts of a key, as ``trust list --json`` prints them (no key material).
    ``usage`` is ``signing`` (``types`` say what it signs) or ``border`` (a destination's key
    certificates are sealed to: it signs nothing, its ``types`` are empty)."""
    return {**_facts(key), "usage": usage_of(key)}


def _facts(key: TrustedKey) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "kid": _b64(key.kid),
        "country": key.country,
        "types": sorted(kind.value for kind in key.types),
        "subject": key.subject,
        "not_before": key.not_before.isoformat() if key.not_before else None,
        "not_after": key.not_after.isoformat() if key.not_after else None,
        "source": key.source,
        "issuer_url": key.issuer_url,
    }
    if key.warning is not None:
        summary["warning"] = key.warning
    return summary


def _anchor_record(anchor: Anchor) -> dict[str, Any]:
    der = anchor.certificate.public_bytes(Encoding.DER)
    return {"country": anchor.country, "source": anchor.source, "der": _b64(der)}


def _date(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
