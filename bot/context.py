"""What a listener needs: the app's ports (`Deps`) and the acting member for this request (`Req`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cachetools import TTLCache
from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import InstallationStore
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import Translator, normalise_locale, pick_language
from bot.settings import Settings
from bot.workspaces import authorised_workspace
from domain.agency import DEFAULT_AGENCY_NAME, Actor, bootstrap_actor, find_actor
from domain.catalog import Catalog
from domain.clock import Clock
from domain.errors import NotAMember
from domain.i18n import N_
from domain.ports import PaymentGateway, Provider
from domain.store.uow import SqlUnitOfWork
from domain.vendors.tasks import choose
from domain.workspaces import Workspace, resume

LOCALE_TTL_SECONDS = 3600.0
LOCALES_KEPT = 10_000
"""Users whose locale is kept at once; the least recently used go first past it."""


def _locale_entries() -> TTLCache[str, str | None]:
    return TTLCache(maxsize=LOCALES_KEPT, ttl=LOCALE_TTL_SECONDS, timer=time.monotonic)


@dataclass
class LocaleCache:
    """Slack users' locales (`users.info` with `include_locale`), kept an hour per user
    (`cachetools.TTLCache`, which is not thread-safe on its own: hence the lock)."""

    entries: TTLCache[str, str | None] = field(default_factory=_locale_entries)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def lookup(self, client: WebClient, user_id: str) -> str | None:
        with self.lock:
            if user_id in self.entries:  # unexpired (TTLCache checks)
                return self.entries[user_id]
        locale: str | None = None
        try:
            response = client.users_info(user=user_id, include_locale=True)
            user = response.get("user") or {}
            locale = user.get("locale")
        except SlackApiError:
            locale = None
        with self.lock:
            self.entries[user_id] = locale
        return locale


@dataclass
class Deps:
    """The app's ports, built once by `build_app` and shared by every listener."""

    settings: Settings
    clock: Clock
    sessions: sessionmaker[Session]
    catalog: Catalog
    provider: Provider
    gateway: PaymentGateway
    read_sessions: sessionmaker[Session] | None = None
    locales: LocaleCache = field(default_factory=LocaleCache)
    extras: dict[str, Any] = field(default_factory=dict)
    providers: dict[str, Provider] = field(default_factory=dict)
    """Providers other than the default, by name, for products the catalog gives one (SPEC §9)."""
    installations: InstallationStore | None = None
    """Many-workspace mode: slack_sdk's store of each workspace's installation (SPEC §11)."""

    def installer_of(self, workspace: Workspace) -> str | None:
        """Who installed the app in `workspace`, if it was installed through the OAuth flow."""
        if self.installations is None:
            return None
        found = self.installations.find_installation(
            enterprise_id=workspace.enterprise_id,
            team_id=None if workspace.is_enterprise_install else workspace.team_id,
            is_enterprise_install=workspace.is_enterprise_install,
        )
        return found.user_id if found is not None else None

    def provider_for(self, product: str | None) -> Provider:
        return choose(self.provider, self.providers, self.catalog.provider_of(product))

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions)

    def read_uow(self) -> SqlUnitOfWork:
        """For requests that only read: on SQLite they do not take the write lock, so they run side by
        side with each other and with a writer (WAL); on PostgreSQL they run in autocommit, without
        the BEGIN and ROLLBACK round trips. Nothing read through it may be written back."""
        return SqlUnitOfWork(self.read_sessions or self.sessions)


@dataclass
class Req:
    """One interaction: who acts, for which agency, read in which language."""

    deps: Deps
    actor: Actor
    active_paid: int
    """The discount tier's account count as this request began (read with the member)."""
    agency_name: str
    currency: str
    timezone: str
    t: Translator
    client: WebClient | None
    body: Mapping[str, Any]
    language: str = "en"
    """The agency's language: channel messages, and every edit of one, are written in it."""

    @property
    def user_id(self) -> str:
        return self.actor.user_id

    @property
    def channel_t(self) -> Translator:
        """The translator of what the channel reads (a post or an edit of one), whoever clicked:
        replies to the member (ephemeral, modals, DMs) use `t`, their own language."""
        if self.t.lang == normalise_locale(self.language):
            return self.t
        return Translator(self.language, self.currency, self.timezone)


