"""Adding a resold account: checks, first charge, provisioning, credentials shown once (SPEC §4, §9).

The order of money: the submission checks everything it can locally, charges the first cycle
(idempotent by the modal's key, and the gateway is given the same key: a decline answers at once and
nothing is created) and records the account as `creating` with its vendor operation, all in one
commit. The vendor then creates it after the answer (`domain.accounts.provisioning`); a definitive
refusal VOIDS the charge (card refunded, prepaid credit given back, invoice `void`) and removes the
account row so its name can be used again. No money is kept for an account the vendor did not create.
A retried submission finds its processed request and answers it without charging or recording again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain import audit, operations
from domain.accounts import rules
from domain.accounts.common import AccountPorts, agency_today, facts, quote_lines
from domain.accounts.fields import check_fields
from domain.accounts.queries import name_taken
from domain.agency import Actor
from domain.billing.charges import ChargeRequest, charge
from domain.catalog import FreeProduct
from domain.errors import Conflict, NotFound, PaymentDeclined
from domain.i18n import N_
from domain.plans import PlanChoice, validate_choice
from domain.portfolio import PER_SEAT_TIER, count_active_paid
from domain.pricing import MigrationDiscount, quote
from domain.roles import Permission
from domain.store.models import Account, Invoice, ProcessedRequest, Snapshot
from domain.store.uow import SqlUnitOfWork
from domain.vendor_billing import billing_vendor, invoice_vendor

CREATING = "creating"
"""The status of an account the vendor has not created yet: not billed, not counted, not noticed."""
PROVISION = "provision_account"


@dataclass(frozen=True)
class AddAccount:
    request_key: str
    """From the modal (a nonce in its private_metadata): one account per submission, however retried."""
    name: str
    client_name: str
    client_email: str
    notification_email: str
    country: str
    language: str
    timezone: str
    plan: PlanChoice
    billing_profile_id: int | None = None
    custom_domain: str | None = None
    snapshot_id: int | None = None
    migration_percent: Decimal | None = None
    migration_cycles: int | None = None


@dataclass(frozen=True)
class AddedAccount:
    account_id: int
    name: str
    status: str
    login_url: str
    username: str
    password: str | None = field(repr=False)
    """Only on the first delivery; None when a retry found the account already created."""
    period_end: date
    invoice_number: str | None = None
    total: Decimal = Decimal("0.00")
    credit_used: Decimal = Decimal("0.00")
    card_charged: Decimal = Decimal("0.00")
    operation_id: int | None = None
    """The vendor operation creating it (status `creating` until it has run)."""
    first_delivery: bool = False
    """False when a retried submission found its request already recorded."""
    vendor: str | None = None
    """The vendor's name (maybe empty) when the vendor bills the first cycle, not the desk (SPEC §9)."""


def check_local_name(uow: SqlUnitOfWork, agency_id: int, raw: str) -> str:
    """Format and uniqueness in the agency: what a submission checks before answering."""
    name = rules.clean_name(raw)
    if name_taken(uow.session, agency_id, name):
        raise Conflict(N_("The agency already has an account named {name}."), field="name", name=name)
    return name


def _require_roles(actor: Actor, cmd: AddAccount, free: bool) -> None:
    actor.require(Permission.MANAGE_ACCOUNTS)
    if not free or cmd.migration_percent is not None:
        actor.require(Permission.SPEND_MONEY)


def _replay(found: ProcessedRequest) -> AddedAccount:
    r = found.result
    return AddedAccount(
        account_id=int(r["account_id"]),
        name=str(r["name"]),
        status=str(r["status"]),
        login_url=str(r["login_url"]),
        username=str(r["username"]),
        password=None,
        period_end=date.fromisoformat(str(r["period_end"])),
        invoice_number=r.get("invoice"),
        total=Decimal(str(r.get("total", "0.00"))),
        operation_id=int(r["operation_id"]) if r.get("operation_id") else None,
    )


