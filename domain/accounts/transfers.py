"""Accounts are never deleted (SPEC §4): they leave through a transfer-out request, and existing
accounts join through a transfer-in request that waits for the client's confirmation.

A confirmed transfer-out moves the account to `transferred`: the billing run, the notices sweep, the
tier count (the database triggers count only active and disabled accounts) and renewal all leave it
alone, and it stays in history and in the overview's `status:all`. A confirmed transfer-in creates the
account with the plan recorded on the request; its first cycle is due at once and charged by the
billing run at the tier the agency had before it (`domain.billing.renewal.next_charge`), like a new account's.
Both confirmations are audited and tell the channel once (the outbox's dedupe key).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update

from domain import audit, outbox
from domain.accounts import rules
from domain.accounts.common import AccountPorts, agency_today, facts
from domain.accounts.queries import by_name, name_taken
from domain.accounts.service import plan_json, set_plan
from domain.agency import Actor, notification_email_of
from domain.billing.renewal import next_charge
from domain.catalog import FreeProduct
from domain.credits import default_profile
from domain.errors import Conflict, InvalidInput, NotFound
from domain.i18n import N_, Word
from domain.notices.rules import TRANSFERRED_IN, TRANSFERRED_OUT
from domain.plans import PlanChoice, choice_from_json, validate_choice
from domain.portfolio import count_active_paid
from domain.pricing import quote
from domain.roles import Permission
from domain.store.models import Account, Notice, Transfer
from domain.store.uow import SqlUnitOfWork


def request_transfer_out(
    uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str, client_email: str | None
) -> Transfer:
    """Refused while the agency's branding is on the account: the client must not inherit it."""
    actor.require(Permission.MANAGE_ACCOUNTS)
    account = by_name(uow.session, actor.agency_id, name)
    if account.status == rules.TRANSFERRED:
        raise Conflict(N_("{name} was already transferred out."), name=account.name)
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
    uow: SqlUnitOfWork,
    ports: AccountPorts,
    actor: Actor,
    name: str,
    client_email: str,
    *,
    plan: PlanChoice,
    country: str | None = None,
) -> Transfer:
    """The plan the account will have in the agency is asked for now, checked like any plan choice,
    and kept on the request: the confirmation creates the account with it."""
    actor.require(Permission.MANAGE_ACCOUNTS)
    validate_choice(ports.catalog, plan)
    if isinstance(ports.catalog.product(plan.product), FreeProduct):
        raise InvalidInput(
            N_("A transfer-in joins the paid portfolio: give a paid plan, like `plus 2500 monthly`."),
            field="plan",
        )
    notification_email_of(uow.agencies.get(actor.agency_id))  # the new account's, checked now
    land = rules.clean_country(country) if country else None
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
        plan={**plan_json(plan), "country": land},
    )
    uow.session.add(transfer)
    _audit(uow, ports, actor, "account.transfer_in_requested", clean, email=email)
    uow.commit()
    return transfer


def confirm_transfer(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, transfer_id: int) -> Transfer:
    """Only an owner records that the client confirmed; the request then stops being pending."""
    actor.require(Permission.MANAGE_AGENCY)
    query = select(Transfer).where(Transfer.id == transfer_id, Transfer.agency_id == actor.agency_id)
    if uow.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    transfer = uow.session.scalars(query).first()
    if transfer is None:
        raise NotFound(
            N_("There is no transfer number {id}. `/accounts transfers` lists them."), id=transfer_id
        )
    if transfer.status != "pending":
        raise Conflict(N_("Transfer {id} is already {status}."), id=transfer_id, status=Word(transfer.status))
    if transfer.direction == "out":
        account = _leave(uow, ports, actor, transfer)
    else:
        account = _join(uow, ports, actor, transfer)
    transfer.status = "confirmed"
    transfer.confirmed_by = actor.user_id
    transfer.confirmed_at = ports.clock.now()
    agency = uow.agencies.get(actor.agency_id)
    outbox.enqueue(
        uow.session,
        agency_id=actor.agency_id,
        kind=TRANSFERRED_OUT if transfer.direction == "out" else TRANSFERRED_IN,
        due_on=agency_today(ports.clock, agency),
        now=ports.clock.now(),
        account_id=account.id,
        payload={"transfer": transfer.id, "client_email": transfer.client_email},
    )
    uow.commit()
    return transfer


