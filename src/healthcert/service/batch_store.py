"""Batch issuance with storage: records in, signed certificates stored, in chunks.

Each chunk of lines is one transaction holding its records, their certificates and their
audit events: a crash loses at most the chunk in flight and never leaves a record without
its certificate or a half-written row. A re-run skips the record ids already stored, so an
interrupted batch is finished by running it again.

Signing is CPU work and runs in forked worker processes; the parent only writes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson
from pydantic import ValidationError
from sqlalchemy import insert, select

from healthcert.database.tables import AuditEvent, IssuedCertificate, Record
from healthcert.errors import HealthcertError, RequestError
from healthcert.fanout import in_order
from healthcert.formats import registry
from healthcert.issuance import IssueRequest, Signed
from healthcert.service.errors import Invalid
from healthcert.service.issuance import certificate_request, certificate_row, sign_requests
from healthcert.service.records import RecordIn, field_problems, sender_key

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from healthcert.keys.signer import Signer
    from healthcert.service.audit import Actor
    from healthcert.service.context import ServiceContext

CHUNK = 500
# What the batch issues, and the certificates table's format of what it stores.
FORMAT = registry.EU_DCC


@dataclass(frozen=True, slots=True)
class Prepared:
    """One line, validated and signed, ready to insert. Plain data only: it crosses from the
    worker to the parent by pickle, and a pydantic model costs several times more there."""

    line: int
    record_id: str
    record: dict[str, Any]
    signed: Signed


@dataclass(frozen=True, slots=True)
class Failed:
    line: int
    error: str


@dataclass(frozen=True, slots=True)
class Signing:
    """What a worker needs to sign: fixed for the whole batch. Workers are forked, so they
    inherit it (the signing key is never pickled or sent)."""

    signer: Signer
    country: str
    issuer_name: str
    now: datetime

    def prepare_chunk(self, chunk: list[tuple[int, str]]) -> list[Prepared | Failed]:
        """Validate each native record line, then sign the valid lines' EU DCCs together;
        errors are data, not exceptions."""
        parsed = [self._parse(number, line) for number, line in chunk]
        signed = iter(self._sign([item for item in parsed if isinstance(item, _Parsed)]))
        return [next(signed) if isinstance(item, _Parsed) else item for item in parsed]

    def _parse(self, number: int, line: str) -> _Parsed | Failed:
        try:
            record = RecordIn.model_validate(json.loads(line))
            row = _record_row(record)
            request = certificate_request(
                row["holder"], record.entry, self.country, self.issuer_name
            )
        except ValidationError as error:  # its own first line names a class, not the field
            return Failed(number, str(Invalid(field_problems(error)))[:300])
        except (ValueError, HealthcertError, Invalid) as error:
            return Failed(number, _first_line(error))
        return _Parsed(number, record.record_id, row, request)

    def _sign(self, parsed: list[_Parsed]) -> list[Prepared | Failed]:
        if not parsed:  # a chunk of refused lines asks nothing of the signer
            return []
        requests = [item.request for item in parsed]
        try:
            outcomes = sign_requests(self.signer, requests, FORMAT, now=self.now)
        except HealthcertError as error:  # the signer itself cannot sign: every line says so
            outcomes = [RequestError(str(error))] * len(parsed)
        return [
            Failed(item.line, _first_line(outcome))
            if isinstance(outcome, RequestError)
            else Prepared(item.line, item.record_id, item.record, outcome)
            for item, outcome in zip(parsed, outcomes, strict=True)
        ]


class _Parsed(NamedTuple):
    """A valid line, not yet signed."""

    line: int
    record_id: str
    record: dict[str, Any]
    request: IssueRequest


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:300]


def unstored_lines(ctx: ServiceContext, lines: list[str], sender: int) -> list[tuple[int, str]]:
    """(line number, line) of the lines whose record id this sender has not stored yet: an
    interrupted batch run again signs only what is missing. Unparsable lines are kept, so
    that they are reported."""
    with ctx.sessions() as session:
        stored = set(
            session.scalars(select(Record.sender_record_id).where(Record.sender_key_id == sender))
        )
    kept = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record_id = orjson.loads(line).get("record_id")
        except (orjson.JSONDecodeError, AttributeError):
            record_id = None
        if record_id not in stored:
            kept.append((number, line))
    return kept


def prepared(
    lines: list[tuple[int, str]], signing: Signing, workers: int
) -> Iterator[list[Prepared | Failed]]:
    """Chunks of prepared lines, in input order; each chunk is signed together."""
    chunks = [lines[start : start + CHUNK] for start in range(0, len(lines), CHUNK)]
    if workers <= 1:
        yield from map(signing.prepare_chunk, chunks)
        return
    yield from in_order(signing.prepare_chunk, chunks, workers)


def store_chunk(ctx: ServiceContext, items: Iterable[Prepared], actor: Actor) -> int:
    """Insert one chunk in one transaction as sent by ``actor``'s key; returns how many were
    new (retries are skipped)."""
    with ctx.transaction() as session:
        fresh = _not_yet_stored(session, list(items), sender_key(actor))
        if not fresh:
            return 0
        record_ids = _insert_records(session, fresh, actor, ctx.clock())
        certificate_ids = _insert_certificates(session, fresh, record_ids)
        _insert_audit(session, fresh, record_ids, certificate_ids, actor)
    return len(fresh)


def _not_yet_stored(session: Session, items: list[Prepared], sender: int) -> list[Prepared]:
    wanted = [item.record_id for item in items]
    query = select(Record.sender_record_id).where(
        Record.sender_key_id == sender, Record.sender_record_id.in_(wanted)
    )
    stored = set(session.scalars(query))
    seen: set[str] = set()
    fresh = []
    for item in items:  # a record id repeated within the batch is stored once, too
        record_id = item.record_id
        if record_id not in stored and record_id not in seen:
            seen.add(record_id)
            fresh.append(item)
    return fresh


def _insert_records(
    session: Session, items: list[Prepared], actor: Actor, now: datetime
) -> list[int]:
    """Insert without RETURNING, then read the ids back by the natural key: SQLite runs an
    ordered RETURNING one row per statement, which cost more than the signing."""
    sender = sender_key(actor)
    rows = [
        {**item.record, "sender_key_id": sender, "sender": actor.name, "created_at": now}
        for item in items
    ]
    session.connection().execute(insert(Record), rows)
    wanted = [item.record_id for item in items]
    query = select(Record.sender_record_id, Record.id).where(
        Record.sender_key_id == sender, Record.sender_record_id.in_(wanted)
    )
    ids = dict(session.connection().execute(query).tuples().all())
    return [ids[record_id] for record_id in wanted]


def _record_row(record: RecordIn) -> dict[str, Any]:
    """The records table row of a line, less sender and time (the parent adds them)."""
    holder = record.holder
    return {
        "sender_record_id": record.record_id,
        "kind": str(record.entry.get("kind")),
        **holder.person().columns(),
        "contact": holder.contact,
        "holder": holder.model_dump(exclude_none=True),
        "entry": record.entry,
    }


def _insert_certificates(
    session: Session, items: list[Prepared], record_ids: list[int]
) -> list[int]:
    rows = [
        certificate_row(record_id, FORMAT, item.signed)
        for item, record_id in zip(items, record_ids, strict=True)
    ]
    session.connection().execute(insert(IssuedCertificate), rows)
    query = select(IssuedCertificate.record_id, IssuedCertificate.id).where(
        IssuedCertificate.record_id.in_(record_ids), IssuedCertificate.format == FORMAT
    )
    ids = dict(session.connection().execute(query).tuples().all())
    return [ids[record_id] for record_id in record_ids]


def _insert_audit(
    session: Session,
    items: list[Prepared],
    record_ids: list[int],
    certificate_ids: list[int],
    actor: Actor,
) -> None:
    rows = [
        {
            "at": item.signed.issued_at,
            "actor": actor.label,
            "action": "certificate.issue",
            "object_type": "certificate",
            "object_id": str(certificate_id),
            "detail": {
                "record": record_id,
                "format": FORMAT,
                "uvci": item.signed.certificate_id,
                "kid": item.signed.kid,
                "batch": True,
            },
        }
        for item, record_id, certificate_id in zip(items, record_ids, certificate_ids, strict=True)
    ]
    session.connection().execute(insert(AuditEvent), rows)
