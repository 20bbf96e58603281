"""What a signed-in holder sees and does: their own records and certificates, nobody else's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from healthcert.database.tables import IssuedCertificate, Record
from healthcert.service import audit
from healthcert.service.errors import NotFound
from healthcert.service.issuance import get_certificate, issue_for_record
from healthcert.service.person import is_person, person_of
from healthcert.service.records import get_record

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext
    from healthcert.service.issuance import Issued
    from healthcert.service.person import Person


def actor_of(person: Person) -> audit.Actor:
    return audit.Actor("holder", person.key[:16])


def owns(record: Record, person: Person) -> bool:
    return person_of(record) == person


def own_record(ctx: ServiceContext, person: Person, record_id: int) -> Record:
    """The record if it is the person's; NotFound otherwise (another's is not even admitted)."""
    record = get_record(ctx, record_id)
    if not owns(record, person):
        raise NotFound(f"no record {record_id}")
    return record


def own_certificate(ctx: ServiceContext, person: Person, certificate_id: int) -> IssuedCertificate:
    certificate = get_certificate(ctx, certificate_id)
    own_record(ctx, person, certificate.record_id)
    return certificate


def certificates_of(ctx: ServiceContext, person: Person) -> list[IssuedCertificate]:
    query = (
        select(IssuedCertificate)
        .join(Record, Record.id == IssuedCertificate.record_id)
        .where(is_person(Record, person))
        .order_by(IssuedCertificate.id)
    )
    with ctx.sessions() as session:
        return list(session.scalars(query).all())


def issue_own(ctx: ServiceContext, person: Person, record_id: int, fmt: str) -> Issued:
    own_record(ctx, person, record_id)
    return issue_for_record(ctx, record_id, fmt, actor_of(person))
