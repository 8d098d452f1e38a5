"""Invoices say who billed them

Revision ID: 0010_e
Revises: 0009_i
Create Date: 2026-12-01 17:00:00

SPEC §9 "Money moves once": with a vendor that bills the agency itself, the desk records the charge
it computed as an invoice billed by the vendor and charges no card. `invoices.billed_by` is `desk`
(every existing invoice) or `vendor`; `invoices.vendor_name` names the vendor as shown.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_e"
down_revision = "0010_c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("billed_by", sa.String(length=8), nullable=False, server_default="desk"))
        batch.add_column(sa.Column("vendor_name", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("vendor_name")
        batch.drop_column("billed_by")
