"""What a country uploads, each as a CMS SignedData by its onboarded UPLOAD key: a DSC, a
border certificate, a rule, a revocation batch, or the deletion of one of those. Each refusal
says why.

The checks follow the EU gateway's: the signer is an UPLOAD certificate onboarded for the
authenticated country; a DSC is of that country, signed by one of its onboarded CSCAs and
new; a border certificate too, and it must be one (``trust.border``: key agreement only, EC
P-256, not expired), as a DSC must not be one (a border key signs nothing); a rule is the
country's, its version increases, and an acceptance rule starts at least 48 hours after its
upload; a batch is the country's. An upload is refused when its signing time is far from now,
or when the same CMS was accepted before (a replay).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthcert.gateway import repository
from healthcert.gateway.cms import CmsError, SignedContent, read_cms
from healthcert.gateway.tables import RevocationBatch, Rule, SignerCertificate, UploadSeen
from healthcert.gateway.wire import UPLOADED_TYPES, thumbprint
from healthcert.keys.kid import kid_of_der
from healthcert.rules.rule import RuleError, RuleType, parse_rule, semver_key
from healthcert.trust.anchors import is_issued_by
from healthcert.trust.border import border_certificate_problem, is_border_certificate
from healthcert.trust.certificates import (
    CertificateFacts,
    UnusableCertificate,
    parse_der,
    read_facts,
)
from healthcert.trust.revocation import HASH_BYTES, HASH_TYPES

# How far an upload's signing time may be from the gateway's clock: older is a replay.
SIGNING_WINDOW = timedelta(minutes=10)
ACCEPTANCE_LEAD = timedelta(hours=48)
MAX_BATCH_ENTRIES = 1000
DSC, BORDER = UPLOADED_TYPES  # what ``SignerCertificate.certificate_type`` holds
NOUNS = {DSC: "DSC", BORDER: "border certificate"}


class UploadRefused(Exception):
    """An upload the gateway does not accept: the HTTP status and the reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Accepted:
    """What an accepted upload changed, for the answer and the log."""

    kind: str
    key: str
    change: int


