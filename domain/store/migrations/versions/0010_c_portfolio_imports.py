"""Imported accounts whose plan is to confirm; imports of the vendor's portfolio

Revision ID: 0010_c
Revises: 0009_i
Create Date: 2026-12-01 16:40:00

`accounts.plan_to_confirm` marks an account imported from the vendor whose plan the desk could not
map to the catalog: it is never billed until a person sets its plan through Edit. The index on
`(agency_id, provider_ref)` finds accounts by their vendor reference (imports, reconciliation).
`portfolio_imports` holds one `/agency import` and its progress, page by page, so it resumes after a
crash or a vendor failure and is never run twice at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_c"
down_revision = "0009_i"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("plan_to_confirm", sa.Boolean(), nullable=False, server_default="0"))
        batch.create_index("ix_accounts_agency_provider_ref", ["agency_id", "provider_ref"])
    op.create_table(
        "portfolio_imports",
        sa.Column("id", Id, nullable=False),
        sa.Column("agency_id", Id, nullable=False),
        sa.Column("request_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("next_page", sa.Integer(), nullable=False),
        sa.Column("total_pages", sa.Integer(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("existing", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("to_confirm", sa.Integer(), nullable=False),
        sa.Column("skipped_items", sa.JSON(), nullable=False),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("started_by", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name="fk_portfolio_imports_agency_id_agencies"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_portfolio_imports"),
        sa.UniqueConstraint("agency_id", "request_key", name="uq_portfolio_imports_agency_id_request_key"),
    )
    op.create_index("ix_portfolio_imports_agency_id", "portfolio_imports", ["agency_id"])


def downgrade() -> None:
    op.drop_index("ix_portfolio_imports_agency_id", table_name="portfolio_imports")
    op.drop_table("portfolio_imports")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_index("ix_accounts_agency_provider_ref")
        batch.drop_column("plan_to_confirm")
