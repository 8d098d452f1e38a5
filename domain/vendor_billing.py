"""Money moves once (SPEC §9): who bills an account's charges, the desk or the vendor.

With a vendor that bills the agency itself (ActiveCampaign bills the billing profile passed as
`profile` when the account is created), the desk never charges a card: every charge it computes for
such an account (first cycle, renewal, plan change, licenses) is recorded as an invoice *billed by
the vendor*, with the same lines, taxes and totals, so history, margins, notices and digests stay
whole. Such an invoice:
- calls no payment gateway and draws no prepaid credit of the desk (the vendor bills the whole
  amount to its own billing profile; the desk's credit stays for the accounts it bills itself);
- is recorded `paid` at once (declines and retries happen at the vendor, never in the desk);
- keeps its idempotency key, so a retried request records one invoice.
With the simulated provider (`bills_agency` False) the built-in gateway stands in for the vendor's
billing and nothing changes.

`provider_for` is the one place that picks an account's provider: at merge it becomes the catalog's
per-product choice (`provider_for(product)`); until then every product has the default provider.
"""

from __future__ import annotations

from domain.errors import Conflict
from domain.i18n import N_, Word
from domain.ports import Provider
from domain.store.models import Invoice

DESK = "desk"
VENDOR = "vendor"


def provider_for(default: Provider, product: str | None) -> Provider:
    """The provider serving accounts of `product` (the decision point swapped at merge)."""
    return default


def billing_vendor(default: Provider, product: str | None) -> str | None:
    """Who bills the charges of an account of `product`: the vendor's name (maybe empty) when its
    provider bills the agency itself, None when the desk charges them (credit, then the card)."""
    provider = provider_for(default, product)
    return provider.vendor_name if provider.bills_agency else None


def refuse_credit_purchase(default: Provider) -> None:
    """`/credits buy` with a vendor that bills the agency is refused (SPEC §9 "Money moves once"):
    the desk would charge a card itself, and credit of the desk would pay nothing (the vendor bills
    every charge of its accounts); the vendor's own credits are bought in its partner portal."""
    if default.bills_agency:
        raise Conflict(
            N_(
                "{vendor} bills the agency itself, so credits are not sold here: "
                "buy them in the vendor's partner portal{portal}."
            ),
            field="credits",
            vendor=vendor_label(default.vendor_name),
            portal=f" ({default.portal_url})" if default.portal_url else "",
        )


def vendor_label(name: str | None) -> str:
    """The vendor's name for a sentence; a Word ("the vendor", translated) when it has none."""
    return name or Word(N_("the vendor"))


def invoice_vendor(invoice: Invoice | None) -> str | None:
    """The vendor's name (maybe empty) when `invoice` was billed by the vendor, else None."""
    if invoice is None or invoice.billed_by != VENDOR:
        return None
    return invoice.vendor_name or ""
