"""Many workspaces: Slack's OAuth installations and the agencies' workspace facts

Revision ID: 0011_w
Revises: 0010_b
Create Date: 2026-12-01 19:45:00

Issue 17 §1 (SPEC §11): the three tables of slack_sdk's SQLAlchemy installation and OAuth state
stores (`slack_installations`, `slack_bots`, `slack_oauth_states`, their schema as the stores build
it), and on `agencies` the Enterprise Grid id, whether the install is org-wide, and when and why
Slack said the app was uninstalled or its tokens revoked (nothing is posted for it meanwhile).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_w"
down_revision = "0010_b"
branch_labels = None
depends_on = None


def _workspace() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
    ]


def _bot() -> list[sa.Column[object]]:
    return [
        sa.Column("bot_token", sa.String(200)),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", sa.String(200)),
        sa.Column("bot_token_expires_at", sa.DateTime()),
    ]


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        *_workspace(),
        sa.Column("enterprise_url", sa.String(200)),
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        *_bot(),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("user_token", sa.String(200)),
        sa.Column("user_scopes", sa.String(1000)),
        sa.Column("user_refresh_token", sa.String(200)),
        sa.Column("user_token_expires_at", sa.DateTime()),
        sa.Column("incoming_webhook_url", sa.String(200)),
        sa.Column("incoming_webhook_channel", sa.String(200)),
        sa.Column("incoming_webhook_channel_id", sa.String(200)),
        sa.Column("incoming_webhook_configuration_url", sa.String(200)),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("token_type", sa.String(32)),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
    )
    op.create_index(
        "slack_installations_idx",
        "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )
    op.create_table(
        "slack_bots",
        *_workspace(),
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        *_bot(),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        sa.Column("installed_at", sa.DateTime(), nullable=False),
    )
    op.create_index("slack_bots_idx", "slack_bots", ["client_id", "enterprise_id", "team_id", "installed_at"])
    op.create_table(
        "slack_oauth_states",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(200), nullable=False),
        sa.Column("expire_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("agencies") as batch:
        batch.add_column(sa.Column("enterprise_id", sa.String(32)))
        batch.add_column(
            sa.Column("is_enterprise_install", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("suspended_reason", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("agencies") as batch:
        for column in ("suspended_reason", "suspended_at", "is_enterprise_install", "enterprise_id"):
            batch.drop_column(column)
    op.drop_table("slack_oauth_states")
    op.drop_index("slack_bots_idx", table_name="slack_bots")
    op.drop_table("slack_bots")
    op.drop_index("slack_installations_idx", table_name="slack_installations")
    op.drop_table("slack_installations")
