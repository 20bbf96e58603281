"""The health codes signed for holders, so that the codes a later decision superseded can be
listed for verifiers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 05:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "health_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("declaration_version", sa.Integer(), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("revocation_hash", sa.LargeBinary(length=16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["declaration_id"], ["declarations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_health_codes_declaration", "health_codes", ["declaration_id"])


def downgrade() -> None:
    op.drop_index("ix_health_codes_declaration", table_name="health_codes")
    op.drop_table("health_codes")
