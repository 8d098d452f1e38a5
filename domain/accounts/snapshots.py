"""Snapshots (SPEC §4): a timestamped copy of an account's configuration that new accounts start from."""

from __future__ import annotations

from typing import Any

from domain import audit
from domain.accounts.common import AccountPorts, via_vendor
from domain.accounts.queries import by_name
from domain.accounts.service import plan_json
from domain.agency import Actor
from domain.errors import Conflict
from domain.i18n import N_
from domain.portfolio import plan_choice_of
from domain.ports import Capability, Provider, ProviderError
from domain.roles import Permission
from domain.store.models import Snapshot
from domain.store.uow import SqlUnitOfWork


def take_snapshot(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str) -> Snapshot:
    actor.require(Permission.MANAGE_ACCOUNTS)
    account = by_name(uow.session, actor.agency_id, name)
    if not account.provider_ref:
        raise Conflict(
            N_("{name} is not provisioned at the provider, so there is nothing to copy."), name=name
        )
    now = ports.clock.now()
    label = f"{account.name} {now:%Y-%m-%d %H:%M}"
    # Without snapshots in the vendor's API the desk keeps what it knows of the account, and a portal
    # task asks for the same snapshot at the vendor (SPEC §9).
    config: dict[str, Any] = {"plan": plan_json(plan_choice_of(account)), "branding": account.branding}

    def copy(provider: Provider, reference: str) -> None:
        nonlocal config
        config = provider.snapshot(reference)

    try:
        via_vendor(
            uow, ports, actor.user_id, account, Capability.SNAPSHOT, values={"snapshot": label}, call=copy
        )
    except ProviderError as exc:
        raise Conflict(
            N_("The provider could not copy {name}: {reason}"), name=name, reason=str(exc)
        ) from None
    snapshot = Snapshot(
        agency_id=actor.agency_id,
        account_id=account.id,
        name=label,
        config=config,
        taken_at=now,
        taken_by=actor.user_id,
    )
    uow.session.add(snapshot)
    uow.flush()
    audit.record(
        uow,
        ports.clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="account.snapshot_taken",
        target=account.name,
        after={"snapshot": snapshot.id},
    )
    uow.commit()
    return snapshot
