"""Indexes for the daily jobs: the notice sender's claim per agency and the "list all" lookup

Revision ID: 0006
Revises: 0004b
Create Date: 2026-11-25 15:00:00

The outbox keeps every notice ever sent (~140,000 a day at 1,000,000 accounts), so the claim's
"this agency's pending or stale notices" and the busy check must not scan an agency's history:
(agency_id, status, next_attempt_at) serves both. A digest's "list them all" button reads the
notices of one message by its marker: (agency_id, claimed_by).
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0004b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notices_agency_status_next", "notices", ["agency_id", "status", "next_attempt_at"])
    op.create_index("ix_notices_agency_claimed_by", "notices", ["agency_id", "claimed_by"])


def downgrade() -> None:
    op.drop_index("ix_notices_agency_claimed_by", table_name="notices")
    op.drop_index("ix_notices_agency_status_next", table_name="notices")
