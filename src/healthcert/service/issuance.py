"""Issuance from a record: one certificate per record and format, whoever asks and how often.

The library's issuance (``healthcert.issuance``) signs; this module draws each certificate's UVCI
and stores what was signed. Signing runs outside the transaction (it is CPU work); the insert
then relies on the unique (record, format) constraint, so of concurrent requests exactly one
stores a certificate and the others return it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from healthcert.database.tables import IssuedCertificate, Record
from healthcert.errors import RequestError
from healthcert.formats import registry
from healthcert.issuance import IssueRequest, Signed, issue_many, issuer_country, parse_request
from healthcert.service import audit, metrics
from healthcert.service.errors import Invalid, NotFound
from healthcert.service.uvci import new_uvci

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from healthcert.keys.signer import Signer
    from healthcert.service.context import ServiceContext

_UVCI_ATTEMPTS = 5
# The holder's fields a certificate carries: a record also has their document and contact.
_HOLDER_FIELDS = frozenset(
    ("family_name", "given_name", "family_name_latin", "given_name_latin", "date_of_birth")
)
# Stands in for the UVCI until signing draws one (``sign_requests``).
_UVCI_TO_DRAW = "-"


@dataclass(frozen=True, slots=True)
class Issued:
    certificate: IssuedCertificate
    created: bool


def issue_for_record(ctx: ServiceContext, record_id: int, fmt: str, actor: audit.Actor) -> Issued:
    """The record's certificate in ``fmt``: the stored one, or a new one signed now."""
    _check_format(fmt)
    record = _record(ctx, record_id)
    existing = find_certificate(ctx, record_id, fmt)
    if existing is not None:
        return Issued(existing, created=False)
    signer = ctx.signer()
    request = certificate_request(
        record.holder, record.entry, issuer_country(signer), ctx.issuer_name
    )
    for _attempt in range(_UVCI_ATTEMPTS):
        (signed,) = sign_requests(
            signer, [request], fmt, now=ctx.clock(), issuer_url=ctx.shc_issuer
        )
        if isinstance(signed, RequestError):
            raise signed
        issued = _store(ctx, record, fmt, signed, actor)
        if issued is not None:
            if issued.created:
                metrics.certificate_issued(fmt)
            return issued
    raise RuntimeError("could not draw an unused UVCI")  # 110 random bits: never in practice


def sign_requests(
    signer: Signer,
    requests: Sequence[IssueRequest],
    fmt: str,
    *,
    now: datetime,
    issuer_url: str | None = None,
) -> list[Signed | RequestError]:
    """Sign requests together, each under a fresh UVCI of the signer's country (the database
    enforces uniqueness again); one outcome each, in order (see ``issue.issue_many``)."""
    country = issuer_country(signer)
    uvcis = [new_uvci(country) for _ in requests]
    return issue_many(requests, signer, fmt, now=now, issuer_url=issuer_url, certificate_ids=uvcis)


def certificate_document(
    holder: Mapping[str, Any],
    entry: Mapping[str, Any],
    country: str,
    issuer_name: str,
    certificate_id: str = _UVCI_TO_DRAW,
) -> dict[str, Any]:
    """The canonical certificate of a record's holder and entry as the service issues it: in
    the signer's country, under the service's name."""
    return {
        "holder": {key: value for key, value in holder.items() if key in _HOLDER_FIELDS},
        "entry": {
            **entry,
            "country": country,
            "issuer": issuer_name,
            "certificate_id": certificate_id,
        },
    }


def certificate_request(
    holder: Mapping[str, Any], entry: Mapping[str, Any], country: str, issuer_name: str
) -> IssueRequest:
    """The request to sign a record: its certificate, validated once, the UVCI left to
    ``sign_requests``. No record carries ``valid_days``: the kind's default applies."""
    return parse_request(certificate_document(holder, entry, country, issuer_name))


def _check_format(fmt: str) -> None:
    if fmt not in registry.CERTIFICATE_FORMATS:
        known = ", ".join(registry.CERTIFICATE_FORMATS)
        raise Invalid([{"field": "format", "message": f"must be one of: {known}"}])


def _record(ctx: ServiceContext, record_id: int) -> Record:
    with ctx.sessions() as session:
        record = session.get(Record, record_id)
    if record is None:
        raise NotFound(f"no record {record_id}")
    return record


def find_certificate(ctx: ServiceContext, record_id: int, fmt: str) -> IssuedCertificate | None:
    with ctx.sessions() as session:
        return session.scalar(
            select(IssuedCertificate).where(
                IssuedCertificate.record_id == record_id, IssuedCertificate.format == fmt
            )
        )


def _store(
    ctx: ServiceContext, record: Record, fmt: str, signed: Signed, actor: audit.Actor
) -> Issued | None:
    """Insert; the existing certificate when another request won; None on a UVCI collision."""
    try:
        with ctx.transaction() as session:
            return Issued(_insert(session, record, fmt, signed, actor), created=True)
    except IntegrityError:
        winner = find_certificate(ctx, record.id, fmt)
        return Issued(winner, created=False) if winner is not None else None


def certificate_row(record_id: int, fmt: str, signed: Signed) -> dict[str, Any]:
    """The certificates table's columns of a signed payload."""
    return {
        "record_id": record_id,
        "format": fmt,
        "uvci": signed.certificate_id,
        "country": signed.country,
        "kid": signed.kid,
        "payload": signed.payload,
        "issued_at": signed.issued_at,
        "expires_at": signed.expires_at,
    }


def _insert(
    session: Session, record: Record, fmt: str, signed: Signed, actor: audit.Actor
) -> IssuedCertificate:
    row = IssuedCertificate(**certificate_row(record.id, fmt, signed))
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor,
        "certificate.issue",
        "certificate",
        row.id,
        signed.issued_at,
        record=record.id,
        format=fmt,
        uvci=signed.certificate_id,
        kid=signed.kid,
    )
    return row


def get_certificate(ctx: ServiceContext, certificate_id: int) -> IssuedCertificate:
    with ctx.sessions() as session:
        row = session.get(IssuedCertificate, certificate_id)
    if row is None:
        raise NotFound(f"no certificate {certificate_id}")
    return row


def certificate_json(row: IssuedCertificate) -> dict[str, Any]:
    return {
        "id": row.id,
        "record": row.record_id,
        "format": row.format,
        "uvci": row.uvci,
        "country": row.country,
        "kid": row.kid,
        "payload": row.payload,
        "issued_at": row.issued_at.isoformat(),
        "expires_at": row.expires_at.isoformat(),
        "revoked": row.revoked_at is not None,
    }
