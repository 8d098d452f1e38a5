"""The Slack client of an agency outside a request (SPEC §11): what every job, notice and reply made
after the ack posts with.

Single-workspace mode: the one bot token (`SLACK_BOT_TOKEN`). Many workspaces: the bot token of the
agency's own installation in the installation store. None when the agency is suspended (its
workspace removed the app or revoked the token) or has no installation: nothing is posted, and
what waits (notices) stays waiting for the reinstall.

The agency and its installation are read again at every look-up (two indexed reads), so a
suspension or a reinstall counts from the moment it is stored; only the HTTP clients are kept, one
per token, and a token the store no longer gives is never used again.
"""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import InstallationStore
from sqlalchemy.orm import Session, sessionmaker

from bot.context import Deps
from bot.settings import Settings
from bot.workspaces import installation_store
from domain import workspaces
from domain.clock import Clock
from domain.store.uow import SqlUnitOfWork

log = logging.getLogger("reseller_desk.workspaces")


def bot_client(settings: Settings, token: str) -> WebClient:
    """No retry handlers: the SDK's own retry re-posts after a dropped connection without looking
    whether the first post went through; the notice sender retries, and looks first."""
    return WebClient(token=token, base_url=settings.slack_api_url, timeout=10, retry_handlers=[])


class WorkspaceClients:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        clock: Clock,
        *,
        installations: InstallationStore | None = None,
        client: WebClient | None = None,
    ) -> None:
        """`installations`: the store (many workspaces; built from the settings when not given).
        `client`: single-workspace mode's client, when the caller brings its own (the shell, tests);
        else one for `SLACK_BOT_TOKEN`, or none without a token."""
        self.settings, self.sessions, self.clock = settings, sessions, clock
        self.installations = installations
        if self.installations is None and settings.multi_workspace:
            self.installations = installation_store(settings, sessions.kw["bind"])
        self.single = client
        if client is None and self.installations is None and settings.slack_bot_token is not None:
            self.single = bot_client(settings, settings.slack_bot_token.get_secret_value())
        self._by_token: dict[str, WebClient] = {}
        self._lock = threading.Lock()

    @property
    def multi(self) -> bool:
        return self.installations is not None

    @property
    def can_post(self) -> bool:
        """False in single-workspace mode without a bot token (local use): nothing could be posted."""
        return self.multi or self.single is not None

    def for_agency(self, agency_id: int, default: WebClient | None = None) -> WebClient | None:
        """The client to post for `agency_id` with, or None when nothing may be posted for it.
        `default`: in single-workspace mode, the client of the request that started the work."""
        with SqlUnitOfWork(self.sessions) as uow:
            found = workspaces.of_agency(uow, agency_id)
        if found is None or found.suspended:
            return None
        if self.installations is None:
            return default or self.single
        workspace = found.workspace
        bot = self.installations.find_bot(
            enterprise_id=workspace.enterprise_id,
            team_id=None if workspace.is_enterprise_install else workspace.team_id,
            is_enterprise_install=workspace.is_enterprise_install,
        )
        if bot is None or not bot.bot_token:
            return None
        with self._lock:
            client = self._by_token.get(bot.bot_token)
            if client is None:
                client = self._by_token[bot.bot_token] = bot_client(self.settings, bot.bot_token)
        return client

    def refused(self, agency_id: int, error: str | None) -> bool:
        """Slack refused a call for `agency_id` because its token is dead (`DEAD_TOKEN_ERRORS`): the
        agency is suspended as if the workspace had revoked it. True when that was the reason."""
        if error not in workspaces.DEAD_TOKEN_ERRORS:
            return False
        with SqlUnitOfWork(self.sessions) as uow:
            if workspaces.suspend_agency(uow, self.clock, agency_id, "tokens_revoked"):
                log.warning("agency %s suspended: Slack answered %s", agency_id, error)
        return True

    def refused_by(self, agency_id: int, exc: SlackApiError) -> bool:
        return self.refused(agency_id, str(exc.response.get("error") or ""))


_LOCK = threading.Lock()


def clients_of(deps: Deps) -> WorkspaceClients:
    """The app's `WorkspaceClients` (with its installation store in many-workspace mode), made once."""
    with _LOCK:
        clients = deps.extras.get("workspace_clients")
        if not isinstance(clients, WorkspaceClients):
            clients = WorkspaceClients(
                deps.settings, deps.sessions, deps.clock, installations=deps.installations
            )
            deps.extras["workspace_clients"] = clients
        return clients
