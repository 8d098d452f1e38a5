"""agency_stats: the active paid account count, maintained by triggers on accounts

Revision ID: 0004
Revises: 0003a
Create Date: 2026-11-25 12:40:00

Active paid (SPEC §3): status active or disabled, pricing version V3, not a commission account.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003a"
branch_labels = None
depends_on = None

PAID_OLD = "OLD.status IN ('active', 'disabled') AND OLD.pricing_version = 'V3' AND NOT OLD.is_commission"
PAID_NEW = "NEW.status IN ('active', 'disabled') AND NEW.pricing_version = 'V3' AND NOT NEW.is_commission"

SQLITE = [
    f"""CREATE TRIGGER accounts_tier_count_insert AFTER INSERT ON accounts WHEN {PAID_NEW}
    BEGIN
        INSERT OR IGNORE INTO agency_stats (agency_id, active_paid) VALUES (NEW.agency_id, 0);
        UPDATE agency_stats SET active_paid = active_paid + 1 WHERE agency_id = NEW.agency_id;
    END""",
    f"""CREATE TRIGGER accounts_tier_count_delete AFTER DELETE ON accounts WHEN {PAID_OLD}
    BEGIN
        UPDATE agency_stats SET active_paid = active_paid - 1 WHERE agency_id = OLD.agency_id;
    END""",
    f"""CREATE TRIGGER accounts_tier_count_update
    AFTER UPDATE OF status, pricing_version, is_commission ON accounts
    WHEN ({PAID_OLD}) IS NOT ({PAID_NEW})
    BEGIN
        INSERT OR IGNORE INTO agency_stats (agency_id, active_paid) VALUES (NEW.agency_id, 0);
        UPDATE agency_stats
        SET active_paid = active_paid + (CASE WHEN {PAID_NEW} THEN 1 ELSE -1 END)
        WHERE agency_id = NEW.agency_id;
    END""",
]

POSTGRES = [
    f"""CREATE FUNCTION accounts_tier_count() RETURNS trigger AS $$
    DECLARE
        delta integer := 0;
        agency bigint;
    BEGIN
        IF TG_OP = 'DELETE' THEN
            agency := OLD.agency_id;
            IF {PAID_OLD} THEN delta := -1; END IF;
            UPDATE agency_stats SET active_paid = active_paid + delta WHERE agency_id = agency AND delta <> 0;
            RETURN NULL;
        END IF;
        agency := NEW.agency_id;
        IF TG_OP = 'UPDATE' AND {PAID_OLD} THEN delta := delta - 1; END IF;
        IF {PAID_NEW} THEN delta := delta + 1; END IF;
        IF delta <> 0 THEN
            INSERT INTO agency_stats (agency_id, active_paid) VALUES (agency, delta)
            ON CONFLICT (agency_id) DO UPDATE SET active_paid = agency_stats.active_paid + EXCLUDED.active_paid;
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER accounts_tier_count AFTER INSERT OR DELETE OR UPDATE OF status, pricing_version, is_commission
    ON accounts FOR EACH ROW EXECUTE FUNCTION accounts_tier_count()""",
]

BACKFILL = f"""INSERT INTO agency_stats (agency_id, active_paid)
SELECT agencies.id, (SELECT count(*) FROM accounts AS NEW WHERE NEW.agency_id = agencies.id AND {PAID_NEW})
FROM agencies"""


def upgrade() -> None:
    op.create_table(
        "agency_stats",
        sa.Column("agency_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("active_paid", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_agency_stats_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_agency_stats")),
    )
    statements = POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE
    for statement in statements:
        op.execute(statement)
    op.execute(BACKFILL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER accounts_tier_count ON accounts")
        op.execute("DROP FUNCTION accounts_tier_count()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER accounts_tier_count_{name}")
    op.drop_table("agency_stats")
