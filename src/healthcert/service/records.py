"""Records intake: what laboratories and vaccination sites report, validated field by field,
stored once per sender record id however often the sender retries. A sender is an API key, by
its id: two keys never share record ids, whatever their labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from healthcert.database.tables import Record
from healthcert.model import fields
from healthcert.model.certificate import Certificate
from healthcert.service import audit
from healthcert.service.errors import Conflict, Invalid, NotFound
from healthcert.service.person import (
    BirthDate,
    DocumentNumber,
    DocumentType,
    IssuingCountry,
    Person,
    is_person,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from healthcert.service.context import ServiceContext

# Filled at issuance (the DSC's country, the service's issuer name, a fresh UVCI); a record
# may leave them out, so validation stands in these values and never stores them.
_PLACEHOLDERS = {"country": "ZZ", "issuer": "-", "certificate_id": "-"}

# The names' limits are the certificate's: a record the model would refuse is refused here.
_FAMILY_MAX = fields.max_length(fields.HOLDER, "family_name")
_GIVEN_MAX = fields.max_length(fields.HOLDER, "given_name")

# The holder's fields a certificate carries (the document and contact stay in the record).
_CANONICAL_HOLDER = {
    "family_name",
    "given_name",
    "family_name_latin",
    "given_name_latin",
    "date_of_birth",
}

Short = Annotated[str, Field(strict=True, min_length=1, max_length=64)]


class HolderIn(BaseModel):
    """The person: their travel document, names as written (and Latin forms) and birth date."""

    model_config = ConfigDict(extra="forbid")

    document_type: DocumentType
    issuing_country: IssuingCountry
    document_number: DocumentNumber
    family_name: Annotated[str | None, Field(max_length=_FAMILY_MAX)] = None
    given_name: Annotated[str | None, Field(max_length=_GIVEN_MAX)] = None
    family_name_latin: str | None = None
    given_name_latin: str | None = None
    date_of_birth: BirthDate
    # Kept with the record for the sender's own use; codes never go there (service.contacts).
    contact: Annotated[str | None, Field(max_length=200)] = None

    def person(self) -> Person:
        return Person.of(
            self.document_type, self.issuing_country, self.document_number, self.date_of_birth
        )


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_id: Annotated[str, Field(min_length=1, max_length=200)]
    holder: HolderIn
    entry: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Stored:
    record: Record
    created: bool


def parse_record(document: Any) -> RecordIn:
    """Validate a native record; Invalid names every bad field, holder and entry alike."""
    try:
        record = RecordIn.model_validate(document)
    except ValidationError as error:
        problems = field_problems(error)
        # The certificate's own rules still name the fields the record's shape let through.
        raise Invalid(problems + _certificate_problems(document, problems)) from None
    check_certificate_fields(record)
    return record


def check_certificate_fields(record: RecordIn) -> None:
    """The holder and entry must make a valid canonical certificate (codes, dates, names)."""
    problems = _certificate_problems(
        {"holder": canonical_holder(record.holder), "entry": record.entry}, []
    )
    if problems:
        raise Invalid(problems)


def _certificate_problems(document: Any, known: list[dict[str, str]]) -> list[dict[str, str]]:
    """What the certificate model refuses in ``document``'s holder and entry, but for fields
    (or their parents) already in ``known``."""
    if not isinstance(document, dict):
        return []
    holder, entry = (_part(document, name) for name in ("holder", "entry"))
    named = {key: value for key, value in holder.items() if key in _CANONICAL_HOLDER}
    try:
        Certificate.model_validate({"holder": named, "entry": {**_PLACEHOLDERS, **entry}})
    except ValidationError as error:
        fields = {problem["field"] for problem in known}
        return [p for p in field_problems(error) if not _within(p["field"], fields)]
    return []


def _part(document: dict[Any, Any], name: str) -> dict[Any, Any]:
    part = document.get(name)
    return part if isinstance(part, dict) else {}


def _within(field: str, fields: set[str]) -> bool:
    parts = field.split(".")
    return any(".".join(parts[:end]) in fields for end in range(1, len(parts) + 1))


def canonical_holder(holder: HolderIn) -> dict[str, Any]:
    return holder.model_dump(include=_CANONICAL_HOLDER, exclude_none=True)


def field_problems(error: ValidationError) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(part) for part in problem["loc"]) or "record",
            "message": problem["msg"],
        }
        for problem in error.errors()
    ]


def store_record(ctx: ServiceContext, record: RecordIn, actor: audit.Actor) -> Stored:
    """Store a record, or find the one this sender already stored under the same record id.

    The same id with different content is a Conflict: the sender must use a new id.
    """
    sender = sender_key(actor)
    try:
        with ctx.transaction() as session:
            existing = _by_sender_id(session, sender, record.record_id)
            if existing is not None:
                return Stored(_same_or_conflict(existing, record), created=False)
            return Stored(_insert(session, ctx, record, actor), created=True)
    except IntegrityError:  # a concurrent retry stored it between our read and our insert
        with ctx.sessions() as session:
            found = _by_sender_id(session, sender, record.record_id)
        if found is None:
            raise
        return Stored(_same_or_conflict(found, record), created=False)


def sender_key(actor: audit.Actor) -> int:
    """The id of the key that sends: records are its own (a label may be renamed or reused)."""
    if actor.key_id is None:
        raise ValueError("records are sent with an API key")
    return actor.key_id


def _by_sender_id(session: Session, sender: int, record_id: str) -> Record | None:
    return session.scalar(
        select(Record).where(Record.sender_key_id == sender, Record.sender_record_id == record_id)
    )


def _same_or_conflict(existing: Record, record: RecordIn) -> Record:
    if existing.holder != _holder_json(record) or existing.entry != record.entry:
        raise Conflict(
            f"record id {record.record_id!r} was already used for different data: use a new id"
        )
    return existing


def _holder_json(record: RecordIn) -> dict[str, Any]:
    return record.holder.model_dump(exclude_none=True)


def _insert(session: Session, ctx: ServiceContext, record: RecordIn, actor: audit.Actor) -> Record:
    now = ctx.clock()
    row = Record(
        sender_key_id=sender_key(actor),
        sender=actor.name,
        sender_record_id=record.record_id,
        kind=str(record.entry["kind"]),
        **record.holder.person().columns(),
        contact=record.holder.contact,
        holder=_holder_json(record),
        entry=record.entry,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.append(session, actor, "record.create", "record", row.id, now, kind=row.kind)
    return row


def get_record(ctx: ServiceContext, record_id: int) -> Record:
    with ctx.sessions() as session:
        row = session.get(Record, record_id)
    if row is None:
        raise NotFound(f"no record {record_id}")
    return row


def records_of(ctx: ServiceContext, person: Person) -> list[Record]:
    """Every record of the person."""
    with ctx.sessions() as session:
        query = select(Record).where(is_person(Record, person))
        return list(session.scalars(query.order_by(Record.id)).all())


def record_json(record: Record) -> dict[str, Any]:
    return {
        "id": record.id,
        "record_id": record.sender_record_id,
        "sender": record.sender,
        "kind": record.kind,
        "holder": record.holder,
        "entry": record.entry,
        "created_at": record.created_at.isoformat(),
    }
