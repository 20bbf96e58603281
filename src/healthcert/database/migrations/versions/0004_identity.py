"""Identity that cannot be hijacked: a person is document type, issuing country, number and
date of birth; sign-in contacts come only from identity sources; records are keyed by the id of
the API key that sent them, and labels are unique; the outbox is delivered with retries; holders
may sign in through an OpenID Connect provider (``oidc_logins``).

Existing rows: records and declarations get an issuing country. A declaration's own body names
it; a record's never did, so records get "ZZ" (unknown): no holder signs in to them until a
sender restates the record with its country, because guessing a country would hand records to
whoever holds that guess. Duplicate labels get their key id appended; records are re-keyed to
the key that bears their sender label (a sender label with no key gets a revoked key of that
label, which owns them and can never be used). Sessions, pending codes and the outbox are
cleared: they were keyed by the old identity, and the outbox's recipients came from unverified
records.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 07:00:00.000000
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UNKNOWN_COUNTRY = "ZZ"
PERSON = ["document_number", "date_of_birth", "document_type", "issuing_country"]

_keys = sa.table(
    "api_keys",
    sa.column("id", sa.Integer),
    sa.column("key_hash", sa.String),
    sa.column("prefix", sa.String),
    sa.column("role", sa.String),
    sa.column("label", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("revoked_at", sa.DateTime(timezone=True)),
)
_records = sa.table(
    "records", sa.column("sender", sa.String), sa.column("sender_key_id", sa.Integer)
)
_declarations = sa.table(
    "declarations",
    sa.column("id", sa.Integer),
    sa.column("body", sa.JSON),
    sa.column("document_type", sa.String),
    sa.column("issuing_country", sa.String),
)


def upgrade() -> None:
    _keys_upgrade()
    _records_upgrade()
    _declarations_upgrade()
    _sessions_upgrade()
    _contacts_create()
    _outbox_upgrade()
    op.create_table(
        "oidc_logins",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash"),
    )


def _keys_upgrade() -> None:
    connection = op.get_bind()
    seen: set[str] = set()
    for key_id, label in connection.execute(sa.select(_keys.c.id, _keys.c.label).order_by("id")):
        if label in seen:
            renamed = f"{label[:100]} #{key_id}"
            connection.execute(_keys.update().where(_keys.c.id == key_id).values(label=renamed))
        seen.add(label)
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(
            sa.Column("identity_source", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_unique_constraint("uq_api_keys_label", ["label"])


def _records_upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("sender_key_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "issuing_country", sa.String(2), nullable=False, server_default=UNKNOWN_COUNTRY
            )
        )
    connection = op.get_bind()
    senders = connection.scalars(sa.select(_records.c.sender).distinct()).all()
    for sender in senders:
        key_id = connection.scalar(
            sa.select(sa.func.min(_keys.c.id)).where(_keys.c.label == sender)
        )
        if key_id is None:
            key_id = _owner_key(connection, sender)
        connection.execute(
            _records.update().where(_records.c.sender == sender).values(sender_key_id=key_id)
        )
    with op.batch_alter_table("records") as batch:
        batch.drop_constraint("uq_records_sender_record", type_="unique")
        batch.drop_index("ix_records_person")
        batch.alter_column("sender_key_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("issuing_country", existing_type=sa.String(2), server_default=None)
        batch.create_foreign_key("fk_records_sender_key", "api_keys", ["sender_key_id"], ["id"])
        batch.create_unique_constraint(
            "uq_records_sender_key_record", ["sender_key_id", "sender_record_id"]
        )
        batch.create_index("ix_records_person", PERSON)


def _owner_key(connection: Any, label: str) -> int:
    """A revoked key named like the sender: no one holds its secret, it only owns records."""
    now = datetime.now(UTC)
    secret = secrets.token_urlsafe(32)
    connection.execute(
        _keys.insert().values(
            key_hash=hashlib.sha256(secret.encode()).hexdigest(),
            prefix="hck_none",
            role="recorder",
            label=label[:120],
            created_at=now,
            revoked_at=now,
        )
    )
    return int(connection.scalar(sa.select(_keys.c.id).where(_keys.c.label == label[:120])))


def _declarations_upgrade() -> None:
    with op.batch_alter_table("declarations") as batch:
        batch.add_column(sa.Column("document_type", sa.String(32), nullable=True))
        batch.add_column(sa.Column("issuing_country", sa.String(2), nullable=True))
    connection = op.get_bind()
    for declaration_id, body in connection.execute(
        sa.select(_declarations.c.id, _declarations.c.body)
    ):
        identity = (body or {}).get("identity") or {}
        connection.execute(
            _declarations.update()
            .where(_declarations.c.id == declaration_id)
            .values(
                document_type=identity.get("document_type") or "other",
                issuing_country=identity.get("issuing_country") or UNKNOWN_COUNTRY,
            )
        )
    with op.batch_alter_table("declarations") as batch:
        batch.alter_column("document_type", existing_type=sa.String(32), nullable=False)
        batch.alter_column("issuing_country", existing_type=sa.String(2), nullable=False)
        batch.drop_index("ix_declarations_person")
        batch.create_index("ix_declarations_person", PERSON)


def _sessions_upgrade() -> None:
    op.execute("DELETE FROM holder_sessions")
    op.execute("DELETE FROM signin_codes")
    with op.batch_alter_table("holder_sessions") as batch:
        batch.add_column(sa.Column("document_type", sa.String(32), nullable=False))
        batch.add_column(sa.Column("issuing_country", sa.String(2), nullable=False))


def _contacts_create() -> None:
    op.create_table(
        "holder_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_type", sa.String(32), nullable=False),
        sa.Column("issuing_country", sa.String(2), nullable=False),
        sa.Column("document_number", sa.String(64), nullable=False),
        sa.Column("date_of_birth", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("source_key_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source_key_id"], ["api_keys.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(*PERSON, name="uq_holder_contacts_person"),
    )


def _outbox_upgrade() -> None:
    op.execute("DELETE FROM outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("channel", sa.String(8), nullable=False))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False))
        batch.add_column(sa.Column("last_error", sa.String(200), nullable=True))
        batch.create_index("ix_outbox_due", ["next_attempt_at"])


def downgrade() -> None:
    op.drop_table("oidc_logins")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_due")
        for column in ("last_error", "next_attempt_at", "attempts", "channel"):
            batch.drop_column(column)
    op.drop_table("holder_contacts")
    op.execute("DELETE FROM holder_sessions")
    with op.batch_alter_table("holder_sessions") as batch:
        batch.drop_column("issuing_country")
        batch.drop_column("document_type")
    with op.batch_alter_table("declarations") as batch:
        batch.drop_index("ix_declarations_person")
        batch.create_index("ix_declarations_person", ["document_number", "date_of_birth"])
        batch.drop_column("issuing_country")
        batch.drop_column("document_type")
    with op.batch_alter_table("records") as batch:
        batch.drop_index("ix_records_person")
        batch.drop_constraint("uq_records_sender_key_record", type_="unique")
        batch.drop_constraint("fk_records_sender_key", type_="foreignkey")
        batch.create_unique_constraint("uq_records_sender_record", ["sender", "sender_record_id"])
        batch.create_index("ix_records_person", ["document_number", "date_of_birth"])
        batch.drop_column("issuing_country")
        batch.drop_column("sender_key_id")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint("uq_api_keys_label", type_="unique")
        batch.drop_column("identity_source")
