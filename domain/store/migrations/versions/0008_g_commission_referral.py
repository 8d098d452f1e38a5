"""Commission accounts keep the day the client was referred

Revision ID: 0008_g
Revises: 0008_c2
Create Date: 2026-12-01 14:10:00

`referred_on` is the referral date recorded with `/accounts commission add` (SPEC §4: commission
accounts are referred through the agency's link; they are never billed to the agency). NULL for every
other account.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_g"
down_revision = "0008_c2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("referred_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("referred_on")