def _leave(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, transfer: Transfer) -> Account:
    """The account ends its life in the agency: `transferred`, nothing scheduled, no notice pending."""
    if transfer.account_id is None:
        raise NotFound(N_("There is no account named {name}."), name=transfer.account_name)
    account = by_name(uow.session, actor.agency_id, transfer.account_name, for_update=True)
    _refuse_if_branded(account)
    if account.status == rules.TRANSFERRED:
        raise Conflict(N_("{name} was already transferred out."), name=account.name)
    before = facts(account)
    account.status = rules.TRANSFERRED
    account.status_changed_at = ports.clock.now()
    account.status_reason = None
    account.pending_change = None
    uow.session.execute(
        update(Notice)
        .where(
            Notice.agency_id == actor.agency_id,
            Notice.account_id == account.id,
            Notice.status == "pending",
        )
        .values(status="skipped"),
        execution_options={"synchronize_session": False},
    )
    audit.record(
        uow,
        ports.clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="account.transfer_out_confirmed",
        target=account.name,
        before=before,
        after={**facts(account), "client_email": transfer.client_email},
    )
    return account


def _join(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, transfer: Transfer) -> Account:
    """The account joins with the plan recorded on the request; its first cycle is due today."""
    if not transfer.plan:
        raise Conflict(
            N_(
                "Transfer {id} has no plan recorded: ask again with the plan, like `/accounts transfer-in {name} {email} plus 2500 monthly`."
            ),
            id=transfer.id,
            name=transfer.account_name,
            email=transfer.client_email,
        )
    choice = choice_from_json(transfer.plan)
    validate_choice(ports.catalog, choice)
    session = uow.session
    if name_taken(session, actor.agency_id, transfer.account_name):
        raise Conflict(N_("The agency already has an account named {name}."), name=transfer.account_name)
    agency = uow.agencies.get(actor.agency_id)
    day = agency_today(ports.clock, agency)
    now = ports.clock.now()
    country = str(transfer.plan.get("country") or "")
    profile = default_profile(session, actor.agency_id)
    before_count = count_active_paid(session, actor.agency_id)
    priced = quote(ports.catalog, choice, active_paid_count=before_count, today=day)
    account = Account(
        agency_id=actor.agency_id,
        name=transfer.account_name,
        client_name=transfer.account_name,
        client_email=transfer.client_email,
        notification_email=notification_email_of(agency),
        country=country,
        region=rules.region_of(country) if country else "global",
        language=agency.language,
        timezone=agency.timezone,
        status="active",
        status_changed_at=now,
        created_at=now,
        purchased_on=day,
        renewal_day=day.day,
        period_start=day,
        period_end=day,
        is_commission=False,
        billing_profile_id=profile.id if profile is not None else None,
        payment_method="card",
        price_per_cycle=priced.per_cycle,
        cycles_billed=0,
        discount_eligible=True,
        discount_loss_pending=False,
        client_price_per="month",
        created_by=actor.user_id,
    )
    set_plan(account, choice)
    session.add(account)
    session.flush()
    transfer.account_id = account.id
    audit.record(
        uow,
        ports.clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="account.transfer_in_confirmed",
        target=account.name,
        after={**facts(account), "client_email": transfer.client_email},
    )
    return account


def first_charge(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str) -> Decimal:
    """What a transferred-in account's first cycle costs, at the tier the agency had before it."""
    account = by_name(uow.session, actor.agency_id, name)
    return next_charge(uow.session, ports.catalog, account).total


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
