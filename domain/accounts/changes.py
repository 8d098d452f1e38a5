"""Changing an account through Edit: plan (upgrade now, downgrade at renewal), trial conversion,
contact details, billing profile, cancel, disable and enable (SPEC §3-4).

Plan changes are priced by the same `quote` the confirm step showed, so what is charged today is to
the cent what the person confirmed; the charge's key comes from the confirm step's pending-confirmation id.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from domain import audit
from domain.accounts import rules
from domain.accounts.common import AccountPorts, agency_today, facts, quote_lines, via_vendor
from domain.accounts.queries import by_name
from domain.accounts.service import plan_json, set_plan
from domain.agency import Actor
from domain.billing.charges import ChargeRequest, active_profile, charge, find_invoice
from domain.catalog import FreeProduct
from domain.errors import Conflict, InvalidInput, PaymentDeclined
from domain.i18n import N_, Word
from domain.plans import PlanChoice
from domain.portfolio import count_active_paid, current_plan_of, migration_of, plan_choice_of
from domain.ports import Capability
from domain.pricing import Quote, quote
from domain.roles import Permission
from domain.store.models import Account
from domain.store.uow import SqlUnitOfWork
from domain.vendor_billing import billing_vendor


@dataclass(frozen=True)
class PlanChanged:
    name: str
    effect: str
    """now, at_renewal, or converted (a trial that became a paid account)."""
    charged: Decimal
    invoice_number: str | None
    effective_on: date


def _quote_change(uow: SqlUnitOfWork, ports: AccountPorts, account: Account, choice: PlanChoice) -> Quote:
    if account.is_commission:
        raise Conflict(N_("Commission accounts are managed by the client with the provider."))
    if account.pricing_version == "V1" and account.tier == "sandbox":
        raise Conflict(
            N_("A sandbox is the agency's test account and cannot be converted to a paid account."),
            field="plan_product",
        )
    if isinstance(ports.catalog.product(choice.product), FreeProduct):
        raise InvalidInput(
            N_("Choose a paid (V3) plan: free levels cannot be chosen here."), field="plan_product"
        )
    if account.status not in ("trial", "active", "disabled"):
        raise Conflict(
            N_("A {status} account's plan cannot change: renew it first."), status=Word(account.status)
        )
    day = agency_today(ports.clock, uow.agencies.get(account.agency_id))
    if account.plan_to_confirm:
        return _confirming(uow, ports, account, choice, day)
    if choice == plan_choice_of(account):
        raise Conflict(N_("That is already the account's plan: nothing to change."), field="plan_product")
    count = count_active_paid(uow.session, account.agency_id, excluding=account.id)
    if account.status == "trial":
        return quote(ports.catalog, choice, active_paid_count=count, today=day)
    count = count_active_paid(uow.session, account.agency_id)
    return quote(
        ports.catalog,
        choice,
        active_paid_count=count,
        today=day,
        current=current_plan_of(account),
        migration=migration_of(account),
        discount_eligible=account.discount_eligible,
    )


def preview_plan_change(
    uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str, choice: PlanChoice
) -> Quote:
    actor.require(Permission.READ)
    return _quote_change(uow, ports, by_name(uow.session, actor.agency_id, name), choice)


def change_plan(
    uow: SqlUnitOfWork,
    ports: AccountPorts,
    actor: Actor,
    name: str,
    choice: PlanChoice,
    *,
    request_key: str,
    reason: str | None = None,
) -> PlanChanged:
    """Upgrade now (prorated charge), downgrade or change frequency at renewal, or convert a trial."""
    actor.require(Permission.SPEND_MONEY)
    session = uow.session
    account = by_name(session, actor.agency_id, name, for_update=True)
    key = f"plan:{request_key}"
    done = find_invoice(session, actor.agency_id, key)
    if done is not None and done.status != "failed":
        return PlanChanged(account.name, "now", done.total, done.number, account.period_start)
    q = _quote_change(uow, ports, account, choice)
    before = facts(account)
    agency = uow.agencies.get(actor.agency_id)
    if account.plan_to_confirm:
        return _confirm_plan(uow, ports, actor, account, choice=choice, q=q, before=before)
    if q.effect == "at_renewal":
        account.pending_change = {"plan": plan_json(choice), "effective": q.renewal.isoformat()}
        _audit(
            uow,
            ports,
            actor,
            account,
            "account.plan_scheduled",
            before=before,
            reason=rules.clean_reason(reason),
        )
        uow.commit()
        return PlanChanged(account.name, "at_renewal", Decimal("0.00"), None, q.renewal)
    converting = account.status == "trial"
    product = account.product
    active_profile(session, actor.agency_id, account.billing_profile_id)
    invoice = None
    if q.today > 0:
        invoice = charge(
            session,
            ports.gateway,
            ports.clock,
            ChargeRequest(
                agency_id=actor.agency_id,
                kind="first_cycle" if converting else "upgrade",
                lines=quote_lines(q),
                subtotal=q.today,
                idempotency_key=key,
                actor=actor.user_id,
                currency=agency.currency,
                account_id=account.id,
                billing_profile_id=account.billing_profile_id,
                period_start=q.period_start,
                period_end=q.period_end,
                vendor=billing_vendor(ports.provider, choice.product),
            ),
        )
        if invoice.status == "failed":
            raise PaymentDeclined(
                N_("The card was declined ({reason}): nothing changed."), reason=invoice.failure or ""
            )
    set_plan(account, choice)
    account.price_per_cycle = q.per_cycle
    account.pending_change = None
    if converting:
        day = q.period_start
        account.status = "active"
        account.status_changed_at = ports.clock.now()
        account.purchased_on = day
        account.renewal_day = day.day
        account.period_start, account.period_end = q.period_start, q.period_end
        account.cycles_billed = 1
    sent: dict[str, Any] = {"plan": plan_json(choice), "status": account.status}
    via_vendor(
        uow,
        ports,
        actor.user_id,
        account,
        (Capability.PLAN, Capability.STATUS) if converting else Capability.PLAN,
        values=sent if converting else {"plan": sent["plan"]},
        call=lambda provider, ref: provider.update(ref, sent),
        product=product,
    )
    action = "account.converted" if converting else "account.upgraded"
    _audit(
        uow,
        ports,
        actor,
        account,
        action,
        before=before,
        reason=reason,
        invoice=invoice.number if invoice else None,
    )
    uow.commit()
    return PlanChanged(
        account.name,
        "converted" if converting else "now",
        invoice.total if invoice else Decimal("0.00"),
        invoice.number if invoice else None,
        q.period_start if converting else agency_today(ports.clock, agency),
    )


def _confirming(
    uow: SqlUnitOfWork, ports: AccountPorts, account: Account, choice: PlanChoice, day: date
) -> Quote:
    """An imported account's plan, set for the first time (`domain.portfolio_import`): nothing is
    charged now; the plan is billed from the end of the current period, like a scheduled change."""
    count = count_active_paid(uow.session, account.agency_id)
    q = quote(ports.catalog, choice, active_paid_count=count, today=day)
    zero = Decimal("0.00")
    return replace(q, effect="at_renewal", today=zero, total_today=zero, renewal=account.period_end)


def _confirm_plan(
    uow: SqlUnitOfWork,
    ports: AccountPorts,
    actor: Actor,
    account: Account,
    *,
    choice: PlanChoice,
    q: Quote,
    before: dict[str, object],
) -> PlanChanged:
    set_plan(account, choice)
    account.plan_to_confirm = False
    account.price_per_cycle = q.per_cycle
    account.pending_change = None
    if choice.months != 1:  # the period was counted in months until the plan was known
        from domain.periods import current_period

        anchor = account.purchased_on or account.period_start
        day = agency_today(ports.clock, uow.agencies.get(account.agency_id))
        period = current_period(anchor, day, choice.months)
        account.period_start, account.period_end = period.start, period.end
    _audit(uow, ports, actor, account, "account.plan_confirmed", before=before)
    uow.commit()
    return PlanChanged(account.name, "at_renewal", Decimal("0.00"), None, account.period_end)


def _audit(
    uow: SqlUnitOfWork,
    ports: AccountPorts,
    actor: Actor,
    account: Account,
    action: str,
    *,
    before: dict[str, object],
    reason: str | None = None,
    invoice: str | None = None,
) -> None:
    after = facts(account)
    if invoice:
        after["invoice"] = invoice
    audit.record(
        uow,
        ports.clock,
        agency_id=account.agency_id,
        actor=actor.user_id,
        action=action,
        target=account.name,
        before={k: v for k, v in before.items() if after.get(k) != v},
        after={k: v for k, v in after.items() if before.get(k) != v},
        reason=reason,
    )


def set_notification_email(
    uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str, email: str
) -> Account:
    actor.require(Permission.MANAGE_ACCOUNTS)
    account = by_name(uow.session, actor.agency_id, name)
    clean = rules.clean_email(email, field="notification_email")
    if clean == account.notification_email:
        return account
    before = facts(account)
    account.notification_email = clean
    via_vendor(
        uow,
        ports,
        actor.user_id,
        account,
        Capability.NOTIFICATION_EMAIL,
        values={"notification_email": clean},
        call=lambda provider, ref: provider.update(ref, {"notification_email": clean}),
    )
    _audit(uow, ports, actor, account, "account.notification_email_changed", before=before)
    uow.commit()
    return account


def set_billing_profile(
    uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str, profile_id: int | None
) -> Account:
    actor.require(Permission.SPEND_MONEY)
    account = by_name(uow.session, actor.agency_id, name)
    if profile_id == account.billing_profile_id:
        return account
    active_profile(uow.session, actor.agency_id, profile_id)
    before = facts(account)
    account.billing_profile_id = profile_id
    _audit(uow, ports, actor, account, "account.billing_profile_changed", before=before)
    uow.commit()
    return account


def cancel(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str, reason: str | None) -> Account:
    """Cancelled accounts stay usable until the end of the paid period; the daily job expires them."""
    account = by_name(uow.session, actor.agency_id, name, for_update=True)
    clean = check_cancel(actor, account, reason)
    return _move(uow, ports, actor, account, "cancelled", reason=clean)


def check_cancel(actor: Actor, account: Account, reason: str | None) -> str:
    """Every refusal a cancel would meet, without writing: the reason to keep, or an error."""
    actor.require(Permission.SPEND_MONEY)
    if account.pricing_version != "V3":
        raise Conflict(N_("Trials end by themselves and sandboxes are never cancelled."), field="status")
    rules.require_move(account.status, "cancelled")
    return rules.clean_reason(reason)


def disable(
    uow: SqlUnitOfWork,
    ports: AccountPorts,
    actor: Actor,
    name: str,
    *,
    reason: str | None,
    login_message: str | None,
) -> Account:
    """Disabled accounts are still billed; the client sees `login_message` on the login page."""
    account = by_name(uow.session, actor.agency_id, name, for_update=True)
    clean = check_disable(actor, account, reason)
    message = (login_message or "").strip()[:300] or None
    return _move(uow, ports, actor, account, "disabled", reason=clean, login_message=message)


def check_disable(actor: Actor, account: Account, reason: str | None) -> str:
    actor.require(Permission.MANAGE_ACCOUNTS)
    rules.require_move(account.status, "disabled")
    return rules.clean_reason(reason)


def enable(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str) -> Account:
    account = by_name(uow.session, actor.agency_id, name, for_update=True)
    check_enable(actor, account)
    return _move(uow, ports, actor, account, "active")


def check_enable(actor: Actor, account: Account) -> None:
    actor.require(Permission.MANAGE_ACCOUNTS)
    if account.status != "disabled":
        raise Conflict(
            N_("Only a disabled account can be enabled; this one is {status}."),
            field="status",
            status=Word(account.status),
        )


def _move(
    uow: SqlUnitOfWork,
    ports: AccountPorts,
    actor: Actor,
    account: Account,
    status: str,
    *,
    reason: str | None = None,
    login_message: str | None = None,
) -> Account:
    before = facts(account)
    account.status = status
    account.status_reason = reason
    account.status_changed_at = ports.clock.now()
    account.login_message = login_message
    sent = {"status": status, "login_message": login_message}
    via_vendor(
        uow,
        ports,
        actor.user_id,
        account,
        Capability.STATUS,
        values={k: v for k, v in sent.items() if v is not None},
        call=lambda provider, ref: provider.update(ref, sent),
    )
    action = "account.enabled" if status == "active" else f"account.{status}"
    _audit(uow, ports, actor, account, action, before=before, reason=reason)
    uow.commit()
    return account
