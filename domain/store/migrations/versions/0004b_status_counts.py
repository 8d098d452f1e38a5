"""status_counts: accounts per status per agency (commission accounts aside), kept by triggers

Revision ID: 0004b
Revises: 0004
Create Date: 2026-11-25 12:50:00

The overview's total and the App Home's "accounts by status" read these instead of counting
100,000 rows per request.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004b"
down_revision = "0004"
branch_labels = None
depends_on = None

SQLITE = [
    """CREATE TRIGGER accounts_status_count_insert AFTER INSERT ON accounts WHEN NOT NEW.is_commission
    BEGIN
        INSERT OR IGNORE INTO status_counts (agency_id, status, n) VALUES (NEW.agency_id, NEW.status, 0);
        UPDATE status_counts SET n = n + 1 WHERE agency_id = NEW.agency_id AND status = NEW.status;
    END""",
    """CREATE TRIGGER accounts_status_count_delete AFTER DELETE ON accounts WHEN NOT OLD.is_commission
    BEGIN
        UPDATE status_counts SET n = n - 1 WHERE agency_id = OLD.agency_id AND status = OLD.status;
    END""",
    """CREATE TRIGGER accounts_status_count_update AFTER UPDATE OF status, is_commission ON accounts
    WHEN OLD.status IS NOT NEW.status OR OLD.is_commission IS NOT NEW.is_commission
    BEGIN
        UPDATE status_counts SET n = n - 1
        WHERE agency_id = OLD.agency_id AND status = OLD.status AND NOT OLD.is_commission;
        INSERT OR IGNORE INTO status_counts (agency_id, status, n) VALUES (NEW.agency_id, NEW.status, 0);
        UPDATE status_counts SET n = n + 1
        WHERE agency_id = NEW.agency_id AND status = NEW.status AND NOT NEW.is_commission;
    END""",
]

POSTGRES = [
    """CREATE FUNCTION accounts_status_count() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND NOT OLD.is_commission THEN
            UPDATE status_counts SET n = n - 1 WHERE agency_id = OLD.agency_id AND status = OLD.status;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND NOT NEW.is_commission THEN
            INSERT INTO status_counts (agency_id, status, n) VALUES (NEW.agency_id, NEW.status, 1)
            ON CONFLICT (agency_id, status) DO UPDATE SET n = status_counts.n + 1;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER accounts_status_count AFTER INSERT OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_status_count()""",
    """CREATE TRIGGER accounts_status_count_update AFTER UPDATE OF status, is_commission ON accounts
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.is_commission IS DISTINCT FROM NEW.is_commission)
    EXECUTE FUNCTION accounts_status_count()""",
]

BACKFILL = """INSERT INTO status_counts (agency_id, status, n)
SELECT agency_id, status, count(*) FROM accounts WHERE NOT is_commission GROUP BY agency_id, status"""


def upgrade() -> None:
    op.create_table(
        "status_counts",
        sa.Column("agency_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agency_id"], ["agencies.id"], name=op.f("fk_status_counts_agency_id_agencies")),
        sa.PrimaryKeyConstraint("agency_id", "status", name=op.f("pk_status_counts")),
    )
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)
    op.execute(BACKFILL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER accounts_status_count ON accounts")
        op.execute("DROP TRIGGER accounts_status_count_update ON accounts")
        op.execute("DROP FUNCTION accounts_status_count()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER accounts_status_count_{name}")
    op.drop_table("status_counts")
