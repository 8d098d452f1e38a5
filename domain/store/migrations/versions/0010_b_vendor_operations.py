"""Vendor operations: slow provider calls run after the ack from durable state

Revision ID: 0010_b
Revises: 0009_i
Create Date: 2026-12-01 16:45:00

`vendor_operations` (issue 15 §2): one row per vendor call (creating an account, a snapshot, a
template import), unique per agency and idempotency key, claimed by a lease so one runner runs it
and a crashed run is resumed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_b"
down_revision = "0010_g"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "vendor_operations",
        sa.Column("id", Id, primary_key=True),
        sa.Column("agency_id", Id, sa.ForeignKey("agencies.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("account_id", Id, sa.ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True),
        sa.Column("target", sa.String(120), nullable=False, server_default=""),
        sa.Column("state", sa.String(12), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_field", sa.String(40), nullable=True),
        sa.Column("requested_by", sa.String(32), nullable=False),
        sa.Column("notify", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("agency_id", "key", name="uq_vendor_operations_agency_id_key"),
    )
    op.create_index("ix_vendor_operations_state_next", "vendor_operations", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_vendor_operations_state_next", "vendor_operations")
    op.drop_table("vendor_operations")
