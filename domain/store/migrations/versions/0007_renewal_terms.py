"""Accounts keep the terms of their next renewal, so margins are computed in SQL at today's tier

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00

`renewal_base` is the plan value of the next cycle after its migration discount (before the reseller
discount, which depends on the agency's tier when it is read) and `renewal_months` that cycle's
length. Both are kept current by `domain.store.renewal_terms` on every flush that changes an account's plan;
NULL (rows written before this revision) means "price it in Python".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("renewal_base", sa.Numeric(14, 2), nullable=True))
        batch.add_column(sa.Column("renewal_months", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("renewal_months")
        batch.drop_column("renewal_base")
