"""Pending confirmations: what a confirm button or step will do, held by the server

Revision ID: 0008_c2
Revises: 0008_b
Create Date: 2026-12-01 14:00:00

Confirm buttons and modal metadata carry only the id of a row here (SPEC §10): the kind of action,
its parsed request, the agency, account and amount shown, who asked, until when, and when it was used.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_c2"
down_revision = "0008_b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_confirmations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("agency_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.String(length=32), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_pending_confirmations_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_confirmations")),
    )
    op.create_index(
        op.f("ix_pending_confirmations_agency_id"), "pending_confirmations", ["agency_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_confirmations_agency_id"), table_name="pending_confirmations")
    op.drop_table("pending_confirmations")