def user_of(body: Mapping[str, Any]) -> str:
    """The acting user: slash commands and events flattened by a listener carry `user_id`,
    interactions nest it under `user`. Whatever the body holds, the answer is a string: a `user` that
    is not an object, or an id that is not a string, counts as missing (then refused as a non-member).

    The workspace is never read from the body: it is the installation Bolt authorised
    (`bot.workspaces.authorised_workspace`), which a Slack Connect modal or another workspace of an
    organisation would otherwise fill with someone else's team."""
    return _text(body.get("user_id")) or _text(_object(body.get("user")).get("id"))


def _object(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def open_request(context: BoltContext, body: Mapping[str, Any]) -> Req:
    """Resolve the acting member (refusing non-members) and their language, before any work."""
    deps: Deps = context["deps"]
    user_id = user_of(body)
    workspace = authorised_workspace(context)
    if workspace is None or workspace.key is None:
        raise NotAMember(N_("Slack did not say which workspace this comes from, so nothing was done."))
    team_id = workspace.key
    client: WebClient | None = context.get("client")
    with deps.read_uow() as uow:
        found = find_actor(uow.session, team_id, user_id)
    if found is None:
        # RESELLER_OWNERS are the owners of the one workspace's agency; with many, each agency's first
        # owner is whoever installed the app there, and nobody is an owner of every agency.
        owners = set() if deps.settings.multi_workspace else set(deps.settings.reseller_owners)
        installer = deps.installer_of(workspace)
        if installer is not None and not _has_agency(deps, team_id):  # after that, owners add members
            owners.add(installer)
        found = bootstrap_actor(deps.uow, deps.clock, team_id, user_id, owners)
    if found is None:  # pragma: no cover - resolve_actor either bootstraps the member or refuses
        raise NotAMember(N_("You are not a member of this agency's Reseller Desk, so nothing was done."))
    actor, facts = found
    if facts.suspended and deps.installations is None:
        # Single-workspace mode has no install flow: a request Slack authorised with the bot token
        # (its `auth.test` answered) shows the app is back in the workspace.
        with deps.uow() as uow:
            resume(uow, deps.clock, team_id)
    name, currency, timezone, language = facts.name, facts.currency, facts.timezone, facts.language
    lang = None
    if client is not None and _talks_to_slack(deps.settings):
        lang = deps.locales.lookup(client, user_id)
    translator = Translator(pick_language(lang, language), currency, timezone)
    return Req(
        deps=deps,
        actor=actor,
        active_paid=facts.active_paid,
        # An agency nobody has named yet is "My agency" in the reader's language.
        agency_name=translator(name) if name == DEFAULT_AGENCY_NAME else name,
        currency=currency,
        timezone=timezone,
        t=translator,
        client=client,
        body=body,
        language=language,
    )


def _talks_to_slack(settings: Settings) -> bool:
    """Whether each reader's language can be asked of Slack (`users.info`): with the bot token, or
    with the token of the workspace's installation; not in the local shell."""
    return settings.slack_bot_token is not None or settings.multi_workspace


def _has_agency(deps: Deps, team_id: str) -> bool:
    """Whether the workspace's agency exists: the installer makes it, but is not a member forever
    (an owner may remove them, and a reinstall by someone else adds nobody)."""
    with deps.read_uow() as uow:
        return uow.agencies.by_team(team_id) is not None


def translator_for(context: BoltContext, body: Mapping[str, Any]) -> Translator:
    """A translator for someone who may not be a member (refusals must still be readable)."""
    deps: Deps | None = context.get("deps")
    client: WebClient | None = context.get("client")
    user_id = user_of(body)
    lang = None
    if deps is not None and client is not None and _talks_to_slack(deps.settings) and user_id:
        lang = deps.locales.lookup(client, user_id)
    return Translator(normalise_locale(lang))
