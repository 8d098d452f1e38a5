"""accounts overview indexes: status with expiry, creation and plan size

Revision ID: 0003a
Revises: 0002
Create Date: 2026-11-26 09:00:00

The overview filters by agency and status and sorts by one of these columns; with the status in the
index a page of 100,000 accounts is read in index order without sorting the whole set.
"""

from __future__ import annotations

from alembic import op

revision = "0003a"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_accounts_agency_status_period_end": ["agency_id", "status", "period_end"],
    "ix_accounts_agency_status_created": ["agency_id", "status", "created_at"],
    "ix_accounts_agency_status_size": ["agency_id", "status", "plan_size"],
}


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
