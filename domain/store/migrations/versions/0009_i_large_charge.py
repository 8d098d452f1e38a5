"""Agencies have a large-charge amount

Revision ID: 0009_i
Revises: 0008_f
Create Date: 2026-12-01 15:00:00

`agencies.large_charge` (issue 14 §2): every confirm step of a charge above it carries an extra
warning line, whether four-eyes approval is on or not; the add-account modal asks for a confirmation
instead of charging at once. Existing agencies get the default, 1,000.00 in their currency.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_i"
down_revision = "0008_f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(
            sa.Column(
                "large_charge",
                sa.Numeric(precision=14, scale=2),
                nullable=False,
                server_default="1000.00",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("large_charge")