def add_account(
    uow: SqlUnitOfWork,
    ports: AccountPorts,
    actor: Actor,
    cmd: AddAccount,
    notify: dict[str, Any] | None = None,
) -> AddedAccount:
    """Check, charge the first cycle and record the account as `creating` with its vendor operation;
    the vendor creates it after the answer (`domain.accounts.provisioning`, SPEC §9 Slow vendors)."""
    key = f"accounts.add:{cmd.request_key}"
    spec = (
        ports.catalog.product(cmd.plan.product) if cmd.plan.product in ports.catalog.product_names() else None
    )
    free = isinstance(spec, FreeProduct)
    _require_roles(actor, cmd, free)
    found = uow.requests.get(actor.agency_id, key)
    if found is not None:
        added = _replay(found)
        op = operations.find(uow.session, actor.agency_id, key)
        if op is not None and op.state == "succeeded" and op.result:
            r = op.result
            return replace(
                added, status=str(r["status"]), login_url=str(r["login_url"]), username=str(r["username"])
            )
        return replace(added, status="failed") if op is not None and op.state == "failed" else added
    clean = check_fields(cmd)
    validate_choice(ports.catalog, cmd.plan)
    check_local_name(uow, actor.agency_id, clean["name"])
    agency = uow.agencies.get(actor.agency_id)
    day = agency_today(ports.clock, agency)
    now = ports.clock.now()
    snapshot = _snapshot(uow, actor.agency_id, cmd.snapshot_id)
    account = Account(
        agency_id=actor.agency_id,
        **clean,
        pricing_version=cmd.plan.version,
        product=cmd.plan.product,
        frequency=cmd.plan.frequency,
        addons=list(cmd.plan.addons),
        limits=dict(cmd.plan.limits),
        created_at=now,
        status_changed_at=now,
        purchased_on=day,
        renewal_day=day.day,
        period_start=day,
        is_commission=False,
        billing_profile_id=cmd.billing_profile_id,
        payment_method="card",
        cycles_billed=0,
        discount_eligible=True,
        discount_loss_pending=False,
        client_price_per="month",
        branding=dict(agency.branding) if agency.branding else None,
        snapshot_id=snapshot.id if snapshot else None,
        created_by=actor.user_id,
    )
    set_plan(account, cmd.plan)
    invoice = None
    # The row goes in as `creating` (its final status waits for the vendor): a status change after
    # the insert would take the status counters' locks in the opposite order to the runner's.
    try:
        if isinstance(spec, FreeProduct):
            _start_free(account, spec, cmd.plan, day)
            final_status, account.status = account.status, CREATING
            _insert(uow, account)
        else:
            final_status = "active"
            invoice = _start_paid(uow, ports, actor, account, cmd, day=day, currency=agency.currency)
    except _NameTaken:
        # Another transaction committed this name between the check above and the insert: the same
        # submission (Slack's retry reaching another instance at the same moment), whose answer is
        # replayed, or another one, which has the name.
        if uow.requests.get(actor.agency_id, key) is not None:
            return add_account(uow, ports, actor, cmd, notify)
        raise Conflict(
            N_("The agency already has an account named {name}."), field="name", name=clean["name"]
        ) from None
    op = operations.start(
        uow,
        agency_id=actor.agency_id,
        kind=PROVISION,
        key=key,
        requested_by=actor.user_id,
        now=now,
        target=account.name,
        account_id=account.id,
        payload={
            "status": final_status,
            "plan": plan_json(cmd.plan),
            "invoice_id": invoice.id if invoice else None,
            "command": command_json(cmd),
        },
        notify=notify,
    )
    audit.record(
        uow,
        ports.clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="account.add_requested",
        target=account.name,
        after={**facts(account), "invoice": invoice.number if invoice else None, "operation": op.id},
    )
    result: dict[str, Any] = {
        "account_id": account.id,
        "name": account.name,
        "status": CREATING,
        "login_url": "",
        "username": "",
        "period_end": account.period_end.isoformat(),
        "invoice": invoice.number if invoice else None,
        "total": str(invoice.total) if invoice else "0.00",
        "operation_id": op.id,
    }
    uow.requests.add(ProcessedRequest(agency_id=actor.agency_id, key=key, result=result, at=now))
    uow.commit()
    return AddedAccount(
        account_id=account.id,
        name=account.name,
        status=CREATING,
        login_url="",
        username="",
        password=None,
        period_end=account.period_end,
        invoice_number=invoice.number if invoice else None,
        total=invoice.total if invoice else Decimal("0.00"),
        credit_used=invoice.credit_used if invoice else Decimal("0.00"),
        card_charged=invoice.card_charged if invoice else Decimal("0.00"),
        operation_id=op.id,
        first_delivery=True,
        vendor=invoice_vendor(invoice),
    )


def command_json(cmd: AddAccount) -> dict[str, Any]:
    """The submitted form, kept server-side so a refused creation can reopen it prefilled."""
    return {
        "name": cmd.name,
        "client_name": cmd.client_name,
        "client_email": cmd.client_email,
        "notification_email": cmd.notification_email,
        "country": cmd.country,
        "language": cmd.language,
        "timezone": cmd.timezone,
        "billing_profile_id": cmd.billing_profile_id,
        "custom_domain": cmd.custom_domain,
        "snapshot_id": cmd.snapshot_id,
        "migration_percent": str(cmd.migration_percent) if cmd.migration_percent is not None else None,
        "migration_cycles": cmd.migration_cycles,
    }


def _snapshot(uow: SqlUnitOfWork, agency_id: int, snapshot_id: int | None) -> Snapshot | None:
    if snapshot_id is None:
        return None
    snapshot = uow.session.get(Snapshot, snapshot_id)
    if snapshot is None or snapshot.agency_id != agency_id:
        raise NotFound(N_("That snapshot does not exist any more."), field="snapshot")
    return snapshot


