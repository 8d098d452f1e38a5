"""Accounts are never deleted (SPEC §4): they leave through a transfer-out request, and existing
accounts join through a transfer-in request that waits for the client's confirmation."""

from __future__ import annotations

from sqlalchemy import select

from domain import audit
from domain.accounts import rules
from domain.accounts.common import AccountPorts
from domain.accounts.queries import by_name, name_taken
from domain.agency import Actor
from domain.errors import Conflict, NotFound
from domain.i18n import N_, Word
from domain.roles import Permission
from domain.store.models import Account, Transfer
from domain.store.uow import SqlUnitOfWork


def request_transfer_out(
    uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str, client_email: str | None
) -> Transfer:
    """Refused while the agency's branding is on the account: the client must not inherit it."""
    actor.require(Permission.MANAGE_ACCOUNTS)
    account = by_name(uow.session, actor.agency_id, name)
    _refuse_if_branded(account)
    if _pending(uow, actor.agency_id, "out", account.name) is not None:
        raise Conflict(N_("A transfer-out of {name} is already pending."), name=account.name)
    email = rules.clean_email(client_email or account.client_email, field="client_email")
    transfer = Transfer(
        agency_id=actor.agency_id,
        direction="out",
        account_id=account.id,
        account_name=account.name,
        client_email=email,
        status="pending",
        requested_by=actor.user_id,
        created_at=ports.clock.now(),
    )
    uow.session.add(transfer)
    _audit(uow, ports, actor, "account.transfer_out_requested", account.name, email=email)
    uow.commit()
    return transfer


def request_transfer_in(
    uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str, client_email: str
) -> Transfer:
    actor.require(Permission.MANAGE_ACCOUNTS)
    clean = rules.clean_name(name)
    if name_taken(uow.session, actor.agency_id, clean):
        raise Conflict(N_("The agency already has an account named {name}."), name=clean)
    if _pending(uow, actor.agency_id, "in", clean) is not None:
        raise Conflict(N_("A transfer-in of {name} is already pending."), name=clean)
    email = rules.clean_email(client_email, field="client_email")
    transfer = Transfer(
        agency_id=actor.agency_id,
        direction="in",
        account_name=clean,
        client_email=email,
        status="pending",
        requested_by=actor.user_id,
        created_at=ports.clock.now(),
    )
    uow.session.add(transfer)
    _audit(uow, ports, actor, "account.transfer_in_requested", clean, email=email)
    uow.commit()
    return transfer


def confirm_transfer(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, transfer_id: int) -> Transfer:
    """Only an owner records that the client confirmed; the request then stops being pending."""
    actor.require(Permission.MANAGE_AGENCY)
    transfer = uow.session.get(Transfer, transfer_id)
    if transfer is None or transfer.agency_id != actor.agency_id:
        raise NotFound(
            N_("There is no transfer number {id}. `/accounts transfers` lists them."), id=transfer_id
        )
    if transfer.status != "pending":
        raise Conflict(N_("Transfer {id} is already {status}."), id=transfer_id, status=Word(transfer.status))
    if transfer.direction == "out" and transfer.account_id is not None:
        _refuse_if_branded(uow.session.get(Account, transfer.account_id))
    transfer.status = "confirmed"
    transfer.confirmed_by = actor.user_id
    transfer.confirmed_at = ports.clock.now()
    _audit(
        uow,
        ports,
        actor,
        f"account.transfer_{transfer.direction}_confirmed",
        transfer.account_name,
        email=None,
    )
    uow.commit()
    return transfer


def _refuse_if_branded(account: Account | None) -> None:
    """Checked on the request and again on the confirmation: branding may be put back in between."""
    if account is not None and account.branding:
        raise Conflict(
            N_("Remove the agency branding from {name} first: `/accounts branding {name} remove`."),
            name=account.name,
        )


def list_transfers(uow: SqlUnitOfWork, actor: Actor, limit: int = 20) -> list[Transfer]:
    actor.require(Permission.READ)
    return list(
        uow.session.scalars(
            select(Transfer)
            .where(Transfer.agency_id == actor.agency_id)
            .order_by(Transfer.created_at.desc(), Transfer.id.desc())
            .limit(limit)
        )
    )


def _pending(uow: SqlUnitOfWork, agency_id: int, direction: str, name: str) -> Transfer | None:
    return uow.session.scalars(
        select(Transfer).where(
            Transfer.agency_id == agency_id,
            Transfer.direction == direction,
            Transfer.account_name == name,
            Transfer.status == "pending",
        )
    ).first()


def _audit(
    uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, action: str, name: str, *, email: str | None
) -> None:
    audit.record(
        uow,
        ports.clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action=action,
        target=name,
        after={"client_email": email} if email else None,
    )
