"""Reading trust sources from files: sniffing what each file is and importing it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from cryptography import x509

from healthcert.errors import TrustStoreError
from healthcert.files import read_bounded
from healthcert.trust.batch import ImportBatch, Skipped
from healthcert.trust.certificates import import_certificates, parse_der, split_certificates
from healthcert.trust.did import import_did_document, is_did_document
from healthcert.trust.did_proof import ProofSigner
from healthcert.trust.eulist import import_eu_list, is_eu_list
from healthcert.trust.jwks import import_jwks

# The EU list with every country's DSCs is a few MB; far more is not a trust list.
MAX_SOURCE_BYTES = 64 * 1024 * 1024
MAX_DIRECTORY_FILES = 10_000
TRUST_SUFFIXES = frozenset({".pem", ".crt", ".cer", ".der", ".json", ".jwks"})
_BOM = b"\xef\xbb\xbf"


def import_path(
    path: str | Path,
    *,
    issuer_url: str | None = None,
    did_signers: Sequence[ProofSigner] = (),
) -> ImportBatch:
    """The contents of a file, or of every trust file under a directory.

    ``did_signers`` check the proof of a DID trust list (``trust.did``); other sources ignore it.
    """
    location = Path(path)
    if location.is_dir():
        return _import_directory(location, issuer_url, did_signers)
    data = read_source(location)
    return import_bytes(data, source_name(location), issuer_url=issuer_url, did_signers=did_signers)


def source_name(path: str | Path) -> str:
    """The name keys from ``path`` carry as their source: the file or directory name."""
    location = Path(path)
    return location.name or location.resolve().name


def read_source(path: Path) -> bytes:
    """The bytes of a trust file; TrustStoreError when missing, unreadable or too large."""
    return read_bounded(path, MAX_SOURCE_BYTES, TrustStoreError, "a trust source")


def import_bytes(
    data: bytes,
    source: str,
    *,
    issuer_url: str | None = None,
    did_signers: Sequence[ProofSigner] = (),
) -> ImportBatch:
    """Sniff ``data`` (JSON, PEM or DER) and import it under the name ``source``."""
    start = data.removeprefix(_BOM).lstrip()[:1]
    if start in (b"{", b"["):
        document = _parse_json(data, source)
        return import_document(document, source, issuer_url=issuer_url, did_signers=did_signers)
    if b"-----BEGIN CERTIFICATE-----" in data or start == b"\x30":
        return import_certificates(data, source, issuer_url=issuer_url)
    raise TrustStoreError(f"{source}: not a certificate, EU trust list or JWKS")


def import_document(
    document: object,
    source: str,
    *,
    issuer_url: str | None = None,
    did_signers: Sequence[ProofSigner] = (),
) -> ImportBatch:
    """Import parsed JSON: a JWKS or single JWK, either form of the EU list, a DID trust list."""
    if is_did_document(document):
        return import_did_document(document, source, signers=did_signers)
    if isinstance(document, Mapping) and ("keys" in document or "kty" in document):
        return import_jwks(document, source, issuer_url=issuer_url)
    if is_eu_list(document):
        return import_eu_list(document, source)
    raise TrustStoreError(
        f"{source}: JSON that is neither a JWKS nor an EU trust list nor a DID trust list"
    )


def read_certificate_files(paths: Iterable[str | Path], what: str) -> list[x509.Certificate]:
    """Every certificate in the PEM or DER files (a DID trust list's signer, ``what`` naming
    the option in errors); TrustStoreError for a file that holds none, or a bad one."""
    certificates = []
    for path in paths:
        found, _ = split_certificates(read_source(Path(path)), str(path))
        try:
            certificates += [parse_der(der) for _, der in found]
        except ValueError as error:
            raise TrustStoreError(f"{what} {path}: not a certificate: {error}") from None
        if not found:
            raise TrustStoreError(f"{what} {path}: holds no certificate")
    return certificates


def _parse_json(data: bytes, source: str) -> object:
    try:
        return json.loads(data.removeprefix(_BOM))
    except (ValueError, RecursionError) as error:
        raise TrustStoreError(f"{source}: invalid JSON: {error}") from error


def _import_directory(
    root: Path, issuer_url: str | None, did_signers: Sequence[ProofSigner]
) -> ImportBatch:
    """Every file under ``root`` that is a trust source; others are noted, never fatal."""
    batch = ImportBatch()
    for path in _files(root):
        name = f"{source_name(root)}/{path.relative_to(root).as_posix()}"
        try:
            data = read_source(path)
            if _is_private_key(data):
                batch.ignored += 1  # a key directory holds its private keys next to the certs
                continue
            batch.extend(import_bytes(data, name, issuer_url=issuer_url, did_signers=did_signers))
        except TrustStoreError as error:
            if path.suffix.lower() in TRUST_SUFFIXES:
                batch.skipped.append(Skipped(name, str(error).removeprefix(f"{name}: ")))
            else:
                batch.ignored += 1  # a README or a signature file next to the lists
    return batch


def _is_private_key(data: bytes) -> bool:
    return b"PRIVATE KEY-----" in data and b"-----BEGIN CERTIFICATE-----" not in data


def _files(root: Path) -> list[Path]:
    found = sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )
    if len(found) > MAX_DIRECTORY_FILES:
        raise TrustStoreError(f"{root}: more than {MAX_DIRECTORY_FILES} files")
    return found
