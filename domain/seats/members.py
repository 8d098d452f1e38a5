"""Members of a per-seat subscription: add, activate, remove, replace, make administrator (SPEC §6).

Every change that could take a license locks the account row first and counts the members inside
that lock, so parallel requests against the last free licenses queue up instead of overbooking.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain import audit, outbox
from domain.agency import Actor
from domain.clock import Clock, today
from domain.errors import Conflict, InvalidInput
from domain.i18n import N_, Word
from domain.portfolio import PER_SEAT_TIER
from domain.ports import Capability, Provider, ProviderError
from domain.roles import Permission
from domain.seats.rules import (
    EDITABLE_STATUSES,
    check_room,
    new_emails,
    normalise_email,
    parse_emails,
)
from domain.store.models import Account, SeatMember
from domain.store.seats import capacity, existing_emails, find_account, member, members_of
from domain.store.uow import SqlUnitOfWork
from domain.vendors import tasks
from domain.vendors.tasks import Providers

POOL_FULL = "license_pool_full"


@dataclass(frozen=True)
class AddResult:
    account: str
    added: tuple[str, ...]
    already: tuple[str, ...]
    free: int


def require_per_seat(account: Account) -> None:
    if account.tier != PER_SEAT_TIER:
        raise InvalidInput(
            N_(
                "{account} is not a per-seat subscription, so it has no license members. For its user "
                "seats use `/seats buy {account} <n>` or `/seats reduce {account} <n>`."
            ),
            field="account",
            account=account.name,
        )


def _editable(uow: SqlUnitOfWork, actor: Actor, name: str) -> Account:
    actor.require(Permission.MANAGE_ACCOUNTS)
    account = find_account(uow.session, actor.agency_id, name, lock=True)
    require_per_seat(account)
    if account.status not in EDITABLE_STATUSES:
        raise Conflict(
            N_("{account} is {status}: its members cannot change. Renew it first."),
            account=account.name,
            status=Word(account.status),
        )
    return account


def _invite(
    uow: SqlUnitOfWork,
    clock: Clock,
    providers: Provider | Providers,
    actor: Actor,
    *,
    account: Account,
    email: str,
) -> None:
    """The vendor's invitation, or a portal task to invite them there when its API cannot (SPEC §9)."""
    provider = providers if isinstance(providers, Provider) else providers.provider_for(account.product)
    try:
        tasks.run_or_task(
            uow,
            uow.session,
            clock,
            provider,
            capability=Capability.MEMBERS,
            account=account,
            values={"invite": email},
            actor=actor.user_id,
            call=lambda: provider.invite_member(account.provider_ref or "", email),
        )
    except ProviderError as exc:
        raise Conflict(
            N_("The provider did not send the invitation to {email}: {reason}. Nothing was changed."),
            email=email,
            reason=str(exc),
        ) from None


def add_members(
    uow: SqlUnitOfWork,
    clock: Clock,
    provider: Provider | Providers,
    actor: Actor,
    *,
    name: str,
    emails: str | list[str],
) -> AddResult:
    """Each valid new address takes a free license and is invited; more than are free adds none."""
    requested = parse_emails(emails)
    session = uow.session
    account = _editable(uow, actor, name)
    existing = existing_emails(session, account.id, list(requested))
    fresh = new_emails(requested, existing)
    room = capacity(session, account)
    check_room(account.name, room, len(fresh))
    now = clock.now()
    for email in fresh:
        session.add(SeatMember(account_id=account.id, email=email, status="invited", invited_at=now))
        _invite(uow, clock, provider, actor, account=account, email=email)
    session.flush()
    free = room.free - len(fresh)
    if fresh:
        audit.record(
            uow,
            clock,
            agency_id=actor.agency_id,
            actor=actor.user_id,
            action="seats.members_added",
            target=account.name,
            before={"used": room.used},
            after={"used": room.used + len(fresh), "members": ", ".join(fresh)},
        )
        if free == 0:
            _pool_full(uow, clock, account)
    uow.commit()
    already = tuple(e for e in requested if e not in fresh)
    return AddResult(account.name, tuple(fresh), already, free)


