"""Money moves once (SPEC §9) on a real database: with a vendor that bills the agency itself, every
charge the desk computes is recorded as an invoice billed by the vendor, with the same totals, and
no card is charged, no credit drawn; with the simulated provider nothing changes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import domain.accounts.provisioning  # noqa: F401 (registers the vendor operations' handlers)
from domain import ledger, operations
from domain.accounts.common import AccountPorts
from domain.agency import Actor
from domain.billing.charges import ChargeRequest, InvoiceLine, charge
from domain.billing.run import run_billing
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.credits import Order, offer
from domain.errors import Conflict
from domain.notices import texts
from domain.notices.sweep import sweep
from domain.roles import Role
from domain.seats.new_subscription import NewSubscription
from domain.seats.subscribe import create_subscription
from domain.seats.topup import confirm_topup
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import Account, Agency, Invoice, LedgerEntry, Notice
from domain.store.uow import SqlUnitOfWork
from domain.vendor_billing import billing_vendor, provider_for
from tests.factories import make_account, make_agency, make_profile

DAY = date(2026, 12, 10)
T = datetime(2026, 11, 1, tzinfo=UTC)


class VendorProvider(SimulatedProvider):
    """The simulated provider standing in for a vendor that bills the agency (ActiveCampaign)."""

    bills_agency = True
    vendor_name = "ActiveCampaign"
    portal_url = "https://partners.example/portal"


def _setup(sessions: sessionmaker[Session], n: int = 2, behaviour: str = "success") -> list[int]:
    """`n` accounts due on DAY (99.00 less 25%), 50 earmarked on the first and 10 general credit."""
    with sessions.begin() as s:
        agency = make_agency(s)
        profile = make_profile(s, agency, behaviour)
        ids = [make_account(s, agency, billing_profile_id=profile.id).id for _ in range(n)]
        for amount, account_id in (("50", ids[0]), ("10", None)):
            ledger.append(
                s,
                agency_id=agency.id,
                pool="prepaid",
                amount=Decimal(amount),
                kind="purchase",
                actor="test",
                at=T,
                account_id=account_id,
            )
        return ids


def _invoices(sessions: sessionmaker[Session]) -> list[Invoice]:
    with sessions() as s:
        rows = list(s.scalars(select(Invoice).order_by(Invoice.id)))
        s.expunge_all()
        return rows


def _ledger_rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(LedgerEntry)) or 0


def test_the_simulated_provider_lets_the_desk_charge() -> None:
    """The default: the built-in gateway stands in for the vendor's billing; one decision point."""
    simulated = SimulatedProvider()
    assert simulated.bills_agency is False
    assert billing_vendor(simulated, "marketing") is None
    vendor = VendorProvider()
    assert provider_for(vendor, "marketing") is vendor
    assert billing_vendor(vendor, "marketing") == "ActiveCampaign"


def test_billing_run_records_vendor_billed_invoices_once_and_charges_no_card(
    db: Any, sessions: sessionmaker[Session], gateway: SimulatedGateway, catalog: Catalog, clock: FixedClock
) -> None:
    """Two accounts due with 60 of credit: with the vendor billing, each gets one invoice of 74.25
    (the same lines as the desk's), billed by ActiveCampaign, no card charged, no credit drawn; the
    run again records nothing more; the accounts renew as usual."""
    ids = _setup(sessions)
    report = run_billing(sessions, gateway, catalog, clock, day=DAY, provider=VendorProvider())
    assert report.counts == {"charged": 2}
    assert "billed by ActiveCampaign" in report.lines[0]
    assert gateway.charges == []
    again = run_billing(sessions, gateway, catalog, clock, day=DAY, provider=VendorProvider())
    assert again.counts == {} and gateway.charges == []
    invoices = _invoices(sessions)
    assert [i.account_id for i in invoices] == ids
    for invoice in invoices:
        assert (invoice.billed_by, invoice.vendor_name, invoice.payment_method) == (
            "vendor",
            "ActiveCampaign",
            "vendor",
        )
        assert (invoice.status, invoice.total, invoice.credit_used, invoice.card_charged) == (
            "paid",
            Decimal("74.25"),
            Decimal("0.00"),
            Decimal("0.00"),
        )
        assert [line["amount"] for line in invoice.lines] == ["99.00", "-24.75"]
        assert invoice.gateway_ref is None and invoice.number.startswith("INV-2026-")
    with sessions() as s:
        agency_id = s.scalars(select(Agency.id)).one()
        assert ledger.balance(s, agency_id, "prepaid", ids[0]) == Decimal("50.00")
        assert ledger.balance(s, agency_id, "prepaid") == Decimal("10.00")  # the general pool
        account = s.get_one(Account, ids[0])
        assert (account.period_end, account.cycles_billed) == (date(2027, 1, 10), 2)
    assert _ledger_rows(sessions) == 2  # the two purchases only


