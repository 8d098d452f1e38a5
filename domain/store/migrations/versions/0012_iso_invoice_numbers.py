"""Each agency numbers its own invoices

Revision ID: 0012_iso
Revises: 0011_x
Create Date: 2026-12-01 19:45:00

Invoice numbers were the invoice's row id (`INV-2026-000123`), shared by every agency of a
deployment: an agency's numbering had gaps where the other agencies' invoices went, and told each
agency how many invoices the others wrote (SPEC §11: nothing of one agency reaches another).
`invoice_counters` holds the last number each agency gave in each year; existing agencies go on
from the highest number they already have that year, so no number is given twice.

`ix_accounts_provider_ref`: an import looks up whether another agency already manages a vendor
account (the vendor lists what the deployment's partner login sees, every agency's accounts).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0012_iso"
down_revision = "0011_x"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
NUMBER = re.compile(r"^INV-(\d{4})-(\d+)$")


def upgrade() -> None:
    op.create_index("ix_accounts_provider_ref", "accounts", ["provider_ref"])
    counters = op.create_table(
        "invoice_counters",
        sa.Column("agency_id", Id, sa.ForeignKey("agencies.id"), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False, server_default="0"),
    )
    highest: dict[tuple[int, int], int] = {}
    rows = op.get_bind().execute(sa.text("SELECT agency_id, number FROM invoices"))
    for agency_id, number in rows:
        found = NUMBER.match(str(number))
        if found:
            key = (int(agency_id), int(found.group(1)))
            highest[key] = max(highest.get(key, 0), int(found.group(2)))
    if highest:
        op.bulk_insert(
            counters, [{"agency_id": a, "year": y, "last": n} for (a, y), n in sorted(highest.items())]
        )


def downgrade() -> None:
    op.drop_table("invoice_counters")
    op.drop_index("ix_accounts_provider_ref", table_name="accounts")
