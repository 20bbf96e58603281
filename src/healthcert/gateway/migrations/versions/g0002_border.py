"""Border certificates: the uploaded certificates say whether each is a DSC or a border key.

Revision ID: g0002
Revises: g0001
Create Date: 2026-12-07 09:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "g0002"
down_revision = "g0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every certificate uploaded so far is a DSC: the server default says so for those rows.
    with op.batch_alter_table("gw_signer_certificates") as batch:
        batch.add_column(
            sa.Column(
                "certificate_type", sa.String(length=16), nullable=False, server_default="DSC"
            )
        )


def downgrade() -> None:
    # Border certificates have no place in the older schema: they go with the column.
    op.execute("DELETE FROM gw_signer_certificates WHERE certificate_type <> 'DSC'")
    with op.batch_alter_table("gw_signer_certificates") as batch:
        batch.drop_column("certificate_type")