def test_a_declined_card_does_not_apply_when_the_vendor_bills(
    db: Any, sessions: sessionmaker[Session], gateway: SimulatedGateway, catalog: Catalog, clock: FixedClock
) -> None:
    """The desk never charges the profile, so a card that would be declined expires nobody."""
    _setup(sessions, n=1, behaviour="declined")
    report = run_billing(sessions, gateway, catalog, clock, day=DAY, provider=VendorProvider())
    assert report.counts == {"charged": 1} and gateway.charges == []
    with sessions() as s:
        assert s.scalars(select(Account.status)).one() == "active"
        assert s.scalar(select(func.count()).select_from(Notice).where(Notice.kind == "charge_failed")) == 0


def test_the_default_provider_still_charges_the_card(
    db: Any, sessions: sessionmaker[Session], gateway: SimulatedGateway, catalog: Catalog, clock: FixedClock
) -> None:
    """Without a vendor that bills the agency: credit first, then the card, as before (one account:
    99.00 without a discount)."""
    _setup(sessions, n=1)
    run_billing(sessions, gateway, catalog, clock, day=DAY)
    (invoice,) = _invoices(sessions)
    assert (invoice.billed_by, invoice.vendor_name, invoice.payment_method) == ("desk", None, "card")
    assert (invoice.credit_used, invoice.card_charged) == (Decimal("60.00"), Decimal("39.00"))
    assert [amount for _, amount, _ in gateway.charges] == [Decimal("39.00")]


def test_dry_run_says_the_vendor_bills(
    db: Any, sessions: sessionmaker[Session], gateway: SimulatedGateway, catalog: Catalog, clock: FixedClock
) -> None:
    _setup(sessions, n=1)
    report = run_billing(sessions, gateway, catalog, clock, day=DAY, dry_run=True, provider=VendorProvider())
    assert report.counts == {"would_charge": 1}
    assert "99.00 USD" in report.lines[0] and "billed by ActiveCampaign" in report.lines[0]
    assert _invoices(sessions) == []


def _request(agency_id: int, account_id: int, key: str, vendor: str | None) -> ChargeRequest:
    return ChargeRequest(
        agency_id=agency_id,
        kind="upgrade",
        lines=(InvoiceLine("Plan", Decimal("40.00")),),
        subtotal=Decimal("40.00"),
        tax=Decimal("8.80"),
        idempotency_key=key,
        actor="U0OWNER",
        currency="USD",
        account_id=account_id,
        billing_profile_id=None,
        vendor=vendor,
    )


def test_charge_records_one_vendor_invoice_per_key_without_a_card_or_credit(
    db: Any, sessions: sessionmaker[Session], gateway: SimulatedGateway, clock: FixedClock
) -> None:
    """No billing profile is needed (the vendor bills its own); a retried key finds the invoice."""
    ids = _setup(sessions, n=1)
    with sessions() as s:
        agency_id = s.scalars(select(Agency.id)).one()
    for _ in range(2):
        with sessions.begin() as s:
            invoice = charge(s, gateway, clock, _request(agency_id, ids[0], "plan:k1", ""))
            assert (invoice.total, invoice.tax, invoice.status) == (Decimal("48.80"), Decimal("8.80"), "paid")
            assert (invoice.billed_by, invoice.vendor_name, invoice.credit_used) == ("vendor", None, 0)
    assert len(_invoices(sessions)) == 1 and gateway.charges == []
    assert _ledger_rows(sessions) == 2