def decode_body(body: bytes) -> bytes:
    """The CMS of a request body: DER as is, or base64 of it as the EU gateway's clients send."""
    text = body.strip()
    if text[:1] == b"\x30":
        return bytes(text)
    try:
        return base64.b64decode(b"".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise UploadRefused(400, "the body is neither a DER CMS nor base64 of one") from None


def open_upload(session: Session, country: str, cms: bytes, now: datetime) -> SignedContent:
    """The verified content of an upload by ``country``; UploadRefused says why not."""
    try:
        signed = read_cms(cms)
    except CmsError as error:
        raise UploadRefused(400, f"bad CMS: {error}") from None
    print_hex = thumbprint(signed.signer.public_bytes(Encoding.DER))
    roles = repository.party_by_thumbprint(session, print_hex)
    if not any(
        p.certificate_type == "UPLOAD" and p.country == country and p.origin is None for p in roles
    ):
        raise UploadRefused(
            403, f"the CMS signer is not an onboarded UPLOAD certificate of {country}"
        )
    if signed.signing_time is None:
        raise UploadRefused(400, "the CMS carries no signing time")
    if abs(signed.signing_time - now) > SIGNING_WINDOW:
        raise UploadRefused(
            400,
            f"replayed or stale upload: signed at {signed.signing_time.isoformat()}, more than "
            f"{int(SIGNING_WINDOW.total_seconds() // 60)} minutes from the gateway's clock",
        )
    digest = signed.digest.hex()
    if session.get(UploadSeen, digest) is not None:
        raise UploadRefused(409, "replayed upload: this exact CMS was accepted before")
    session.add(UploadSeen(digest=digest, country=country, at=now))
    return signed


def upload_dsc(session: Session, country: str, cms: bytes, now: datetime) -> Accepted:
    """Accept a DSC (DER) of ``country`` signed by one of its onboarded CSCAs."""
    return _upload_certificate(session, country, cms, now, DSC)


def upload_border(session: Session, country: str, cms: bytes, now: datetime) -> Accepted:
    """Accept a border certificate (DER) of ``country`` signed by one of its onboarded CSCAs:
    the key issuers seal certificates for its border to."""
    return _upload_certificate(session, country, cms, now, BORDER)


def _upload_certificate(
    session: Session, country: str, cms: bytes, now: datetime, kind: str
) -> Accepted:
    der = open_upload(session, country, cms, now).content
    facts = _certificate_of(session, country, der, kind)
    problem = _border_problem(facts, now) if kind == BORDER else _dsc_problem(facts)
    if problem is not None:
        raise UploadRefused(400, problem)
    kid = base64.b64encode(kid_of_der(der)).decode("ascii")
    if repository.signer_by_kid(session, kid) is not None:
        raise UploadRefused(409, f"kid {kid} exists already")
    change = repository.next_change(session)
    session.add(
        SignerCertificate(
            certificate_type=kind,
            country=country,
            kid=kid,
            thumbprint=thumbprint(der),
            raw_data=der,
            signature=base64.b64encode(cms).decode("ascii"),
            created_at=now,
            change=change,
            deleted=False,
        )
    )
    return Accepted(NOUNS[kind], kid, change)


def _certificate_of(session: Session, country: str, der: bytes, kind: str) -> CertificateFacts:
    """The facts of an uploaded certificate of ``country``, strict DER, no CA, signed by one
    of its onboarded CSCAs; UploadRefused says which of those it is not."""
    noun = NOUNS[kind]
    try:
        facts = read_facts(der)
    except UnusableCertificate as error:
        raise UploadRefused(400, f"not a certificate: {error}") from None
    if facts.country != country:
        raise UploadRefused(
            400, f"a {noun} of {facts.country or 'no country'} uploaded by {country}"
        )
    if facts.certificate is None:
        raise UploadRefused(400, f"the {noun} must be strict DER ({facts.warning})")
    if facts.is_ca:
        raise UploadRefused(400, f"not a {noun}: a CA certificate")
    cscas = repository.parties(session, country, "CSCA")
    if not any(is_issued_by(facts.certificate, parse_der(p.raw_data)) for p in cscas):
        raise UploadRefused(400, f"the {noun} is not signed by an onboarded CSCA of {country}")
    return facts


def _dsc_problem(facts: CertificateFacts) -> str | None:
    if is_border_certificate(facts.certificate):
        return "a border certificate signs nothing: upload it to /borderCertificate, not as a DSC"
    return None


def _border_problem(facts: CertificateFacts, now: datetime) -> str | None:
    problem = border_certificate_problem(facts.certificate)
    if problem is not None:
        return f"not a border certificate: {problem}"
    if facts.not_after <= now:
        return f"the border certificate expired on {facts.not_after.isoformat()}"
    # One valid from later is accepted: a destination rolling its key over publishes the new
    # one ahead, and issuers pick a border key valid when they seal (trust.border).
    return None


def delete_dsc(session: Session, country: str, cms: bytes, now: datetime) -> Accepted:
    """Withdraw a DSC of ``country``: the CMS carries the DSC's DER."""
    return _delete_certificate(session, country, cms, now, DSC)


def delete_border(session: Session, country: str, cms: bytes, now: datetime) -> Accepted:
    """Withdraw a border certificate of ``country``: the CMS carries its DER."""
    return _delete_certificate(session, country, cms, now, BORDER)


def _delete_certificate(
    session: Session, country: str, cms: bytes, now: datetime, kind: str
) -> Accepted:
    der = open_upload(session, country, cms, now).content
    kid = base64.b64encode(kid_of_der(der)).decode("ascii")
    found = repository.signer_by_kid(session, kid)
    noun = NOUNS[kind]
    if found is None or found.deleted or found.certificate_type != kind:
        raise UploadRefused(404, f"no {noun} with kid {kid}")
    if found.country != country:
        raise UploadRefused(403, f"kid {kid} is a {noun} of {found.country}, not of {country}")
    found.deleted = True
    found.change = repository.next_change(session)
    return Accepted(f"{noun} deleted", kid, found.change)


def upload_rule(session: Session, country: str, cms: bytes, now: datetime) -> Accepted:
    """Accept a new version of one of ``country``'s rules."""
    content = open_upload(session, country, cms, now).content
    try:
        rule = parse_rule(json.loads(content))
    except (ValueError, RecursionError) as error:
        raise UploadRefused(400, f"not a rule: {error}") from None
    except RuleError as error:
        raise UploadRefused(400, str(error)) from None
    if rule.country != country:
        raise UploadRefused(
            400, f"rule {rule.identifier} is of {rule.country}, uploaded by {country}"
        )
    _check_version(session, rule.identifier, rule.version)
    earliest = now + ACCEPTANCE_LEAD if rule.type is RuleType.ACCEPTANCE else now
    if rule.valid_from < earliest - timedelta(seconds=1):
        lead = "48 hours after upload" if rule.type is RuleType.ACCEPTANCE else "now"
        raise UploadRefused(
            400, f"rule {rule.identifier}: ValidFrom {rule.valid_from.isoformat()} is before {lead}"
        )
    change = repository.add_rule(
        session,
        rule,
        country=country,
        content=content,
        signature=base64.b64encode(cms).decode("ascii"),
        now=now,
    )
    return Accepted("rule", f"{rule.identifier} {rule.version}", change)


def _check_version(session: Session, identifier: str, version: str) -> None:
    query = select(Rule.version).where(Rule.identifier == identifier)
    known = [semver_key(text) for text in session.scalars(query)]
    if known and semver_key(version) <= max(known):
        newest = ".".join(str(part) for part in max(known))
        raise UploadRefused(
            400, f"rule {identifier}: version {version} does not increase on {newest}"
        )


def delete_rule(session: Session, country: str, cms: bytes, now: datetime) -> Accepted:
    """Withdraw every version of a rule of ``country``: the CMS carries its Identifier."""
    identifier = open_upload(session, country, cms, now).content.decode("utf-8", "replace").strip()
    rules = session.scalars(
        select(Rule).where(Rule.identifier == identifier, Rule.deleted.is_(False))
    ).all()
    if not rules:
        raise UploadRefused(404, f"no rule {identifier}")
    if any(rule.country != country for rule in rules):
        raise UploadRefused(403, f"rule {identifier} is not of {country}")
    change = repository.next_change(session)
    for rule in rules:
        rule.deleted, rule.change = True, change
    return Accepted("rule deleted", identifier, change)


def upload_batch(session: Session, country: str, cms: bytes, now: datetime) -> Accepted:
    """Accept a revocation batch of ``country`` (the EU gateway's JSON form)."""
    content = open_upload(session, country, cms, now).content
    batch = _batch_document(content)
    if batch["country"] != country:
        raise UploadRefused(400, f"a revocation batch for {batch['country']} uploaded by {country}")
    expires = _expiry(batch.get("expires"), now)
    change = repository.next_change(session)
    batch_id = str(uuid.uuid4())
    session.add(
        RevocationBatch(
            batch_id=batch_id,
            country=country,
            hash_type=batch["hashType"],
            expires=expires,
            body=content.decode("utf-8"),
            signature=base64.b64encode(cms).decode("ascii"),
            created_at=now,
            change=change,
            deleted=False,
        )
    )
    return Accepted("revocation batch", batch_id, change)


def _batch_document(content: bytes) -> dict[str, Any]:
    try:
        batch = json.loads(content)
    except (ValueError, RecursionError):
        raise UploadRefused(400, "the revocation batch is not JSON") from None
    if not isinstance(batch, dict) or not isinstance(batch.get("country"), str):
        raise UploadRefused(400, "the revocation batch names no country")
    if batch.get("hashType") not in HASH_TYPES:
        raise UploadRefused(400, f"hashType must be one of {', '.join(HASH_TYPES)}")
    entries = batch.get("entries")
    if not isinstance(entries, list) or not 0 < len(entries) <= MAX_BATCH_ENTRIES:
        raise UploadRefused(400, f"entries must list 1 to {MAX_BATCH_ENTRIES} hashes")
    for entry in entries:
        if not isinstance(entry, dict) or len(_hash(entry.get("hash"))) != HASH_BYTES:
            raise UploadRefused(400, f"each entry's hash must be base64 of {HASH_BYTES} bytes")
    return batch


def _hash(value: object) -> bytes:
    try:
        return base64.b64decode(value, validate=True) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):
        return b""


