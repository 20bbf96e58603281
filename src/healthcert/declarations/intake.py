"""Taking in a health declaration: the holder's body validated field by field (every problem at
once), its evidence checked (own records only; certificate payloads verified with the service's
trust store), documents uploaded with their type read from their content; nothing is stored
half: a refusal stores nothing. What is stored here is reviewed by ``filing``, once stored."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from sqlalchemy import func, select

from healthcert.database.tables import Declaration, DeclarationEvidence, Record
from healthcert.declarations import status
from healthcert.limits import MAX_ROW_ID
from healthcert.service import audit
from healthcert.service.errors import Conflict, Invalid, NotFound
from healthcert.service.holder import actor_of, own_record
from healthcert.service.person import is_person, person_of
from healthcert.service.records import field_problems, record_json
from healthcert.service.verification import FULL, Ask, verify_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from healthcert.service.context import ServiceContext
    from healthcert.service.person import Person

# Every limit of a declaration, stated once (the API's descriptions quote them).
MAX_VIA = 5
MAX_EVIDENCE = 10
MAX_DOCUMENTS = 10
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_PAYLOAD_CHARS = 8192
DEPARTURE_AHEAD = timedelta(days=30)
TEMPERATURE_C = (34.0, 43.0)
# What an uploaded document may be, by the bytes it starts with: its name and the type its
# sender claims prove nothing.
MAGIC = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}

Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IdentityIn(_Strict):
    """What the sign-in lacks: the travel document's kind and issuer, and the nationality."""

    document_type: Annotated[str, Field(pattern=r"^(passport|id-card|other)$")]
    issuing_country: Country
    nationality: Country


class Residence(_Strict):
    country: Country
    city: Text
    address: Annotated[str, Field(min_length=1, max_length=400)]


class Employer(_Strict):
    name: Text
    address: Annotated[str, Field(min_length=1, max_length=400)]


def _zoned(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("give a time zone (e.g. 2026-12-09T10:00:00Z)")
    return value


class TransitStopIn(_Strict):
    """A country the traveller changes planes in, and when their onward flight leaves it."""

    country: Country
    city: Text | None = None
    departure: datetime

    _departure_zoned = field_validator("departure")(_zoned)


class Trip(_Strict):
    from_country: Country
    from_city: Text
    via: Annotated[list[TransitStopIn], Field(max_length=MAX_VIA)] = []
    to_country: Country
    port_of_entry: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="IATA code")]
    departure: datetime
    transport: Annotated[str, Field(pattern=r"^[A-Z0-9]{2,8}$", description="e.g. CA982")]

    @field_validator("departure")
    @classmethod
    def _departure_window(cls, value: datetime, info: ValidationInfo) -> datetime:
        _zoned(value)
        now: datetime = (info.context or {})["now"]
        if value < now:
            raise ValueError("the departure is in the past")
        if value > now + DEPARTURE_AHEAD:
            raise ValueError(f"the departure is more than {DEPARTURE_AHEAD.days} days ahead")
        return value

    @model_validator(mode="after")
    def _transit_in_order(self) -> Trip:
        """Each onward departure comes after the one before it: one problem per stop."""
        problems = []
        previous = self.departure
        for index, stop in enumerate(self.via):
            if stop.departure <= previous:
                before = "the trip's departure" if index == 0 else f"via.{index - 1}'s departure"
                message = PydanticCustomError(
                    "value_error", "Value error, {message}", {"message": f"not after {before}"}
                )
                location = ("via", index, "departure")
                problems.append(
                    InitErrorDetails(type=message, loc=location, input=stop.departure.isoformat())
                )
            previous = stop.departure
        if problems:
            raise ValidationError.from_exception_data("Trip", problems)
        return self


class EvidenceIn(_Strict):
    """One of the holder's records, or a certificate payload (HC1:, shc:/, a VDS-NC seal)."""

    record_id: Annotated[int | None, Field(ge=1, le=MAX_ROW_ID)] = None
    payload: Annotated[str | None, Field(min_length=1, max_length=MAX_PAYLOAD_CHARS)] = None

    @model_validator(mode="after")
    def _one_source(self) -> EvidenceIn:
        if (self.record_id is None) == (self.payload is None):
            raise ValueError("give exactly one of record_id and payload")
        return self


class Health(_Strict):
    symptoms: bool
    temperature_c: Annotated[float, Field(ge=TEMPERATURE_C[0], le=TEMPERATURE_C[1])]


class DeclarationIn(_Strict):
    identity: IdentityIn
    residence: Residence
    employer: Employer | None = None
    trip: Trip
    evidence: Annotated[list[EvidenceIn], Field(max_length=MAX_EVIDENCE)] = []
    health: Health
    consent: bool

    @field_validator("consent")
    @classmethod
    def _consented(cls, value: bool) -> bool:
        if not value:
            raise ValueError("the declaration needs the holder's consent")
        return value


def parse_declaration(document: Any, now: datetime) -> DeclarationIn:
    """The body, validated; Invalid lists every wrong field."""
    try:
        return DeclarationIn.model_validate(document, context={"now": now})
    except ValidationError as error:
        raise Invalid(field_problems(error)) from None


