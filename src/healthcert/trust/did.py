"""WHO GDHCN trust lists in their DID form: a DID document whose ``verificationMethod``
entries are the keys (``publicKeyJwk``, usually with its certificate in ``x5c``).

An entry's id (``did:web:<host>:v2:trustlist:<domain>:<participant>:<usage>#<kid>``) or its
``domain`` / ``participant`` / ``keyusage`` codes say what it is. SCA entries (the CSCAs) become
anchors, DSC entries trusted keys, other usages (upload, TLS, data exchange) are ignored.
BORDER entries (a healthcert gateway's, listed under ``keyAgreement``) are destinations' border
keys (``trust.border``): kept like DSCs, each with its certificate and checked to be one.
Participants are ISO 3166-1 alpha-3 codes; the trust store speaks alpha-2. The test participants
XXA, XXB, ... become the user-assigned alpha-2 codes XA, XB, ...

Published lists are not always strict: coordinates with a leading zero byte are read as the
JWKS reader reads them, a DER signature in the proof is accepted, a kid missing from the JWK
is taken from the entry's id. What cannot be read is skipped entry by entry, with its reason.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeGuard
from urllib.parse import unquote

from healthcert.errors import TrustStoreError
from healthcert.formats import terminology
from healthcert.model.kinds import ALL_KINDS
from healthcert.trust.anchors import vouches_for
from healthcert.trust.batch import Anchor, ImportBatch, Skipped
from healthcert.trust.border import check_listed_border
from healthcert.trust.certificates import (
    CertificateFacts,
    UnusableCertificate,
    anchor_certificate,
    is_anchor,
    parse_der,
    read_facts,
    trusted_key,
)
from healthcert.trust.did_proof import ProofError, ProofSigner, verify_proof
from healthcert.trust.entry import TrustedKey
from healthcert.trust.jwks import public_key_from_jwk, same_key

TRUSTLIST_SEGMENT = "trustlist"
CSCA_USAGE = "SCA"
DSC_USAGE = "DSC"
BORDER_USAGE = "BORDER"
WILDCARD = "-"
# The ISO 3166 user-assigned range the WHO network's test participants live in.
_TEST_PREFIX = "XX"
MAX_CHAIN_LENGTH = 4


@dataclass(frozen=True, slots=True)
class EntryPath:
    """Where an entry sits in the trust list: domain, participant and key usage codes."""

    domain: str | None
    participant: str | None
    usage: str | None
    fragment: str


def is_did_document(document: object) -> TypeGuard[Mapping[str, object]]:
    """Whether ``document`` is a DID document listing keys (for sniffing)."""
    return (
        isinstance(document, Mapping)
        and isinstance(document.get("id"), str)
        and str(document["id"]).startswith("did:")
        and "verificationMethod" in document
    )


def import_did_document(
    document: Mapping[str, object], source: str, *, signers: Sequence[ProofSigner] = ()
) -> ImportBatch:
    """Every usable entry of the list, with a note saying whether its proof was checked.

    With ``signers`` (the list signer's certificate or key), a proof that is missing or does
    not verify refuses the whole list: TrustStoreError. Without, the keys are read and the
    note says the proof was not checked.
    """
    methods = document.get("verificationMethod")
    if not isinstance(methods, list):
        raise TrustStoreError(f"{source}: verificationMethod is not a list")
    if methods and all(isinstance(method, str) for method in methods):
        raise TrustStoreError(
            f"{source}: a trustlist-ref document lists DIDs, not keys: add the documents it names"
        )
    batch = ImportBatch(notes=[Skipped(source, _proof_note(document, source, signers))])
    for index, method in enumerate(methods):
        label = _label(source, index, method)
        try:
            _import_entry(method, source, batch)
        except UnusableCertificate as error:
            batch.skipped.append(Skipped(label, str(error)))
    return batch


def _proof_note(document: Mapping[str, object], source: str, signers: Sequence[ProofSigner]) -> str:
    if not signers:
        present = "a proof" if "proof" in document else "no proof"
        return f"proof not checked ({present}, and no list signer given)"
    try:
        return verify_proof(document, signers)
    except ProofError as error:
        raise TrustStoreError(f"{source}: refused: {error}") from None


def entry_path(entry_id: str) -> EntryPath:
    """The codes an entry's DID names after ``:trustlist:`` (each None when absent or ``-``)."""
    did, _, fragment = entry_id.partition("#")
    segments = did.split(":")
    after = (
        segments[segments.index(TRUSTLIST_SEGMENT) + 1 :] if TRUSTLIST_SEGMENT in segments else []
    )
    codes = [None if code in ("", WILDCARD) else code for code in after[:3]]
    codes += [None] * (3 - len(codes))
    return EntryPath(codes[0], codes[1], codes[2], unquote(fragment))


def country_of_participant(participant: str) -> str | None:
    """The alpha-2 code of an alpha-3 participant code (alpha-2 given stays); None if unknown."""
    code = participant.strip().upper()
    if len(code) == 2 and code.isalpha():
        return code
    if len(code) == 3 and code.startswith(_TEST_PREFIX) and code[2].isalpha():
        return "X" + code[2]
    return terminology.alpha2(code) if len(code) == 3 else None


def _import_entry(method: object, source: str, batch: ImportBatch) -> None:
    if not isinstance(method, Mapping):
        raise UnusableCertificate("entry is not a JSON object")
    path = _path_of(method)
    usage = (path.usage or "").upper()
    if usage not in (CSCA_USAGE, DSC_USAGE, BORDER_USAGE):
        if not usage:
            raise UnusableCertificate("no key usage, in its id or as keyusage")
        batch.ignored += 1  # upload, TLS and data-exchange keys sign no health certificate
        return
    if path.participant is None:
        raise UnusableCertificate("no participant, in its id or as participant")
    country = country_of_participant(path.participant)
    if country is None:
        raise UnusableCertificate(f"participant {path.participant!r} is no ISO 3166 country code")
    jwk = method.get("publicKeyJwk")
    if not isinstance(jwk, Mapping):
        raise UnusableCertificate("no publicKeyJwk")
    chain = _chain(jwk.get("x5c", method.get("x5c")))
    if usage == CSCA_USAGE:
        batch.anchors.append(_anchor(jwk, chain, country, source))
    elif usage == BORDER_USAGE:
        batch.keys.append(_border(jwk, chain, path, country, source))
    else:
        batch.keys.append(_signer(jwk, chain, path, country, source))


def _path_of(method: Mapping[str, object]) -> EntryPath:
    entry_id = method.get("id")
    path = entry_path(entry_id) if isinstance(entry_id, str) else EntryPath(None, None, None, "")
    return EntryPath(
        _code(method, "domain") or path.domain,
        _code(method, "participant") or path.participant,
        _code(method, "keyusage") or path.usage,
        path.fragment,
    )


def _code(method: Mapping[str, object], name: str) -> str | None:
    value = method.get(name)
    code = value.get("code") if isinstance(value, Mapping) else value
    return code.strip().lstrip("#") or None if isinstance(code, str) else None


def _chain(x5c: object) -> list[bytes]:
    if x5c is None:
        return []
    if not isinstance(x5c, list) or not all(isinstance(item, str) for item in x5c):
        raise UnusableCertificate("x5c is not a list of base64 certificates")
    if len(x5c) > MAX_CHAIN_LENGTH:
        raise UnusableCertificate(f"x5c holds more than {MAX_CHAIN_LENGTH} certificates")
    try:
        return [base64.b64decode("".join(item.split()), validate=True) for item in x5c]
    except (binascii.Error, ValueError) as error:
        raise UnusableCertificate("x5c holds a certificate that is not base64") from error


def _anchor(jwk: Mapping[str, object], chain: list[bytes], country: str, source: str) -> Anchor:
    if not chain:
        raise UnusableCertificate("an SCA entry without its certificate (x5c) vouches for nothing")
    facts = _leaf(jwk, chain, country)
    if not is_anchor(facts):
        raise UnusableCertificate("listed as SCA but its certificate is no CA")
    return Anchor(anchor_certificate(facts), country, source)


def _signer(
    jwk: Mapping[str, object], chain: list[bytes], path: EntryPath, country: str, source: str
) -> TrustedKey:
    listed = _listed_kid(jwk, path.fragment)
    if not chain:
        if listed is None:
            raise UnusableCertificate("a key without certificate (x5c) or kid names nothing")
        return TrustedKey(
            kid=listed,
            public_key=public_key_from_jwk(jwk),
            source=source,
            types=ALL_KINDS,
            country=country,
        )
    facts = _leaf(jwk, chain, country)
    if listed is not None and listed != facts.kid:
        raise UnusableCertificate(
            f"listed kid {base64.b64encode(listed).decode()} differs from the certificate's "
            f"{base64.b64encode(facts.kid).decode()}"
        )
    key = trusted_key(facts, source, country=country)
    if len(chain) > 1:
        _check_issuer(key, chain[1])
    return key


def _border(
    jwk: Mapping[str, object], chain: list[bytes], path: EntryPath, country: str, source: str
) -> TrustedKey:
    """A border key: its certificate says what it is for, so a bare key cannot be one."""
    if not chain:
        raise UnusableCertificate("a border key without its certificate (x5c)")
    key = _signer(jwk, chain, path, country, source)
    check_listed_border(key.certificate)
    return key


def _leaf(jwk: Mapping[str, object], chain: list[bytes], country: str) -> CertificateFacts:
    """The first x5c certificate, which must hold the JWK's key and belong to ``country``."""
    facts = read_facts(chain[0])
    if not same_key(facts.public_key, public_key_from_jwk(jwk)):
        raise UnusableCertificate("the x5c certificate is for another key than the JWK")
    if facts.country is not None and facts.country != country:
        raise UnusableCertificate(
            f"listed for {country} but the certificate's subject says {facts.country}"
        )
    return facts


def _check_issuer(key: TrustedKey, issuer_der: bytes) -> None:
    """The CA certificate given after a DSC in x5c must be the one that signed it."""
    try:
        issuer = parse_der(issuer_der)
    except ValueError as error:
        raise UnusableCertificate(f"x5c[1] is not a readable certificate: {error}") from error
    if not vouches_for(issuer, key):
        raise UnusableCertificate("x5c[0] is not signed by the CA certificate x5c[1] given with it")


def _listed_kid(jwk: Mapping[str, object], fragment: str) -> bytes | None:
    """The kid the JWK or, failing it, the entry id's fragment names (base64 of 8 bytes)."""
    for text in (jwk.get("kid"), fragment):
        if isinstance(text, str) and text:
            kid = _kid_bytes(text)
            if kid is not None:
                return kid
    return None


def _kid_bytes(text: str) -> bytes | None:
    """Base64 or base64url of an EU-style kid; None for ids that are something else."""
    bare = text.strip().rstrip("=")
    standard = bare.replace("-", "+").replace("_", "/")
    try:
        kid = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return kid if len(kid) == 8 else None


def _label(source: str, index: int, method: object) -> str:
    entry_id = method.get("id") if isinstance(method, Mapping) else None
    name = entry_id.rpartition(":")[2] if isinstance(entry_id, str) else ""
    return f"{source} [{index}] {name}".rstrip()