def _expiry(value: object, now: datetime) -> datetime:
    try:
        expires = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise UploadRefused(400, "expires is not an ISO 8601 date-time") from None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if expires <= now:
        raise UploadRefused(400, "the revocation batch has expired already")
    return expires


def delete_batch(session: Session, country: str, cms: bytes, now: datetime) -> Accepted:
    """Withdraw a revocation batch of ``country``: the CMS carries ``{"batchId": ...}``."""
    content = open_upload(session, country, cms, now).content
    try:
        batch_id = str(json.loads(content)["batchId"])
    except (ValueError, KeyError, TypeError):
        raise UploadRefused(400, 'the deletion is not {"batchId": "..."}') from None
    batch = session.get(RevocationBatch, batch_id)
    if batch is None or batch.deleted:
        raise UploadRefused(404, f"no revocation batch {batch_id}")
    if batch.country != country:
        raise UploadRefused(403, f"batch {batch_id} is of {batch.country}, not of {country}")
    batch.deleted = True
    batch.change = repository.next_change(session)
    return Accepted("revocation batch deleted", batch_id, batch.change)


def commit_upload(session: Session) -> None:
    """Commit; a concurrent upload of the same kid or CMS becomes a 409, not a crash."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise UploadRefused(409, "a concurrent upload of the same entry won") from None