def test_renewal_notices_and_the_digest_say_the_vendor_bills(
    db: Any, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """A renewal within the lead days: its notice and the weekly digest name the vendor, draw no
    credit and leave the card totals (and the low-balance shortfall) at zero."""
    _setup(sessions, n=1)
    with sessions.begin() as s:
        agency = s.scalars(select(Agency)).one()
        sweep(
            s,
            catalog,
            agency,
            date(2026, 12, 7),
            datetime(2026, 12, 7, 9, tzinfo=UTC),
            provider=VendorProvider(),
        )
    with sessions() as s:
        notices = {n.kind: n.payload for n in s.scalars(select(Notice))}
    renewal = notices["renewal_coming"]
    assert renewal["vendor"] == "ActiveCampaign" and renewal["amount"] == "99.00"
    assert (renewal["from_credit"], renewal["from_card"]) == ("0.00", "0.00")
    text = texts.item("renewal_coming", "acct", date(2026, 12, 7), renewal)
    assert (
        text.message == "*{account}* renews on {date}: {vendor} will bill {amount} (nothing is charged here)."
    )
    assert text.params["vendor"] == "ActiveCampaign"
    digest = notices["billing_digest"]
    (line,) = digest["profiles"][0]["lines"]
    assert line["vendor"] == "ActiveCampaign" and texts.digest_line(line).params["vendor"] == "ActiveCampaign"
    assert (digest["from_credit"], digest["from_card"], digest["from_vendor"]) == ("0.00", "0.00", "99.00")
    assert notices["low_balance"]["shortfall"] == "0.00"  # under the threshold, but nothing to cover


def test_credit_purchases_are_refused_when_the_vendor_bills(
    db: Any, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """`/credits buy` would charge a card itself: refused, saying where to buy; allowed otherwise."""
    _setup(sessions, n=1)
    with SqlUnitOfWork(sessions) as uow:
        agency_id = uow.session.scalars(select(Agency.id)).one()
        actor = Actor(agency_id, "U0OWNER", Role.OWNER)
        order = Order("prepaid", Decimal("100"), None, None)
        with pytest.raises(Conflict) as refused:
            offer(uow, catalog, actor, "USD", order, provider=VendorProvider())
        assert refused.value.params["vendor"] == "ActiveCampaign"
        assert "partners.example/portal" in str(refused.value)
        assert offer(uow, catalog, actor, "USD", order, provider=SimulatedProvider()).price > 0


def test_seats_subscription_and_top_up_are_billed_by_the_vendor_once(
    db: Any, sessions: sessionmaker[Session], gateway: SimulatedGateway, catalog: Catalog, clock: FixedClock
) -> None:
    """A per-seat subscription (518.40 with French VAT, as the desk charges it) and a top-up, each
    submitted twice, even by bank transfer: one vendor-billed invoice each, no card, no credit."""
    vendor = VendorProvider()
    with sessions.begin() as s:
        agency = make_agency(s)
        profile = make_profile(s, agency, "declined")
        make_account(s, agency)
    actor = Actor(agency.id, "U0OWNER", Role.OWNER)
    data = NewSubscription(
        customer_name="Ana Lima",
        email="ana@acme.example",
        company="Acme SARL",
        country="fr",
        vat_number=None,
        licenses=3,
        frequency="annual",
        payment_method="transfer",
        billing_profile_id=profile.id,
        nonce="new-1",
    )
    for _ in range(2):
        with SqlUnitOfWork(sessions) as uow:
            created = create_subscription(uow, catalog, clock, vendor, gateway, actor=actor, data=data)
    assert (created.invoice_status, created.total, created.credit_used) == ("paid", "518.40", "0.00")
    assert (created.payment_method, created.vendor) == ("vendor", "ActiveCampaign")
    ports = AccountPorts(clock=clock, catalog=catalog, provider=vendor, gateway=gateway)
    assert created.operation_id is not None
    operations.run(sessions, ports, created.operation_id)  # the vendor creates it, after the ack
    for _ in range(2):
        with SqlUnitOfWork(sessions) as uow:
            bought = confirm_topup(
                uow,
                catalog,
                clock,
                gateway,
                actor,
                name=created.account,
                extra=1,
                nonce="t1",
                provider=vendor,
            )
    assert bought.invoice_status == "paid" and bought.total_after == 4
    invoices = _invoices(sessions)
    assert [(i.kind, i.billed_by, i.card_charged) for i in invoices] == [
        ("first_cycle", "vendor", Decimal("0.00")),
        ("topup", "vendor", Decimal("0.00")),
    ]
    assert invoices[1].total == Decimal(bought.total) > 0
    assert gateway.charges == []
