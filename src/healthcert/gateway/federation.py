"""Federation: a gateway follows another, as the WHO network federates regional gateways.

Following imports what changed at the other gateway since the last time: its onboarded
entries (checked against its anchor, then signed again by this gateway's anchor), its DSCs
and border certificates (each checked against the uploader's CMS and the country's CSCA, and
to be what it is listed as), revocation batches and rules (each checked against the country's
UPLOAD certificate). Every imported row keeps where it came from (``origin``: the anchor
thumbprint of the gateway where it was first onboarded or uploaded) and is republished with
it. An entry whose origin is this gateway is its own coming back and is skipped; one already
held is skipped too: two gateways following each other neither duplicate nor grow.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcert.gateway import repository
from healthcert.gateway.anchor import GatewayAnchor
from healthcert.gateway.client import Connection, DownloadRejected
from healthcert.gateway.cms import CmsError, read_cms
from healthcert.gateway.tables import (
    Followed,
    RevocationBatch,
    Rule,
    SignerCertificate,
    TrustedParty,
)
from healthcert.gateway.wire import (
    ENTRY_TYPES,
    UPLOADED_TYPES,
    entry_signature_holds,
    sign_entry,
    thumbprint,
)
from healthcert.rules.rule import RuleError, parse_rule
from healthcert.trust.anchors import is_issued_by
from healthcert.trust.border import border_certificate_problem, is_border_certificate
from healthcert.trust.certificates import parse_der

PAGE_SIZE = 5000
_, BORDER = UPLOADED_TYPES
MAX_PAGES = 200


@dataclass(slots=True)
class FollowResult:
    """What one follow imported and skipped."""

    url: str
    seq: int = 0
    imported: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def count(self, kind: str) -> None:
        self.imported[kind] = self.imported.get(kind, 0) + 1


def follow(
    session: Session, own: GatewayAnchor, connection: Connection, now: datetime | None = None
) -> FollowResult:
    """Import what changed at ``connection``'s gateway; commit is the caller's."""
    moment = now or datetime.now(UTC)
    mine = thumbprint(own.certificate.public_bytes(Encoding.DER))
    theirs = thumbprint(connection.anchor.public_bytes(Encoding.DER))
    if mine == theirs:
        raise DownloadRejected("a gateway cannot follow itself")
    state = session.get(Followed, connection.url) or Followed(url=connection.url, seq=0)
    result = FollowResult(connection.url)
    entries, seq = _changes(connection, state.seq, moment)
    parties = [e for e in entries if e.get("certificateType") in ENTRY_TYPES]
    for entry in parties:
        _party(session, own, connection, entry, mine, theirs, moment, result)
    session.flush()
    for entry in entries:
        if entry.get("certificateType") in UPLOADED_TYPES:
            _signer(session, entry, mine, theirs, moment, result)
    session.flush()
    _batches(session, connection, state.seq, mine, theirs, moment, result)
    _rules(session, connection, mine, theirs, moment, result)
    state.seq, state.synced_at = seq, moment
    session.merge(state)
    result.seq = seq
    return result


def _changes(connection: Connection, since: int, now: datetime) -> tuple[list[dict[str, Any]], int]:
    entries: list[dict[str, Any]] = []
    for page in range(MAX_PAGES):
        target = f"/trustList?since={since}&page={page}&pagesize={PAGE_SIZE}"
        answer, stamp = connection.signed_get(target, min_seq=since, now=now)
        document = json.loads(answer.body)
        if not isinstance(document, list):
            raise DownloadRejected(f"{target}: not an array")
        entries.extend(entry for entry in document if isinstance(entry, dict))
        if not stamp.more:
            return entries, stamp.seq
    raise DownloadRejected(f"more than {MAX_PAGES} pages")


def _origin(entry: Mapping[str, Any], theirs: str) -> str:
    value = entry.get("origin")
    return str(value) if isinstance(value, str) and value else theirs


def _raw(entry: Mapping[str, Any]) -> bytes:
    try:
        return base64.b64decode(str(entry.get("rawData")), validate=True)
    except (binascii.Error, ValueError):
        raise DownloadRejected("an entry's rawData is not base64") from None


def _party(
    session: Session,
    own: GatewayAnchor,
    connection: Connection,
    entry: Mapping[str, Any],
    mine: str,
    theirs: str,
    now: datetime,
    result: FollowResult,
) -> None:
    kind, country, raw = str(entry["certificateType"]), str(entry.get("country")), _raw(entry)
    origin = _origin(entry, theirs)
    print_hex = thumbprint(raw)
    if not entry_signature_holds(
        connection.anchor, country, kind, raw, str(entry.get("signature"))
    ):
        raise DownloadRejected(
            f"the {kind} entry of {country} is not signed by the followed anchor"
        )
    if origin == mine:
        return  # our own entry, come back around
    held = [
        p for p in repository.party_by_thumbprint(session, print_hex) if p.certificate_type == kind
    ]
    if entry.get("deleted"):
        for party in held:
            if party.origin == origin:
                party.deleted, party.change = True, repository.next_change(session)
        return
    if held:
        return
    session.add(
        TrustedParty(
            country=country,
            certificate_type=kind,
            thumbprint=print_hex,
            kid=str(entry.get("kid")),
            raw_data=raw,
            signature=sign_entry(own.key, country, kind, print_hex),
            created_at=now,
            change=repository.next_change(session),
            deleted=False,
            origin=origin,
        )
    )
    result.count(kind)


def _signer(
    session: Session,
    entry: Mapping[str, Any],
    mine: str,
    theirs: str,
    now: datetime,
    result: FollowResult,
) -> None:
    origin, country, raw = _origin(entry, theirs), str(entry.get("country")), _raw(entry)
    if origin == mine:
        return
    kind, kid = str(entry["certificateType"]), str(entry.get("kid"))
    held = repository.signer_by_kid(session, kid)
    if entry.get("deleted"):
        if (
            held is not None
            and held.origin == origin
            and held.certificate_type == kind
            and not held.deleted
        ):
            held.deleted, held.change = True, repository.next_change(session)
        return
    if held is not None:
        return
    problem = _signer_problem(session, kind, country, raw, entry.get("signature"))
    if problem is not None:
        result.skipped.append(f"{kind} {country} {kid}: {problem}")
        return
    session.add(
        SignerCertificate(
            certificate_type=kind,
            country=country,
            kid=kid,
            thumbprint=thumbprint(raw),
            raw_data=raw,
            signature=str(entry.get("signature")),
            created_at=now,
            change=repository.next_change(session),
            deleted=False,
            origin=origin,
        )
    )
    result.count(kind)


def _signer_problem(
    session: Session, kind: str, country: str, raw: bytes, cms_text: object
) -> str | None:
    """Why a followed DSC or border certificate cannot be republished: its upload and its CSCA
    are checked again, and whether it is what it is listed as (a border key signs nothing)."""
    try:
        content = _uploaded(session, country, cms_text)
    except DownloadRejected as error:
        return str(error)
    if content != raw:
        return "the uploader's CMS carries another certificate"
    certificate = parse_der(raw)
    cscas = repository.parties(session, country, "CSCA")
    if not any(is_issued_by(certificate, parse_der(p.raw_data)) for p in cscas):
        return f"not signed by a CSCA of {country}"
    if kind == BORDER:
        return border_certificate_problem(certificate)
    if is_border_certificate(certificate):
        return "a border certificate listed as a DSC"
    return None


def _uploaded(session: Session, country: str, cms_text: object) -> bytes:
    """The content of an uploader's CMS by an UPLOAD certificate of ``country`` held here."""
    try:
        signed = read_cms(base64.b64decode(str(cms_text), validate=True))
    except (binascii.Error, ValueError, CmsError) as error:
        raise DownloadRejected(f"the uploader's CMS does not hold: {error}") from None
    print_hex = thumbprint(signed.signer.public_bytes(Encoding.DER))
    roles = repository.party_by_thumbprint(session, print_hex)
    if not any(p.certificate_type == "UPLOAD" and p.country == country for p in roles):
        raise DownloadRejected(f"the CMS is not signed by an UPLOAD certificate of {country}")
    return signed.content