def store_declaration(ctx: ServiceContext, person: Person, document: Any) -> Declaration:
    """Store a declaration for ``person``: validated, its evidence checked, stored whole."""
    now = ctx.clock()
    parsed = parse_declaration(document, now)
    _check_document(person, parsed.identity)
    checked = _check_evidence(ctx, person, parsed)
    actor = actor_of(person)
    with ctx.transaction() as session:
        row = Declaration(
            **person.columns(),
            residence_country=parsed.residence.country,
            destination=parsed.trip.to_country,
            departure=parsed.trip.departure,
            status=status.SUBMITTED,
            version=1,
            body=parsed.model_dump(mode="json", exclude={"evidence", "consent"}),
            created_at=now,
            submitted_at=now,
        )
        session.add(row)
        session.flush()
        for item in checked:
            _add_evidence(session, row.id, item, now)
        status.record(session, row.id, status.SUBMITTED, actor, now)
        audit.append(session, actor, "declaration.file", "declaration", row.id, now)
    return row


def _check_document(person: Person, identity: IdentityIn) -> None:
    """The declaration's travel document is the one the holder signed in with."""
    problems = [
        {"field": f"identity.{name}", "message": "must be the signed-in holder's document"}
        for name, value in (
            ("document_type", identity.document_type),
            ("issuing_country", identity.issuing_country),
        )
        if value != getattr(person, name)
    ]
    if problems:
        raise Invalid(problems)


def _check_evidence(ctx: ServiceContext, person: Person, parsed: DeclarationIn) -> list[EvidenceIn]:
    """Every piece of evidence stands, or Invalid names each that does not."""
    problems: list[dict[str, str]] = []
    for index, item in enumerate(parsed.evidence):
        field = f"evidence.{index}"
        if item.record_id is not None:
            problem = _own_record_problem(ctx, person, item.record_id)
        else:
            problem = _payload_problem(ctx, person, item.payload or "", parsed.trip.to_country)
        if problem is not None:
            problems.append({"field": field, **problem})
    if problems:
        raise Invalid(problems)
    return parsed.evidence


def _own_record_problem(
    ctx: ServiceContext, person: Person, record_id: int
) -> dict[str, str] | None:
    try:
        own_record(ctx, person, record_id)
    except NotFound:
        # The same words for another person's record and for none: nothing is revealed.
        return {"message": f"no record {record_id} of yours"}
    return None


def _payload_problem(
    ctx: ServiceContext, person: Person, payload: str, destination: str
) -> dict[str, str] | None:
    report = verify_payload(ctx, payload, destination)
    if report["valid"]:
        return None if _born_on(report, person) else {"message": _ANOTHER_PERSON}
    codes = [error["code"] for error in report["errors"]]
    return {
        "message": f"the certificate does not verify: {', '.join(codes) or 'not valid'}",
        "codes": ",".join(codes),
    }


_ANOTHER_PERSON = "the certificate's date of birth is not the holder's"


def _born_on(report: dict[str, Any], person: Person) -> bool:
    """Whether the certificate may be the person's: its date of birth (a DCC may give only the
    year, or year and month) begins the person's."""
    born = str(((report.get("certificate") or {}).get("holder") or {}).get("date_of_birth") or "")
    return bool(born) and person.date_of_birth.startswith(born)


def verify_payload(
    ctx: ServiceContext, payload: str, destination: str, language: str = "en"
) -> dict[str, Any]:
    """The payload's report with the service's trust store, and its verdict for ``destination``
    (rule descriptions and messages in ``language``)."""
    # The post reviews the evidence in full: its access to the declaration is audited already.
    return verify_text(ctx, payload, Ask(country=destination, language=language, view=FULL))


def _add_evidence(session: Session, declaration_id: int, item: EvidenceIn, now: datetime) -> None:
    session.add(
        DeclarationEvidence(
            declaration_id=declaration_id,
            kind="record" if item.record_id is not None else "payload",
            record_id=item.record_id,
            payload=item.payload,
            created_at=now,
        )
    )


def media_type_of(data: bytes) -> str | None:
    """The type the content is, by its first bytes; None for anything not admitted."""
    for media_type, magic in MAGIC.items():
        if data.startswith(magic):
            return media_type
    return None


class Attached(NamedTuple):
    declaration: Declaration
    # The document answered a post's request: the declaration is submitted again.
    requeued: bool


def _storable_name(filename: str | None) -> str:
    """The uploaded file's name as a database stores it: no control characters (PostgreSQL
    refuses NUL), no unpaired surrogates, 200 characters at most."""
    kept = "".join(c for c in filename or "" if c.isprintable() and not "\ud800" <= c <= "\udfff")
    return kept[:200] or "document"


