"""Helping a client back into their account (SPEC §4 Client access help).

A reset email goes to the client's own address through the provider. A new password is generated
here, handed to the provider and returned once to the caller, who shows it only to the member who
asked: it is not stored (the provider keeps its own digest), not logged, and the audit entry says
that a password was set, never which one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain import audit
from domain.accounts import queries
from domain.accounts.common import AccountPorts, strong_password, via_vendor
from domain.agency import Actor
from domain.errors import Conflict
from domain.i18n import N_, Word
from domain.ports import Capability, ProviderError
from domain.roles import Permission
from domain.store.models import Account
from domain.store.uow import SqlUnitOfWork
from domain.vendors import tasks

LOCKOUT_ATTEMPTS = 5
LOCKOUT_MINUTES = 5
HELPED_STATUSES = ("trial", "active", "disabled", "cancelled")


def locked_until(ports: AccountPorts, account: Account) -> datetime | None:
    """When the provider unlocks the client's login, if that is still in the future."""
    reference = account.provider_ref
    if not reference:
        return None
    provider = ports.provider_for(account.product)
    until = tasks.fetch_or_none(provider, Capability.PASSWORD, lambda: provider.locked_until(reference))
    if until is None:
        return None
    now = ports.clock.now()
    until = until.replace(tzinfo=now.tzinfo) if until.tzinfo is None else until
    return until if until > now else None


@dataclass(frozen=True)
class Helped:
    name: str
    email: str
    password: str | None = field(default=None, repr=False)
    task: int | None = None
    """The portal task opened instead, when the vendor's API offers no password help (SPEC §9)."""


def _account(uow: SqlUnitOfWork, actor: Actor, name: str) -> Account:
    actor.require(Permission.MANAGE_ACCOUNTS)
    account = queries.by_name(uow.session, actor.agency_id, name)
    if account.status not in HELPED_STATUSES or not account.provider_ref:
        raise Conflict(
            N_("{name} is {status}: the provider no longer lets its client sign in."),
            name=account.name,
            status=Word(account.status),
        )
    return account


def _provider_said(error: ProviderError) -> Conflict:
    return Conflict(N_("The provider refused: {reason}. Nothing was changed."), reason=str(error))


def _reset_task(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, account: Account) -> Helped | None:
    """Without password help in the vendor's API: a portal task to send the client a reset (never a
    password: none is made), committed; None when the API offers it."""
    provider = ports.provider_for(account.product)
    if provider.supports(Capability.PASSWORD):
        return None
    routed = via_vendor(
        uow,
        ports,
        actor.user_id,
        account,
        Capability.PASSWORD,
        values={"reset_email": account.client_email},
        call=lambda p, ref: None,
    )
    uow.commit()
    return Helped(account.name, account.client_email, task=routed.task.id if routed.task else None)


def send_reset(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str) -> Helped:
    account = _account(uow, actor, name)
    if (task := _reset_task(uow, ports, actor, account)) is not None:
        return task
    try:
        ports.provider_for(account.product).send_password_reset(
            account.provider_ref or "", account.client_email
        )
    except ProviderError as error:
        raise _provider_said(error) from None
    _audit(uow, ports, actor, account, "account.password_reset_sent", after={"to": account.client_email})
    return Helped(account.name, account.client_email)


def set_password(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str) -> Helped:
    """A new password shown once; with a vendor that cannot set one, a reset task instead."""
    account = _account(uow, actor, name)
    if (task := _reset_task(uow, ports, actor, account)) is not None:
        return task
    password = strong_password()
    try:
        ports.provider_for(account.product).set_password(account.provider_ref or "", password)
    except ProviderError as error:
        raise _provider_said(error) from None
    _audit(
        uow,
        ports,
        actor,
        account,
        "account.password_set",
        after={"password": N_("generated; shown once to the actor, not kept")},
    )
    return Helped(account.name, account.client_email, password)


def _audit(
    uow: SqlUnitOfWork,
    ports: AccountPorts,
    actor: Actor,
    account: Account,
    action: str,
    *,
    after: dict[str, str],
) -> None:
    audit.record(
        uow,
        ports.clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action=action,
        target=account.name,
        after=after,
    )
    uow.commit()
