"""The gateway's tables: trusted parties, DSCs, rules, revocation batches, the sequence.

Revision ID: g0001
Revises:
Create Date: 2026-12-07 06:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g0001"
down_revision = None
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("change", sa.Integer(), nullable=False, index=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(length=512)),
    ]


def upgrade() -> None:
    sequence = op.create_table(
        "gw_sequence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )
    op.bulk_insert(sequence, [{"id": 1, "value": 0}])
    op.create_table(
        "gw_trusted_parties",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("country", sa.String(length=2), nullable=False, index=True),
        sa.Column("certificate_type", sa.String(length=16), nullable=False),
        sa.Column("thumbprint", sa.String(length=64), nullable=False),
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("raw_data", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        *_stamps(),
        sa.UniqueConstraint("certificate_type", "thumbprint"),
    )
    op.create_table(
        "gw_signer_certificates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("country", sa.String(length=2), nullable=False, index=True),
        sa.Column("kid", sa.String(length=16), nullable=False, unique=True),
        sa.Column("thumbprint", sa.String(length=64), nullable=False, unique=True),
        sa.Column("raw_data", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        *_stamps(),
    )
    op.create_table(
        "gw_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("rule_type", sa.String(length=16), nullable=False),
        sa.Column("valid_from", _WHEN, nullable=False),
        sa.Column("valid_to", _WHEN, nullable=False),
        sa.Column("raw_json", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        *_stamps(),
        sa.UniqueConstraint("identifier", "version"),
        sa.Index("ix_gw_rules_country_identifier", "country", "identifier"),
    )
    op.create_table(
        "gw_revocation_batches",
        sa.Column("batch_id", sa.String(length=36), primary_key=True),
        sa.Column("country", sa.String(length=2), nullable=False, index=True),
        sa.Column("hash_type", sa.String(length=16), nullable=False),
        sa.Column("expires", _WHEN, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        *_stamps(),
    )
    op.create_table(
        "gw_uploads_seen",
        sa.Column("digest", sa.String(length=64), primary_key=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
    )
    op.create_table(
        "gw_followed",
        sa.Column("url", sa.String(length=512), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("synced_at", _WHEN),
    )


def downgrade() -> None:
    for table in (
        "gw_followed",
        "gw_uploads_seen",
        "gw_revocation_batches",
        "gw_rules",
        "gw_signer_certificates",
        "gw_trusted_parties",
        "gw_sequence",
    ):
        op.drop_table(table)