def set_plan(account: Account, plan: PlanChoice) -> None:
    """Store a PlanChoice in the account's columns, as `portfolio.plan_choice_of` reads them back."""
    account.pricing_version = plan.version
    account.product = plan.product
    account.frequency = plan.frequency
    if plan.version == "V1":
        account.tier, account.contacts, account.seats = plan.level or "", None, None
        account.addons, account.limits = [], {}
    elif plan.licenses is not None:
        account.tier, account.contacts, account.seats = PER_SEAT_TIER, None, plan.licenses
        account.addons, account.limits = [], {}
    else:
        account.tier, account.contacts, account.seats = plan.tier or "", plan.contacts, plan.seats
        account.addons, account.limits = list(plan.addons), dict(plan.limits)
    account.plan_size = rules.plan_size(
        account.tier, account.contacts, account.seats if account.tier == PER_SEAT_TIER else None
    )


def plan_json(plan: PlanChoice) -> dict[str, Any]:
    return {
        "version": plan.version,
        "product": plan.product,
        "level": plan.level,
        "tier": plan.tier,
        "contacts": plan.contacts,
        "frequency": plan.frequency,
        "seats": plan.seats,
        "addons": list(plan.addons),
        "licenses": plan.licenses,
        "limits": [[name, value] for name, value in plan.limits],
    }


class _NameTaken(Exception):
    """The account's insert lost to a concurrent transaction's (`agency_id`, `name`)."""


def _insert(uow: SqlUnitOfWork, account: Account) -> None:
    """Insert the new account before anything is charged, under a savepoint (`insert_unique`)."""
    if not uow.insert_unique(account):
        raise _NameTaken


def _start_free(account: Account, spec: FreeProduct, plan: PlanChoice, day: date) -> None:
    """A trial runs for its level's days; a sandbox never ends. Neither is charged."""
    level = spec.levels.get(plan.level or "")
    days = level.days if level and level.days else None
    account.status = "trial" if days else "active"
    account.period_end = day + timedelta(days=days) if days else rules.NEVER_ENDS
    account.price_per_cycle = Decimal("0.00")
    account.purchased_on = None


def first_charge(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, cmd: AddAccount) -> Decimal:
    """What adding this account charges today (`_start_paid`'s first cycle): 0 for a free plan.

    Lets the add-account step ask for a confirmation above the agency's large-charge amount before
    anything is charged. Expects a plan that passed `validate_choice`."""
    spec = ports.catalog.product(cmd.plan.product)
    if isinstance(spec, FreeProduct):
        return Decimal("0.00")
    migration = None
    if cmd.migration_percent is not None:
        migration = MigrationDiscount(cmd.migration_percent, max(1, cmd.migration_cycles or 1))
    day = agency_today(ports.clock, uow.agencies.get(actor.agency_id))
    count = count_active_paid(uow.session, actor.agency_id)
    return quote(ports.catalog, cmd.plan, active_paid_count=count, today=day, migration=migration).today


def _start_paid(
    uow: SqlUnitOfWork,
    ports: AccountPorts,
    actor: Actor,
    account: Account,
    cmd: AddAccount,
    *,
    day: date,
    currency: str,
) -> Invoice:
    """Price at the tier the agency had before this account, then charge its first full cycle."""
    session = uow.session
    migration = None
    if cmd.migration_percent is not None:
        migration = MigrationDiscount(cmd.migration_percent, max(1, cmd.migration_cycles or 1))
        account.migration_percent = cmd.migration_percent
        account.migration_cycles = migration.cycles
    count = count_active_paid(session, actor.agency_id)
    q = quote(ports.catalog, cmd.plan, active_paid_count=count, today=day, migration=migration)
    account.status = CREATING  # active once the vendor has created it
    account.period_end = q.period_end
    account.price_per_cycle = q.per_cycle
    account.cycles_billed = 1
    _insert(uow, account)
    invoice = charge(
        session,
        ports.gateway,
        ports.clock,
        ChargeRequest(
            agency_id=actor.agency_id,
            kind="first_cycle",
            lines=quote_lines(q),
            subtotal=q.today,
            idempotency_key=f"first_cycle:{cmd.request_key}",
            actor=actor.user_id,
            currency=currency,
            account_id=account.id,
            billing_profile_id=cmd.billing_profile_id,
            period_start=q.period_start,
            period_end=q.period_end,
            vendor=billing_vendor(ports.provider, cmd.plan.product),
        ),
    )
    if invoice.status == "failed":
        raise PaymentDeclined(
            N_("The card was declined ({reason}), so the account was not created."),
            field="profile",
            reason=invoice.failure or "",
        )
    return invoice
