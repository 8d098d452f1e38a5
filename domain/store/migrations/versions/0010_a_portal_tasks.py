"""Portal tasks

Revision ID: 0010_a
Revises: 0009_i
Create Date: 2026-12-01 16:45:00

`portal_tasks` (issue 15, SPEC §9): what a vendor's API does not offer becomes a task to do by hand
in its partner portal, posted once to the agency channel with a Done button.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_a"
down_revision = "0010_e"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "portal_tasks",
        sa.Column("id", Id, nullable=False),
        sa.Column("agency_id", Id, nullable=False),
        sa.Column("account_id", Id, nullable=True),
        sa.Column("account_name", sa.String(63), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("portal_url", sa.String(500), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("open_key", sa.String(200), nullable=True),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_by", sa.String(32), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name="fk_portal_tasks_agency_id_agencies"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_portal_tasks_account_id_accounts"),
        sa.PrimaryKeyConstraint("id", name="pk_portal_tasks"),
        sa.UniqueConstraint("agency_id", "open_key", name="uq_portal_tasks_agency_id_open_key"),
    )
    op.create_index("ix_portal_tasks_agency_state", "portal_tasks", ["agency_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_portal_tasks_agency_state", table_name="portal_tasks")
    op.drop_table("portal_tasks")