def _batches(
    session: Session,
    connection: Connection,
    since: int,
    mine: str,
    theirs: str,
    now: datetime,
    result: FollowResult,
) -> None:
    for page in range(MAX_PAGES):
        target = f"/revocation-list?since={since}&page={page}"
        answer, stamp = connection.signed_get(target, min_seq=since, now=now)
        if answer.status == 204:
            return
        for item in json.loads(answer.body).get("batches", []):
            _batch(session, connection, item, since, mine, theirs, now, result)
        if not stamp.more:
            return
    raise DownloadRejected(f"more than {MAX_PAGES} pages of revocation batches")


def _batch(
    session: Session,
    connection: Connection,
    item: Mapping[str, Any],
    since: int,
    mine: str,
    theirs: str,
    now: datetime,
    result: FollowResult,
) -> None:
    batch_id = str(item["batchId"])
    held = session.get(RevocationBatch, batch_id)
    if item.get("deleted"):
        if held is not None and held.origin not in (None, mine) and not held.deleted:
            held.deleted, held.change = True, repository.next_change(session)
        return
    if held is not None:
        return
    answer, _stamp = connection.signed_get(f"/revocation-list/{batch_id}", min_seq=since, now=now)
    document = json.loads(answer.body)
    origin = _origin(document, theirs)
    if origin == mine:
        return
    country = str(document.get("country"))
    content = _uploaded(session, country, document.get("cms"))
    batch = json.loads(content)
    session.add(
        RevocationBatch(
            batch_id=batch_id,
            country=country,
            hash_type=str(batch["hashType"]),
            expires=datetime.fromisoformat(str(batch["expires"]).replace("Z", "+00:00")),
            body=content.decode("utf-8"),
            signature=str(document.get("cms")),
            created_at=now,
            change=repository.next_change(session),
            deleted=False,
            origin=origin,
        )
    )
    result.count("revocation batch")


def _rules(
    session: Session,
    connection: Connection,
    mine: str,
    theirs: str,
    now: datetime,
    result: FollowResult,
) -> None:
    answer, _stamp = connection.signed_get("/rules", min_seq=0, now=now)
    for country, identifiers in json.loads(answer.body).items():
        for identifier, versions in identifiers.items():
            for version in versions:
                if _origin(version, theirs) != mine:
                    _rule(session, str(country), str(identifier), version, theirs, now, result)


def _rule(
    session: Session,
    country: str,
    identifier: str,
    version: Mapping[str, Any],
    theirs: str,
    now: datetime,
    result: FollowResult,
) -> None:
    held = session.scalars(
        select(Rule).where(
            Rule.identifier == identifier, Rule.version == str(version.get("version"))
        )
    ).first()
    if held is not None:
        return
    content = _uploaded(session, country, version.get("cms"))
    try:
        rule = parse_rule(json.loads(content))
    except (ValueError, RuleError) as error:
        result.skipped.append(f"rule {identifier}: {error}")
        return
    repository.add_rule(
        session,
        rule,
        country=country,
        content=content,
        signature=str(version.get("cms")),
        now=now,
        origin=_origin(version, theirs),
    )
    result.count("rule")
