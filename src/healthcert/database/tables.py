"""The tables of the certificate service.

The holder's identity (document, names, date of birth) is kept on each record, as the
laboratory or vaccination site reported it: a person is found by document type, issuing
country, document number and date of birth. The one contact a sign-in code may go to is kept
apart (``holder_contacts``), set only by a key the authority marked as an identity source.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend: SQLite keeps no time zone, so it is restored here."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: give a time zone")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    pass


# Who a person is, on every table that names one: number first, it is the selective column.
PERSON_COLUMNS = ("document_number", "date_of_birth", "document_type", "issuing_country")


class ApiKey(Base):
    """An API key: only the SHA-256 of the secret is kept (the secret has 256 bits of entropy,
    so a fast hash is enough; nothing can be guessed from it)."""

    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("label", name="uq_api_keys_label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16))
    # Unique: records are keyed by the key's id, and the label is how people name that sender.
    label: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # An officer's post: the countries of residence whose declarations it reviews ("US,CA").
    countries: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # A source the authority trusts to verify identities (a passport office, a consulate): only
    # such a key sets the contact a holder's sign-in codes go to.
    identity_source: Mapped[bool] = mapped_column(Boolean, default=False)


class Record(Base):
    """A vaccination, test or recovery as a recorder reported it."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("sender_key_id", "sender_record_id", name="uq_records_sender_key_record"),
        Index("ix_records_person", *PERSON_COLUMNS),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The API key that sent it: its record ids are its own. ``sender`` is the key's label then.
    sender_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    sender: Mapped[str] = mapped_column(String(120))
    sender_record_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    document_type: Mapped[str] = mapped_column(String(32))
    issuing_country: Mapped[str] = mapped_column(String(2))
    document_number: Mapped[str] = mapped_column(String(64))
    date_of_birth: Mapped[str] = mapped_column(String(10))
    # As the sender gave it: kept with the record, never used to reach the holder.
    contact: Mapped[str | None] = mapped_column(String(200), nullable=True)
    holder: Mapped[dict[str, Any]] = mapped_column(JSON)
    entry: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IssuedCertificate(Base):
    """A signed certificate; one per record and format, so a retried issuance finds it."""

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("record_id", "format", name="uq_certificates_record_format"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    format: Mapped[str] = mapped_column(String(16))
    uvci: Mapped[str] = mapped_column(String(80), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    kid: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revocation_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Rendering(Base):
    """A QR image rendered on first request and kept, so the next request costs a read."""

    __tablename__ = "renderings"

    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class SignInCode(Base):
    """A one-time code sent to a holder; only its salted hash is kept."""

    __tablename__ = "signin_codes"
    __table_args__ = (Index("ix_signin_codes_person", "person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class HolderContact(Base):
    """Where a person's sign-in codes and notices go, as an identity source last set it."""

    __tablename__ = "holder_contacts"
    __table_args__ = (UniqueConstraint(*PERSON_COLUMNS, name="uq_holder_contacts_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_type: Mapped[str] = mapped_column(String(32))
    issuing_country: Mapped[str] = mapped_column(String(2))
    document_number: Mapped[str] = mapped_column(String(64))
    date_of_birth: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(200))
    source_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HolderSession(Base):
    __tablename__ = "holder_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_type: Mapped[str] = mapped_column(String(32))
    issuing_country: Mapped[str] = mapped_column(String(2))
    document_number: Mapped[str] = mapped_column(String(64))
    date_of_birth: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OidcLogin(Base):
    """A sign-in begun at the identity provider: what its callback must match (the state, by
    hash), the nonce the ID token must carry and the PKCE verifier. Used once."""

    __tablename__ = "oidc_logins"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PageSession(Base):
    """An officer's page session: the hash of its cookie's token and of the API key it was
    opened with (never the key). Kept here, not in a process, so that every instance behind
    the same name knows it."""

    __tablename__ = "page_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SignInAttempt(Base):
    """One sign-in step, counted per person and per client address for rate limits."""

    __tablename__ = "signin_attempts"
    __table_args__ = (Index("ix_signin_attempts_scope", "scope", "subject", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class OutboxMessage(Base):
    """A message waiting for delivery, committed with what it announces; the outbox worker
    deletes it once delivered and otherwise tries again later (``next_attempt_at``)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Why the last attempt failed (the error's kind and status, never the recipient).
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)


class AuditEvent(Base):
    """Who did what to which object, when; the database refuses to update or delete a row."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Declaration(Base):
    """A traveller's health declaration before travelling home, reviewed by the post that covers
    their country of residence. ``version`` grows with every change of status, so a decision
    lands only on the state its officer read (a conditional UPDATE)."""

    __tablename__ = "declarations"
    __table_args__ = (
        Index("ix_declarations_person", *PERSON_COLUMNS),
        Index("ix_declarations_queue", "residence_country", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_type: Mapped[str] = mapped_column(String(32))
    issuing_country: Mapped[str] = mapped_column(String(2))
    document_number: Mapped[str] = mapped_column(String(64))
    date_of_birth: Mapped[str] = mapped_column(String(10))
    residence_country: Mapped[str] = mapped_column(String(2))
    destination: Mapped[str] = mapped_column(String(2))
    departure: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When it last entered the queue: the queue is served oldest first.
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DeclarationEvent(Base):
    """One step of a declaration's status history: when, who, to which status, why."""

    __tablename__ = "declaration_events"
    __table_args__ = (Index("ix_declaration_events_declaration", "declaration_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(160))
    status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class DeclarationEvidence(Base):
    """What a declaration rests on: one of the holder's records, a certificate payload, or an
    uploaded document (its bytes kept here, its type found from its content)."""

    __tablename__ = "declaration_evidence"
    __table_args__ = (Index("ix_declaration_evidence_declaration", "declaration_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"))
    kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("records.id"), nullable=True)
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    media_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    filename: Mapped[str | None] = mapped_column(String(200), nullable=True)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class HealthCode(Base):
    """A health code signed for a holder: the declaration and version it answered, and the hash
    of its signature (``formats.health_code.code.revocation_hash``). A code whose declaration
    has moved on since is superseded, and listed for verifiers."""

    __tablename__ = "health_codes"
    __table_args__ = (Index("ix_health_codes_declaration", "declaration_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"))
    declaration_version: Mapped[int] = mapped_column(Integer)
    colour: Mapped[str] = mapped_column(String(8))
    revocation_hash: Mapped[bytes] = mapped_column(LargeBinary(16))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
