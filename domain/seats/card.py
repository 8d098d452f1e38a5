"""What `/seats <account>` shows: licenses bought, used and free, the members, the expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.agency import Actor
from domain.catalog import Catalog, ContactsProduct
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.portfolio import PER_SEAT_TIER
from domain.roles import Permission
from domain.seats.rules import term_end
from domain.store.models import SeatMember
from domain.store.seats import capacity, find_account, members_of
from domain.store.uow import SqlUnitOfWork


@dataclass(frozen=True)
class MemberView:
    """Plain data: the card outlives the session that read it."""

    email: str
    status: str
    is_admin: bool


@dataclass(frozen=True)
class SeatCard:
    account: str
    status: str
    per_seat: bool
    licenses: int
    """Licenses bought (per-seat) or user seats (contact-tiered)."""
    used: int
    free: int
    included_seats: int
    members: tuple[MemberView, ...]
    expiry: date
    """End of the one-year term (per-seat), or of the billing period (contact-tiered)."""
    next_charge: date
    frequency: str
    payment_method: str
    discount_loss_pending: bool
    discount_eligible: bool
    pending_change: dict[str, Any] | None


def seat_card(uow: SqlUnitOfWork, catalog: Catalog, actor: Actor, name: str) -> SeatCard:
    actor.require(Permission.READ)
    session = uow.session
    account = find_account(session, actor.agency_id, name)
    per_seat = account.tier == PER_SEAT_TIER
    anchor = account.purchased_on or account.created_at.date()
    included = 0
    if per_seat:
        room = capacity(session, account)
        members = tuple(_view(m) for m in members_of(session, account.id))
        licenses, used, free = room.licenses, room.used, room.free
        expiry = term_end(anchor, account.period_start)
    else:
        spec = catalog.product(account.product)
        if not isinstance(spec, ContactsProduct) or account.tier not in spec.tiers:
            # Trials and sandboxes are free plans: no seats to show and none to buy.
            raise InvalidInput(
                N_("{account} has no user seats to change."), field="account", account=account.name
            )
        included = spec.tiers[account.tier].included_seats
        members, licenses, used, free = (), account.seats or included, 0, 0
        expiry = account.period_end
    return SeatCard(
        account=account.name,
        status=account.status,
        per_seat=per_seat,
        licenses=licenses,
        used=used,
        free=free,
        included_seats=included,
        members=members,
        expiry=expiry,
        next_charge=account.period_end,
        frequency=account.frequency,
        payment_method=account.payment_method,
        discount_loss_pending=account.discount_loss_pending,
        discount_eligible=account.discount_eligible,
        pending_change=account.pending_change,
    )


def _view(member: SeatMember) -> MemberView:
    return MemberView(member.email, member.status, member.is_admin)
