"""Billing profiles become references: the simulated gateway's tokens are made random

Revision ID: 0008_b
Revises: 0007
Create Date: 2026-12-01 14:00:00

Until now the built-in gateway's token was `tok_sim_<outcome>_` followed by the first 16 hex digits
of an unsalted SHA-256 of the card number and expiry: with the last four digits and expiry stored
beside it, the whole number came back by brute force. Each such token is replaced by a random one
that names the same test-card outcome, so every existing profile is charged exactly as before:
the old gateway read `_network_` and `_declined_` in the token and took any other for a success,
and so does this conversion (the documented test cards: last four 4242 and 4444 succeed, 9995 is
declined, 0119 fails like a network error). Tokens that are not the simulated gateway's (another
gateway's or a vendor's reference) are left as they are. The holder's name is no longer asked for.

Downgrade keeps the new tokens: the old code reads them the same way.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0008_b"
down_revision = "0007"
branch_labels = None
depends_on = None

profiles = sa.table(
    "billing_profiles",
    sa.column("id", sa.BigInteger()),
    sa.column("token", sa.String(120)),
)


def outcome_of(old_token: str) -> str:
    """What the old simulated gateway did when charging `old_token`."""
    if "_network_" in old_token:
        return "network"
    if "_declined_" in old_token:
        return "declined"
    return "success"


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(profiles.c.id, profiles.c.token).where(profiles.c.token.like("tok\\_sim\\_%", escape="\\"))
    ).all()
    for profile_id, token in rows:
        new = f"tok_sim_{outcome_of(token)}_{secrets.token_hex(16)}"
        bind.execute(sa.update(profiles).where(profiles.c.id == profile_id).values(token=new))


def downgrade() -> None:
    pass
