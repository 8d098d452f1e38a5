"""`bot.jobs.workspace_clients`: which Slack client posts for an agency outside a request (SPEC §11)."""

from __future__ import annotations

from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.workspace_clients import WorkspaceClients
from bot.settings import Settings
from bot.workspaces import installation_store
from domain.clock import FixedClock
from domain.store.models import Agency, AuditEntry
from domain.store.uow import SqlUnitOfWork
from domain.workspaces import resume, suspend
from tests.conftest import TOKEN
from tests.factories import make_agency
from tests.workspaces import many_workspaces


def _store(db: Engine, settings: Settings) -> SQLAlchemyInstallationStore:
    """The app's own store (tokens sealed with the tests' `SLACK_TOKEN_KEY`)."""
    return installation_store(many_workspaces(settings), db)


def _save(store: SQLAlchemyInstallationStore, token: str, team: str | None, org: str | None = None) -> None:
    store.save(
        Installation(
            app_id="A0RESELLER",
            enterprise_id=org,
            team_id=team,
            bot_token=token,
            bot_id="B0BOT",
            bot_user_id="U0BOT",
            bot_scopes="commands,chat:write",
            user_id="U0INSTALLER",
            is_enterprise_install=team is None,
        )
    )


def _agency(sessions: sessionmaker[Session], team: str, **fields: object) -> int:
    with sessions.begin() as s:
        return make_agency(s, team_id=team, **fields).id


def _token(client: WebClient | None) -> str | None:
    return None if client is None else client.token


def test_single_workspace_mode_posts_with_the_one_bot_token_unless_suspended(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, clock: FixedClock
) -> None:
    """One bot token for every agency (or the caller's own client, the shell's); a suspended or
    unknown agency gets none; without a token nothing can post."""
    agency = _agency(sessions, "T0TEST")
    clients = WorkspaceClients(settings, sessions, clock)
    assert clients.can_post and not clients.multi
    assert _token(clients.for_agency(agency)) == TOKEN
    own = WebClient(token="xoxb-shell")
    assert clients.for_agency(agency, default=own) is own
    assert clients.for_agency(agency + 1) is None
    with SqlUnitOfWork(sessions) as uow:
        suspend(uow, clock, "T0TEST", "app_uninstalled")
    assert clients.for_agency(agency) is None and clients.for_agency(agency, default=own) is None
    with SqlUnitOfWork(sessions) as uow:
        resume(uow, clock, "T0TEST")
    assert _token(clients.for_agency(agency)) == TOKEN

    tokenless = WorkspaceClients(settings.model_copy(update={"slack_bot_token": None}), sessions, clock)
    assert not tokenless.can_post and tokenless.for_agency(agency) is None


def test_many_workspaces_each_agency_gets_its_installations_token_read_afresh(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, clock: FixedClock
) -> None:
    """Each agency's installation (a workspace's, or an organisation's for an org-wide install)
    gives its bot token; one client per token is kept; a deleted installation gives none at once,
    a reinstall's new token is used at once, and a suspension wins over a stored installation."""
    store = _store(db, settings)
    _save(store, "xoxb-a", "T0AAA")
    _save(store, "xoxb-org", None, org="E0ORG")
    a = _agency(sessions, "T0AAA")
    org = _agency(sessions, "E0ORG", enterprise_id="E0ORG", is_enterprise_install=True)
    bare = _agency(sessions, "T0NONE")
    clients = WorkspaceClients(many_workspaces(settings), sessions, clock, installations=store)
    assert clients.multi and clients.can_post

    first = clients.for_agency(a)
    assert _token(first) == "xoxb-a" and clients.for_agency(a) is first
    assert _token(clients.for_agency(org)) == "xoxb-org"
    assert clients.for_agency(bare) is None
    assert _token(clients.for_agency(a, default=WebClient(token="xoxb-other"))) == "xoxb-a"

    store.delete_bot(enterprise_id=None, team_id="T0AAA")
    assert clients.for_agency(a) is None
    _save(store, "xoxb-a2", "T0AAA")
    assert _token(clients.for_agency(a)) == "xoxb-a2"

    with SqlUnitOfWork(sessions) as uow:
        suspend(uow, clock, "E0ORG", "tokens_revoked")
    assert clients.for_agency(org) is None


def test_many_workspaces_store_is_built_from_the_settings(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, clock: FixedClock
) -> None:
    """Without a store given (the CLI's jobs, the scheduler), the app's own installation store in the
    app's database is read."""
    _save(_store(db, settings), "xoxb-b", "T0BBB")
    b = _agency(sessions, "T0BBB")
    clients = WorkspaceClients(many_workspaces(settings), sessions, clock)
    assert _token(clients.for_agency(b)) == "xoxb-b"


def test_a_dead_token_answer_suspends_once_other_errors_do_not(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, clock: FixedClock
) -> None:
    """`token_revoked`, `invalid_auth`, `account_inactive`, `not_authed` suspend the agency (reason
    tokens_revoked, audited once however often it is said); a rate limit or a missing channel does
    not."""
    agency = _agency(sessions, "T0TEST")
    clients = WorkspaceClients(
        settings.model_copy(update={"slack_bot_token": SecretStr(TOKEN)}), sessions, clock
    )
    for error in ("ratelimited", "channel_not_found", None):
        assert not clients.refused(agency, error)
    with sessions() as s:
        assert s.get_one(Agency, agency).suspended_at is None
    for error in ("invalid_auth", "token_revoked", "account_inactive", "not_authed"):
        assert clients.refused(agency, error)
    with sessions() as s:
        assert s.get_one(Agency, agency).suspended_reason == "tokens_revoked"
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "workspace.suspended")))
        assert [(e.actor, e.target) for e in entries] == [("slack", "tokens_revoked")]
    assert clients.for_agency(agency) is None


def test_the_pair_of_removal_events_arriving_together_suspends_once(
    db: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    """`tokens_revoked` and `app_uninstalled` for one removal, handled at the same moment (two
    instances): one suspension, one audit entry, for each of several agencies."""
    import threading

    teams = [f"T0RACE{i}" for i in range(6)]
    for team in teams:
        _agency(sessions, team)
    barrier = threading.Barrier(2 * len(teams))
    results: list[bool] = []

    def remove(team: str, reason: str) -> None:
        barrier.wait(10)
        with SqlUnitOfWork(sessions) as uow:
            results.append(suspend(uow, clock, team, reason))

    threads = [
        threading.Thread(target=remove, args=(team, reason))
        for team in teams
        for reason in ("tokens_revoked", "app_uninstalled")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [False] * len(teams) + [True] * len(teams)
    with sessions() as s:
        entries = list(
            s.scalars(select(AuditEntry.agency_id).where(AuditEntry.action == "workspace.suspended"))
        )
    assert sorted(entries) == sorted(set(entries)) and len(entries) == len(teams)
