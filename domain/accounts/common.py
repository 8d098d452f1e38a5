"""What the account services share: their ports, an account's audit snapshot, and charge lines."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from domain.billing.charges import InvoiceLine
from domain.catalog import Catalog
from domain.clock import Clock, today
from domain.ports import Capability, PaymentGateway, Provider
from domain.quotes import Quote
from domain.store.models import Account, Agency
from domain.store.uow import SqlUnitOfWork
from domain.vendors import tasks
from domain.vendors.tasks import choose

AUDITED = (
    "status",
    "pricing_version",
    "product",
    "tier",
    "contacts",
    "seats",
    "addons",
    "frequency",
    "period_end",
    "notification_email",
    "billing_profile_id",
    "price_per_cycle",
    "pending_change",
    "custom_domain",
    "branding",
    "login_message",
)


@dataclass(frozen=True)
class AccountPorts:
    """The outside world an account service needs; the bot builds it from its Deps."""

    clock: Clock
    catalog: Catalog
    provider: Provider
    gateway: PaymentGateway
    providers: Mapping[str, Provider] = field(default_factory=dict)
    """Other configured providers by `RESELLER_PROVIDER` name, for products the catalog gives one."""

    def provider_for(self, product: str | None) -> Provider:
        """The provider serving `product` (SPEC §9: per product in the catalog), else the default."""
        return choose(self.provider, self.providers, self.catalog.provider_of(product))


def via_vendor(
    uow: SqlUnitOfWork,
    ports: AccountPorts,
    actor: str,
    account: Account,
    capability: Capability | tuple[Capability, ...],
    *,
    values: dict[str, Any],
    call: Callable[[Provider, str], object],
    product: str | None = None,
) -> tasks.Routed:
    """One provider action on an account: `call(provider, reference)` when the account's vendor offers
    it through its API, else a portal task with `values` (SPEC §9). `product` is the account's
    product before this change (it picks the vendor) when the change moves it."""
    provider = ports.provider_for(product or account.product)
    reference = account.provider_ref
    return tasks.run_or_task(
        uow,
        uow.session,
        ports.clock,
        provider,
        capability=capability,
        account=account,
        values=values,
        actor=actor,
        call=(lambda: call(provider, reference)) if reference else None,
    )


def facts(account: Account, keys: tuple[str, ...] = AUDITED) -> dict[str, Any]:
    """The audited fields as JSON-safe values, for before/after in the audit log."""
    out: dict[str, Any] = {}
    for key in keys:
        value = getattr(account, key)
        if isinstance(value, Decimal | date):
            value = str(value)
        out[key] = value
    return out


def agency_today(clock: Clock, agency: Agency) -> date:
    return today(clock, agency.timezone or "UTC")


def quote_lines(q: Quote) -> tuple[InvoiceLine, ...]:
    """The invoice shows the same lines the quote showed: list value and each discount."""
    kinds = ("plan_value", "migration_discount", "reseller_discount")
    return tuple(
        InvoiceLine(line.label, line.amount, dict(line.params))
        for line in q.lines
        if line.kind in kinds and line.amount is not None
    )


ALPHABET = string.ascii_letters + string.digits + "!#%+-=?@_"


def strong_password(length: int = 20) -> str:
    """A password with every character class, from `secrets`; it is never stored, logged or posted."""
    while True:
        candidate = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(not c.isalnum() for c in candidate)
        ):
            return candidate
