"""Transfers carry the plan of a transfer-in; agencies have a default notification email

Revision ID: 0008_f
Revises: 0008_g
Create Date: 2026-12-01 14:20:00

`transfers.plan` is the plan recorded when a transfer-in is requested (the PlanChoice as JSON): the
confirmation creates the account with it. `agencies.notification_email` is the agency's address that
new accounts get as their notification email (SPEC §4), changeable per account. The new account status
`transferred` needs no schema change: the trigger-kept counts (0004, 0004b) count active paid accounts
by status, so a transferred account leaves the tier count by its status alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_f"
down_revision = "0008_g"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transfers") as batch:
        batch.add_column(sa.Column("plan", sa.JSON(), nullable=True))
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(sa.Column("notification_email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("notification_email")
    with op.batch_alter_table("transfers") as batch:
        batch.drop_column("plan")