def _pool_full(uow: SqlUnitOfWork, clock: Clock, account: Account) -> None:
    agency = uow.agencies.get(account.agency_id)
    outbox.enqueue(
        uow.session,
        agency_id=account.agency_id,
        kind=POOL_FULL,
        due_on=today(clock, agency.timezone),
        now=clock.now(),
        account_id=account.id,
        payload={"account": account.name, "licenses": account.seats or 0},
    )


def activate_member(uow: SqlUnitOfWork, clock: Clock, actor: Actor, name: str, email: str) -> SeatMember:
    """Marks an invitation accepted: what `/seats activate` and the provider's callback both call."""
    account = _editable(uow, actor, name)
    row = member(uow.session, account, normalise_email(email))
    if row.status != "active":
        row.status = "active"
        row.activated_at = clock.now()
        audit.record(
            uow,
            clock,
            agency_id=actor.agency_id,
            actor=actor.user_id,
            action="seats.member_activated",
            target=account.name,
            before={"member": row.email, "status": "invited"},
            after={"member": row.email, "status": "active"},
        )
    uow.commit()
    return row


def remove_member(uow: SqlUnitOfWork, clock: Clock, actor: Actor, name: str, email: str) -> int:
    """Frees the license at once; the expiry does not move. Returns the free licenses after it."""
    account = _editable(uow, actor, name)
    row = member(uow.session, account, normalise_email(email))
    before = {"member": row.email, "status": row.status, "is_admin": row.is_admin}
    uow.session.delete(row)
    uow.session.flush()
    audit.record(
        uow,
        clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="seats.member_removed",
        target=account.name,
        before=before,
    )
    free = capacity(uow.session, account).free
    uow.commit()
    return free


def replace_member(
    uow: SqlUnitOfWork,
    clock: Clock,
    provider: Provider | Providers,
    actor: Actor,
    *,
    name: str,
    old: str,
    new: str,
) -> SeatMember:
    """The old member's license goes to the new one in one step, even when no other license is free."""
    old_email, new_email = normalise_email(old), normalise_email(new)
    if old_email == new_email:
        raise InvalidInput(N_("The new member is the same address as the old one."), field="emails")
    account = _editable(uow, actor, name)
    session = uow.session
    row = member(session, account, old_email)
    if new_email in {m.email for m in members_of(session, account.id)}:
        raise Conflict(N_("{email} is already a member of {account}."), email=new_email, account=account.name)
    session.delete(row)
    session.flush()
    fresh = SeatMember(account_id=account.id, email=new_email, status="invited", invited_at=clock.now())
    session.add(fresh)
    _invite(uow, clock, provider, actor, account=account, email=new_email)
    session.flush()
    audit.record(
        uow,
        clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="seats.member_replaced",
        target=account.name,
        before={"member": old_email},
        after={"member": new_email, "status": "invited"},
    )
    uow.commit()
    return fresh


def make_admin(uow: SqlUnitOfWork, clock: Clock, actor: Actor, name: str, email: str) -> Account:
    """After the confirm step: the member administers, and the discount goes at the next renewal.

    Money rule (it raises every later charge), so it needs the spending permission, not only seats.
    """
    actor.require(Permission.SPEND_MONEY)
    account = _editable(uow, actor, name)
    row = member(uow.session, account, normalise_email(email))
    if not row.is_admin:
        row.is_admin = True
        before = {"member": row.email, "discount_loss_pending": account.discount_loss_pending}
        account.discount_loss_pending = True
        audit.record(
            uow,
            clock,
            agency_id=actor.agency_id,
            actor=actor.user_id,
            action="seats.admin_granted",
            target=account.name,
            before=before,
            after={"member": row.email, "is_admin": True, "discount_loss_pending": True},
            reason="client administrator: reseller discount ends at the next renewal",
        )
    uow.commit()
    return account
