"""Agencies choose the day of their monthly prepaid advice

Revision ID: 0010_g
Revises: 0009_i
Create Date: 2026-12-01 17:00:00

`agencies.prepaid_advice_day` (issue 18 §1): the day of the month (1 to 28) on which the desk posts
what the month's renewals will cost, the prepaid balance and the credit that covers the difference,
as the vendor's billing FAQ advises ("buy prepaid credit on the first day"). Existing agencies get
the 1st.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_g"
down_revision = "0010_a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(sa.Column("prepaid_advice_day", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("prepaid_advice_day")
