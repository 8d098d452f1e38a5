"""Snapshots (SPEC §4): a timestamped copy of an account's configuration that new accounts start from.

`request_snapshot` checks what it can locally and records a vendor operation; the vendor's copy is
taken after the ack (`SnapshotAccount`, run by `domain.operations`), and the person who asked is told.
`take_snapshot` does both at once (scripts and tests).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from domain import audit, operations
from domain.accounts.common import AccountPorts, via_vendor
from domain.accounts.queries import by_name
from domain.accounts.service import plan_json
from domain.agency import Actor
from domain.errors import Conflict
from domain.i18n import N_
from domain.portfolio import plan_choice_of
from domain.ports import Capability, Provider, ProviderError
from domain.roles import Permission
from domain.store.models import Account, Snapshot, VendorOperation
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
    snapshot = store_snapshot(uow, ports, account, config, label=label, taken_by=actor.user_id)
    uow.commit()
    return snapshot


def store_snapshot(
    uow: SqlUnitOfWork,
    ports: AccountPorts,
    account: Account,
    config: dict[str, Any],
    *,
    label: str,
    taken_by: str,
) -> Snapshot:
    """The desk's copy, audited: taken at once (`take_snapshot`) or after the ack (`SnapshotAccount`)."""
    snapshot = Snapshot(
        agency_id=account.agency_id,
        account_id=account.id,
        name=label,
        config=config,
        taken_at=ports.clock.now(),
        taken_by=taken_by,
    )
    uow.session.add(snapshot)
    uow.flush()
    audit.record(
        uow,
        ports.clock,
        agency_id=account.agency_id,
        actor=taken_by,
        action="account.snapshot_taken",
        target=account.name,
        after={"snapshot": snapshot.id},
    )
    return snapshot


SNAPSHOT = "snapshot"


def vendor_copies(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str) -> bool:
    """Whether the vendor's API takes the snapshot (then after the ack); else `take_snapshot` keeps
    the desk's copy at once and opens a portal task (SPEC §9)."""
    actor.require(Permission.MANAGE_ACCOUNTS)
    account = by_name(uow.session, actor.agency_id, name)
    return ports.provider_for(account.product).supports(Capability.SNAPSHOT)


def request_snapshot(
    uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str, *, key: str, notify: dict[str, Any]
) -> VendorOperation:
    """Record the snapshot to take after the answer (one per request key, however retried)."""
    actor.require(Permission.MANAGE_ACCOUNTS)
    account = by_name(uow.session, actor.agency_id, name)
    if not account.provider_ref:
        raise Conflict(
            N_("{name} is not provisioned at the provider, so there is nothing to copy."), name=name
        )
    op = operations.start(
        uow,
        agency_id=actor.agency_id,
        kind=SNAPSHOT,
        key=f"snapshot:{key}",
        requested_by=actor.user_id,
        now=ports.clock.now(),
        target=account.name,
        account_id=account.id,
        notify=notify,
    )
    uow.commit()
    return op


class SnapshotAccount:
    def call(
        self, sessions: sessionmaker[Session], ports: AccountPorts, op_id: int, progress: operations.Progress
    ) -> dict[str, Any]:
        with sessions() as session:
            op = session.get(VendorOperation, op_id)
            account = session.get(Account, op.account_id) if op and op.account_id else None
            if account is None or not account.provider_ref:
                raise ProviderError("the account is no longer provisioned at the provider")
            reference, product = account.provider_ref, account.product
        return ports.provider_for(product).snapshot(reference)

    def record(
        self, uow: SqlUnitOfWork, ports: AccountPorts, op: VendorOperation, called: Any
    ) -> tuple[dict[str, Any], str | None]:
        account = uow.session.get(Account, op.account_id)
        if account is None:  # pragma: no cover - accounts are never deleted once provisioned
            raise RuntimeError("the account is gone")
        label = f"{account.name} {ports.clock.now():%Y-%m-%d %H:%M}"
        snapshot = store_snapshot(uow, ports, account, dict(called), label=label, taken_by=op.requested_by)
        return {"snapshot": snapshot.id, "name": snapshot.name}, None

    def fail(
        self, uow: SqlUnitOfWork, ports: AccountPorts, op: VendorOperation, error: ProviderError
    ) -> None:
        """Nothing was recorded before the vendor's copy: nothing to undo."""


operations.HANDLERS[SNAPSHOT] = SnapshotAccount()
