"""Room for sealed Slack tokens

Revision ID: 0011_x
Revises: 0011_w
Create Date: 2026-12-01 20:00:00

Issue 17 §1: the tokens of each installation are stored sealed (Fernet, `SLACK_TOKEN_KEY`), which
makes them about 2.6 times longer: the token columns of `slack_installations` and `slack_bots` go
from slack_sdk's `String(200)` to `String(500)`, room for a 255-character token once sealed.
Downgrading narrows them again, which PostgreSQL refuses while a sealed token is stored (the old
code could not read it anyway): delete the installations first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_x"
down_revision = "0011_w"
branch_labels = None
depends_on = None

COLUMNS = {
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
    "slack_bots": ("bot_token", "bot_refresh_token"),
}


def _resize(old: int, new: int) -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(
                    column, existing_type=sa.String(old), type_=sa.String(new), existing_nullable=True
                )


def upgrade() -> None:
    _resize(200, 500)


def downgrade() -> None:
    _resize(500, 200)
