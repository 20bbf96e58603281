"""Health declarations, their status history and evidence; officers' countries on API keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 05:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("countries", sa.String(length=200), nullable=True))
    op.create_table(
        "declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_number", sa.String(length=64), nullable=False),
        sa.Column("date_of_birth", sa.String(length=10), nullable=False),
        sa.Column("residence_country", sa.String(length=2), nullable=False),
        sa.Column("destination", sa.String(length=2), nullable=False),
        sa.Column("departure", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_declarations_person", "declarations", ["document_number", "date_of_birth"])
    op.create_index(
        "ix_declarations_queue", "declarations", ["residence_country", "status", "submitted_at"]
    )
    op.create_table(
        "declaration_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["declaration_id"], ["declarations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_declaration_events_declaration", "declaration_events", ["declaration_id"])
    op.create_table(
        "declaration_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("media_type", sa.String(length=40), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["declaration_id"], ["declarations.id"]),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_declaration_evidence_declaration", "declaration_evidence", ["declaration_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_declaration_evidence_declaration", table_name="declaration_evidence")
    op.drop_table("declaration_evidence")
    op.drop_index("ix_declaration_events_declaration", table_name="declaration_events")
    op.drop_table("declaration_events")
    op.drop_index("ix_declarations_queue", table_name="declarations")
    op.drop_index("ix_declarations_person", table_name="declarations")
    op.drop_table("declarations")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("countries")
