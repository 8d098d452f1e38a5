"""The Slack workspaces behind agencies (SPEC §11): one agency per installation, found by the
installation's key (the workspace's team id, or the organisation's id for an org-wide install),
suspended while Slack says the app is gone and resumed when it is installed again.

The key is always the one Slack's authorisation gave (the installation the request was signed and
authorised for), never an id read out of a payload: that is what keeps one agency from another.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from domain import audit
from domain.agency import resolve_actor
from domain.clock import Clock
from domain.errors import NotFound
from domain.store.uow import SqlUnitOfWork
from domain.uow import UnitOfWork

SUSPENDING_EVENTS = ("app_uninstalled", "tokens_revoked")
DEAD_TOKEN_ERRORS = frozenset({"token_revoked", "invalid_auth", "account_inactive", "not_authed"})
"""What Slack answers a call made with a token that no longer works: the workspace is treated as
having revoked it (`suspend` with reason `tokens_revoked`), and nothing is retried into it."""


@dataclass(frozen=True)
class Workspace:
    """An installation as Slack authorised it."""

    team_id: str | None
    enterprise_id: str | None = None
    is_enterprise_install: bool = False

    @property
    def key(self) -> str | None:
        """`agencies.team_id`: the organisation for an org-wide install (every workspace of it
        shares the agency), else the workspace."""
        if self.is_enterprise_install:
            return self.enterprise_id or self.team_id
        return self.team_id or None


@dataclass(frozen=True)
class AgencyWorkspace:
    """The installation an agency belongs to, and whether it is suspended."""

    agency_id: int
    workspace: Workspace
    suspended: bool


def of_agency(uow: UnitOfWork, agency_id: int) -> AgencyWorkspace | None:
    """The workspace behind an agency, read afresh (a suspension counts from the moment it is stored)."""
    try:
        agency = uow.agencies.get(agency_id)
    except NotFound:
        return None
    org_wide = bool(agency.is_enterprise_install)
    workspace = Workspace(
        None if org_wide else agency.team_id,
        agency.enterprise_id or (agency.team_id if org_wide else None),
        org_wide,
    )
    return AgencyWorkspace(agency.id, workspace, agency.suspended_at is not None)


def install(
    new_uow: Callable[[], SqlUnitOfWork],
    clock: Clock,
    workspace: Workspace,
    installer: str,
    configured_owners: Collection[str] = (),
) -> int:
    """A completed OAuth install: the workspace's agency, created with the installing person as its
    owner on first install, resumed (and its Grid facts refreshed) on a reinstall. An agency that
    exists keeps its members: whoever reinstalls becomes a member only through an owner."""
    key = workspace.key
    if key is None:  # pragma: no cover - Slack's oauth.v2.access always names the team or org
        msg = "an installation without a team or organisation"
        raise ValueError(msg)
    owners = {*configured_owners, installer}
    for attempt in range(3):
        try:
            with new_uow() as uow:
                agency = uow.agencies.by_team(key)
                if agency is None:
                    resolve_actor(uow, clock, key, installer, owners)
                    agency = uow.agencies.by_team(key)
                assert agency is not None
                agency.enterprise_id = workspace.enterprise_id
                agency.is_enterprise_install = workspace.is_enterprise_install
                if agency.suspended_at is not None:
                    agency.suspended_at, agency.suspended_reason = None, None
                    audit.record(
                        uow,
                        clock,
                        agency_id=agency.id,
                        actor=installer,
                        action="workspace.resumed",
                        target=key,
                    )
                audit.record(
                    uow, clock, agency_id=agency.id, actor=installer, action="workspace.installed", target=key
                )
                uow.commit()
                return agency.id
        except IntegrityError:  # a concurrent first request created it: read what it wrote
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def suspend_agency(uow: UnitOfWork, clock: Clock, agency_id: int, reason: str) -> bool:
    """`suspend` by the agency's id: a call Slack refused for its token (`DEAD_TOKEN_ERRORS`)."""
    try:
        key = uow.agencies.get(agency_id).team_id
    except NotFound:
        return False
    return suspend(uow, clock, key, reason)


def suspend(uow: UnitOfWork, clock: Clock, key: str, reason: str) -> bool:
    """Slack says the app is gone from the workspace: stop posting for it (data kept). Idempotent:
    Slack may send `tokens_revoked` and `app_uninstalled` for the same removal."""
    agency = uow.agencies.by_team(key)
    if agency is None:
        return False
    if isinstance(uow, SqlUnitOfWork):  # the pair of events may arrive together on two instances
        uow.session.refresh(agency, with_for_update=True)
    if agency.suspended_at is not None:
        return False
    agency.suspended_at, agency.suspended_reason = clock.now(), reason
    audit.record(uow, clock, agency_id=agency.id, actor="slack", action="workspace.suspended", target=reason)
    uow.commit()
    return True


def resume(uow: UnitOfWork, clock: Clock, key: str) -> bool:
    """A request authorised for the workspace again (single-workspace mode, where no install flow
    runs): it is back."""
    agency = uow.agencies.by_team(key)
    if agency is None or agency.suspended_at is None:
        return False
    agency.suspended_at, agency.suspended_reason = None, None
    audit.record(uow, clock, agency_id=agency.id, actor="slack", action="workspace.resumed", target=key)
    uow.commit()
    return True