def store_document(
    ctx: ServiceContext,
    person: Person,
    declaration_id: int,
    data: bytes,
    filename: str | None,
    claimed_type: str | None,
) -> Attached:
    """Attach a document (PDF, PNG or JPEG, at most MAX_DOCUMENT_BYTES) to an open declaration;
    one asked for by a post puts the declaration back in the queue."""
    media_type = _document_type(data, claimed_type)
    now = ctx.clock()
    actor = actor_of(person)
    with ctx.transaction() as session:
        row = own_declaration(session, person, declaration_id)
        if row.status not in status.OPEN:
            raise Conflict(f"the declaration is {row.status}: it takes no more documents")
        if _document_count(session, row.id) >= MAX_DOCUMENTS:
            raise Invalid([{"field": "file", "message": f"at most {MAX_DOCUMENTS} documents"}])
        session.add(
            DeclarationEvidence(
                declaration_id=row.id,
                kind="document",
                media_type=media_type,
                filename=_storable_name(filename),
                data=data,
                created_at=now,
            )
        )
        answered = row.status == status.DOCUMENTS_REQUESTED
        if answered:
            status.move(session, row, status.OPEN, status.SUBMITTED, actor, now, "documents added")
        audit.append(session, actor, "declaration.document", "declaration", row.id, now)
        session.refresh(row)
    return Attached(row, answered)


def _document_type(data: bytes, claimed_type: str | None) -> str:
    if len(data) > MAX_DOCUMENT_BYTES:
        message = f"larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB"
        raise Invalid([{"field": "file", "message": message}])
    if not data:
        raise Invalid([{"field": "file", "message": "the file is empty"}])
    found = media_type_of(data)
    if found is None:
        raise Invalid([{"field": "file", "message": "only PDF, PNG and JPEG documents"}])
    claimed = (claimed_type or "").split(";")[0].strip().lower()
    if claimed in MAGIC and claimed != found:
        message = f"the content is {found}, not the {claimed} it is said to be"
        raise Invalid([{"field": "file", "message": message}])
    return found


def _document_count(session: Session, declaration_id: int) -> int:
    count = session.scalar(
        select(func.count())
        .select_from(DeclarationEvidence)
        .where(
            DeclarationEvidence.declaration_id == declaration_id,
            DeclarationEvidence.kind == "document",
        )
    )
    return int(count or 0)


def document_of(session: Session, declaration_id: int, evidence_id: int) -> Any:
    """An uploaded document of the declaration; NotFound for anything else."""
    item = session.get(DeclarationEvidence, evidence_id)
    if item is None or item.declaration_id != declaration_id or item.kind != "document":
        raise NotFound(f"no document {evidence_id}")
    return item


def own_declaration(session: Session, person: Person, declaration_id: int) -> Declaration:
    """The person's declaration; NotFound for another's as for none."""
    row = session.get(Declaration, declaration_id)
    if row is None or person_of(row) != person:
        raise NotFound(f"no declaration {declaration_id}")
    return row


def withdraw(ctx: ServiceContext, person: Person, declaration_id: int) -> Declaration:
    """Withdraw an open declaration; a decided one is a Conflict."""
    now = ctx.clock()
    actor = actor_of(person)
    with ctx.transaction() as session:
        row = own_declaration(session, person, declaration_id)
        status.move(session, row, status.OPEN, status.WITHDRAWN, actor, now)
        audit.append(session, actor, "declaration.withdraw", "declaration", row.id, now)
        session.refresh(row)
    return row


def declarations_of(ctx: ServiceContext, person: Person) -> list[dict[str, Any]]:
    with ctx.sessions() as session:
        rows = session.scalars(
            select(Declaration).where(is_person(Declaration, person)).order_by(Declaration.id)
        ).all()
        return [declaration_json(session, row) for row in rows]


def read_own(ctx: ServiceContext, person: Person, declaration_id: int) -> dict[str, Any]:
    with ctx.sessions() as session:
        return declaration_json(session, own_declaration(session, person, declaration_id))


def declaration_json(session: Session, row: Declaration) -> dict[str, Any]:
    """The declaration as its holder and its post read it: body, evidence, status history."""
    return {
        "id": row.id,
        "status": row.status,
        "version": row.version,
        **row.body,
        "created_at": row.created_at.isoformat(),
        "submitted_at": row.submitted_at.isoformat(),
        "evidence": [_evidence_json(item) for item in evidence_of(session, row.id)],
        "history": status.history(session, row.id),
    }


def records_of(session: Session, declaration_id: int) -> dict[int, dict[str, Any]]:
    """The records a declaration gives as evidence, by id."""
    rows = session.scalars(
        select(Record)
        .join(DeclarationEvidence, DeclarationEvidence.record_id == Record.id)
        .where(DeclarationEvidence.declaration_id == declaration_id)
    ).all()
    return {row.id: record_json(row) for row in rows}


def evidence_of(session: Session, declaration_id: int) -> list[Any]:
    return list(
        session.scalars(
            select(DeclarationEvidence)
            .where(DeclarationEvidence.declaration_id == declaration_id)
            .order_by(DeclarationEvidence.id)
        ).all()
    )


def _evidence_json(item: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"id": item.id, "kind": item.kind}
    if item.kind == "record":
        found["record_id"] = item.record_id
    elif item.kind == "payload":
        found["payload"] = item.payload
    else:
        found.update(media_type=item.media_type, filename=item.filename, size=len(item.data))
    return found
