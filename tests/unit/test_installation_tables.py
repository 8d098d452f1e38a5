"""The app declares Slack's installation and OAuth state tables itself (for Alembic): column for
column they are the ones slack_sdk's SQLAlchemy stores build, so an upgrade of slack_sdk that
changes them is caught here before it reaches a database."""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, String, Table

from domain.store.installations import (
    BOTS,
    INSTALLATIONS,
    OAUTH_STATES,
    TOKEN_COLUMNS,
    TOKEN_LENGTH,
    bots,
    installations,
    oauth_states,
)


def shape(table: Table) -> dict[str, tuple[str, bool, bool]]:
    return {c.name: (repr(c.type), bool(c.nullable), bool(c.primary_key)) for c in table.columns}


def indexes(table: Table) -> set[tuple[str, tuple[str, ...]]]:
    return {(str(i.name), tuple(c.name for c in i.columns)) for i in table.indexes}


def test_the_tables_are_slack_sdks_but_for_the_sealed_token_columns() -> None:
    metadata = MetaData()
    theirs = {
        INSTALLATIONS: SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS),
        BOTS: SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS),
        OAUTH_STATES: SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, OAUTH_STATES),
    }
    ours = {INSTALLATIONS: installations, BOTS: bots, OAUTH_STATES: oauth_states}
    for name, table in ours.items():
        expected = shape(theirs[name])
        # On purpose: a token is stored sealed (about 2.6 times longer), so the app's token columns
        # are wider than slack_sdk's String(200) (migration 0011_x); everything else is identical.
        for column in TOKEN_COLUMNS:
            if column in expected:
                assert expected[column] == (repr(String(200)), True, False), (name, column)
                expected[column] = (repr(String(TOKEN_LENGTH)), True, False)
        assert shape(table) == expected, name
        assert list(shape(table)) == list(expected), name  # same order too
        assert indexes(table) == indexes(theirs[name]), name
    assert {c for c in TOKEN_COLUMNS if c in installations.c} == set(TOKEN_COLUMNS)
