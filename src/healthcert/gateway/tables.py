"""The gateway's own tables (its own database, ``HEALTHCERT_GATEWAY_DATABASE_URL``).

Every write takes the next value of the one-row ``gw_sequence`` (an UPDATE, so writers queue
behind its row lock and commit in sequence order) and stamps the rows it touches with it: a
client that has seen sequence N asks for what changed after N and misses nothing. Rows are
never deleted, only marked ``deleted``, so that deltas carry deletions too. ``origin`` is
where an entry came from: None for this gateway's own countries, else the URL of the gateway
it was imported from (federation).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from healthcert.database.tables import UtcDateTime


class GatewayBase(DeclarativeBase):
    """The gateway's metadata, apart from the certificate service's."""


class Sequence(GatewayBase):
    __tablename__ = "gw_sequence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False)


class TrustedParty(GatewayBase):
    """A country's CSCA, UPLOAD or AUTHENTICATION certificate, signed by the anchor."""

    __tablename__ = "gw_trusted_parties"
    __table_args__ = (UniqueConstraint("certificate_type", "thumbprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    country: Mapped[str] = mapped_column(String(2), nullable=False, index=True)
    certificate_type: Mapped[str] = mapped_column(String(16), nullable=False)
    thumbprint: Mapped[str] = mapped_column(String(64), nullable=False)
    kid: Mapped[str] = mapped_column(String(16), nullable=False)
    raw_data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    signature: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    change: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    origin: Mapped[str | None] = mapped_column(String(512))


class SignerCertificate(GatewayBase):
    """A certificate a country uploads under its CSCA, as uploaded: its DER and the uploader's
    CMS over it. ``certificate_type`` is ``DSC`` (it signs health certificates) or ``BORDER``
    (a destination's border key, which signs nothing: certificates are sealed to it). Both
    share one kid space, as they share the verifiers' trust stores."""

    __tablename__ = "gw_signer_certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_type: Mapped[str] = mapped_column(
        String(16), nullable=False, default="DSC", server_default="DSC"
    )
    country: Mapped[str] = mapped_column(String(2), nullable=False, index=True)
    kid: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    thumbprint: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    raw_data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    signature: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    change: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    origin: Mapped[str | None] = mapped_column(String(512))


class Rule(GatewayBase):
    """One version of a country's business rule (CertLogic JSON, as uploaded)."""

    __tablename__ = "gw_rules"
    __table_args__ = (
        UniqueConstraint("identifier", "version"),
        Index("ix_gw_rules_country_identifier", "country", "identifier"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(64), nullable=False)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    version: Mapped[str] = mapped_column(String(16), nullable=False)
    rule_type: Mapped[str] = mapped_column(String(16), nullable=False)
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    valid_to: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    raw_json: Mapped[str] = mapped_column(Text, nullable=False)
    signature: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    change: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    origin: Mapped[str | None] = mapped_column(String(512))


class RevocationBatch(GatewayBase):
    """A country's batch of revoked certificate hashes (EU hash form)."""

    __tablename__ = "gw_revocation_batches"

    batch_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), nullable=False, index=True)
    hash_type: Mapped[str] = mapped_column(String(16), nullable=False)
    expires: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    signature: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    change: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    deleted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    origin: Mapped[str | None] = mapped_column(String(512))


class UploadSeen(GatewayBase):
    """The SHA-256 of every accepted upload: the same CMS sent again is a replay."""

    __tablename__ = "gw_uploads_seen"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class Followed(GatewayBase):
    """A gateway this one follows, and the last sequence imported from it."""

    __tablename__ = "gw_followed"

    url: Mapped[str] = mapped_column(String(512), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
