"""Issuance from a record: one certificate per record and format, whoever asks and how often.

Signing runs outside the transaction (it is CPU work); the insert then relies on the unique
(record, format) constraint, so of concurrent requests exactly one stores a certificate and
the others return it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from healthcert.service import audit
from healthcert.service.errors import Invalid, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from healthcert.service.context import ServiceContext
    from healthcert.store.tables import IssuedCertificate, Record

_UVCI_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Signed:
    """A signed payload and what the certificates table keeps about it."""

    payload: str
    uvci: str
    country: str
    kid: str
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Issued:
    certificate: IssuedCertificate
    created: bool


Encoder = Callable[["ServiceContext", dict[str, Any], str], Signed]


def encoders() -> dict[str, Encoder]:
    """The formats this installation issues, by name."""
    from healthcert.service.encoders import sign_shc, sign_vdsnc

    return {"eu-dcc": _sign_eu_dcc, "shc": sign_shc, "icao-vds-nc": sign_vdsnc}


def issue_for_record(ctx: ServiceContext, record_id: int, fmt: str, actor: audit.Actor) -> Issued:
    """The record's certificate in ``fmt``: the stored one, or a new one signed now."""
    encoder = _encoder(fmt)
    record = _record(ctx, record_id)
    existing = find_certificate(ctx, record_id, fmt)
    if existing is not None:
        return Issued(existing, created=False)
    for _attempt in range(_UVCI_ATTEMPTS):
        signed = encoder(ctx, certificate_document(ctx, record), _country(ctx))
        issued = _store(ctx, record, fmt, signed, actor)
        if issued is not None:
            return issued
    raise RuntimeError("could not draw an unused UVCI")  # 110 random bits: never in practice


def _encoder(fmt: str) -> Encoder:
    available = encoders()
    if fmt not in available:
        known = ", ".join(available)
        raise Invalid([{"field": "format", "message": f"must be one of: {known}"}])
    return available[fmt]


def _record(ctx: ServiceContext, record_id: int) -> Record:
    from healthcert.store.tables import Record

    with ctx.sessions() as session:
        record = session.get(Record, record_id)
    if record is None:
        raise NotFound(f"no record {record_id}")
    return record


def _country(ctx: ServiceContext) -> str:
    from healthcert.issue import issuer_country

    return issuer_country(ctx.signer())


def certificate_document(ctx: ServiceContext, record: Record) -> dict[str, Any]:
    """The canonical certificate of a record; ``certificate_id`` is filled by the encoder."""
    holder = {
        key: value
        for key, value in record.holder.items()
        if key
        in ("family_name", "given_name", "family_name_latin", "given_name_latin", "date_of_birth")
    }
    entry = {**record.entry, "country": _country(ctx), "issuer": ctx.issuer_name}
    return {"holder": holder, "entry": entry}


def find_certificate(ctx: ServiceContext, record_id: int, fmt: str) -> IssuedCertificate | None:
    from sqlalchemy import select

    from healthcert.store.tables import IssuedCertificate

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
    from sqlalchemy.exc import IntegrityError

    try:
        with ctx.transaction() as session:
            return Issued(_insert(session, record, fmt, signed, actor), created=True)
    except IntegrityError:
        winner = find_certificate(ctx, record.id, fmt)
        return Issued(winner, created=False) if winner is not None else None


def _insert(
    session: Session, record: Record, fmt: str, signed: Signed, actor: audit.Actor
) -> IssuedCertificate:
    from healthcert.store.tables import IssuedCertificate

    row = IssuedCertificate(
        record_id=record.id,
        format=fmt,
        uvci=signed.uvci,
        country=signed.country,
        kid=signed.kid,
        payload=signed.payload,
        issued_at=signed.issued_at,
        expires_at=signed.expires_at,
    )
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
        uvci=signed.uvci,
        kid=signed.kid,
    )
    return row


def _sign_eu_dcc(ctx: ServiceContext, document: dict[str, Any], country: str) -> Signed:
    from healthcert.service.encoders import sign_eu_dcc

    return sign_eu_dcc(ctx.signer(), document, country, ctx.clock())


def get_certificate(ctx: ServiceContext, certificate_id: int) -> IssuedCertificate:
    from healthcert.store.tables import IssuedCertificate

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
