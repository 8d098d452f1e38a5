"""Money moves once (SPEC §9) over signed HTTP: with a provider whose vendor bills the agency (a
SimulatedProvider double with `bills_agency`), adding an account, changing its plan, renewing it by
hand and in the billing run record one invoice each, billed by the vendor with the quoted totals, and
the gateway records no charge; history, the invoice card, notices, App Home and `/credits buy` say so."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.daily import run_jobs
from bot.operations import drain_all
from bot.settings import Settings
from domain.catalog import Catalog
from domain.portfolio import plan_choice_of
from domain.pricing import quote
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import Account, Agency, Invoice
from tests.e2e.test_accounts_edit_http import initial_values
from tests.e2e.test_accounts_http import add_values, agency_with_profile
from tests.e2e.test_seats_http import _buttons, _seat_account
from tests.factories import NOW, make_account
from tests.slackhttp import SlackHttp, payload_text
from tests.slackhttp import select as pick


class VendorProvider(SimulatedProvider):
    """The simulated provider standing in for a vendor that bills the agency (ActiveCampaign)."""

    bills_agency = True
    vendor_name = "ActiveCampaign"


@pytest.fixture
def provider() -> SimulatedProvider:
    return VendorProvider()


def _invoices(sessions: sessionmaker[Session]) -> list[Invoice]:
    with sessions() as s:
        rows = list(s.scalars(select(Invoice).order_by(Invoice.id)))
        s.expunge_all()
        return rows


def _account(sessions: sessionmaker[Session], name: str) -> Account:
    with sessions() as s:
        found = s.scalars(select(Account).where(Account.name == name)).one()
        s.expunge(found)
        return found


def _home(http: SlackHttp) -> str:
    body = {
        "type": "event_callback",
        "team_id": "T0TEST",
        "api_app_id": "A0TEST",
        "event": {"type": "app_home_opened", "user": "U0OWNER", "tab": "home"},
        "event_id": "EvVendor",
        "event_time": int(time.time()),
    }
    http.post(json.dumps(body), content_type="application/json")
    return json.dumps(http.slack.of("views.publish")[-1].params)


def test_add_change_and_renew_are_billed_by_the_vendor_once_and_no_card_is_charged(
    http: SlackHttp,
    sessions: sessionmaker[Session],
    settings: Settings,
    gateway: SimulatedGateway,
    provider: SimulatedProvider,
    catalog: Catalog,
) -> None:
    _, profile_id = agency_with_profile(http, sessions)
    values = add_values(profile_id)
    http.command("/accounts", "add")
    view = http.opened_view()
    assert "ActiveCampaign bills this billing profile itself" in json.dumps(view)
    reply = http.submit(view, values)
    shown = payload_text(reply.body["view"])
    assert "billed by ActiveCampaign (no card charged here)" in shown
    assert "by card" not in shown
    assert drain_all(10)  # the vendor has created it (after the ack) before Slack's retry arrives
    again = http.submit(view, values)  # Slack retries the submission: one account, one invoice
    assert "already created" in json.dumps(again.body)
    (first,) = _invoices(sessions)
    account = _account(sessions, "acme-shop")
    plan = quote(catalog, plan_choice_of(account), active_paid_count=0, today=NOW.date())
    assert (first.kind, first.billed_by, first.vendor_name, first.payment_method) == (
        "first_cycle",
        "vendor",
        "ActiveCampaign",
        "vendor",
    )
    assert (first.status, first.subtotal, first.credit_used, first.card_charged) == (
        "paid",
        plan.today,
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert sum(Decimal(line["amount"]) for line in first.lines) == first.subtotal

    http.command("/accounts", "edit acme-shop")
    edit = http.opened_view()
    changed = initial_values(edit)
    changed["plan_tier"] = pick("professional")
    confirm = http.submit(edit, changed)
    assert confirm.body["response_action"] == "update"
    assert "ActiveCampaign bills $" in payload_text(confirm.body["view"])
    assert http.submit(confirm.body["view"], {}).body.get("response_action") is None
    http.submit(confirm.body["view"], {})  # submitted again (a retry): nothing more is recorded
    assert [i.kind for i in _invoices(sessions)] == ["first_cycle", "upgrade"]
    upgrade = _invoices(sessions)[-1]
    assert (upgrade.kind, upgrade.billed_by, upgrade.card_charged) == ("upgrade", "vendor", Decimal("0.00"))
    assert upgrade.total > 0

    renewal_day = _account(sessions, "acme-shop").period_end
    for _ in range(2):  # the job run twice records one renewal
        run_jobs(settings, "billing", day=renewal_day, provider=provider)
    invoices = _invoices(sessions)
    assert [i.kind for i in invoices] == ["first_cycle", "upgrade", "renewal"]
    assert all(i.billed_by == "vendor" and i.vendor_name == "ActiveCampaign" for i in invoices)
    assert invoices[-1].total == _account(sessions, "acme-shop").price_per_cycle
    assert gateway.charges == []

    history = http.command("/billing", "history").text
    assert history.count("billed by ActiveCampaign") == 3
    card = http.command("/billing", f"invoice {invoices[-1].number}").text
    assert "ActiveCampaign, to its billing profile (no card charged here)" in card
    assert "On the card" not in card
    mark = http.slack.mark()  # the account card's "Billing history" menu
    option = {"text": {"type": "plain_text", "text": "Billing history"}, "value": "billing:acme-shop"}
    http.click("accounts_menu", type="overflow", selected_option=option)
    said = "\n".join(payload_text(dict(c.params)) for c in http.slack.since(mark))
    assert "Billing history of acme-shop" in said and said.count("billed by ActiveCampaign") == 3


def test_renewing_by_hand_says_the_vendor_bills(
    http: SlackHttp, sessions: sessionmaker[Session], gateway: SimulatedGateway
) -> None:
    """An expired account renewed from its card: one invoice billed by the vendor, no card."""
    _, profile_id = agency_with_profile(http, sessions)
    with sessions.begin() as s:
        agency = s.scalars(select(Agency)).one()
        make_account(
            s, agency, name="lapsed", status="expired", period_end=NOW.date(), billing_profile_id=profile_id
        )
    card = http.command("/accounts", "renew lapsed").body
    assert "ActiveCampaign bills this renewal" in payload_text(card)
    confirm = next(
        e["value"]
        for b in card["blocks"]
        for e in b.get("elements") or []
        if isinstance(e, dict) and e.get("action_id") == "accounts_renew_confirm"
    )
    mark = http.slack.mark()
    http.click("accounts_renew_confirm", confirm)
    said = "\n".join(payload_text(dict(c.params)) for c in http.slack.since(mark))
    assert "lapsed renewed until" in said and "billed by ActiveCampaign" in said and "by card" not in said
    http.click("accounts_renew_confirm", confirm)  # a second click records nothing more
    (invoice,) = _invoices(sessions)
    assert (invoice.kind, invoice.billed_by, invoice.total) == ("renewal", "vendor", Decimal("99.00"))
    assert gateway.charges == []


def test_notices_home_and_credit_purchases_say_the_vendor_bills(
    desk: tuple[SlackHttp, dict[str, Any]], sessions: sessionmaker[Session]
) -> None:
    http, extras = desk
    _, profile_id = agency_with_profile(http, sessions)
    with sessions.begin() as s:
        agency = s.scalars(select(Agency)).one()
        agency.notice_channel = "C0NOTICES"
        make_account(
            s, agency, name="soon", period_end=NOW.date() + timedelta(days=3), billing_profile_id=profile_id
        )
    assert "soon* \\u00b7 $99.00 \\u00b7 billed by ActiveCampaign" in _home(http)
    http.command("/agency", "notices run")
    for worker in extras.get("notice_runs", []):
        worker.join(10)
    posted = "\n".join(payload_text(dict(c.params)) for c in http.slack.of("chat.postMessage"))
    assert (
        "*soon* renews on Nov 28, 2026: ActiveCampaign will bill $99.00 (nothing is charged here)." in posted
    )
    assert "from the card" not in posted
    refused = http.command("/credits", "buy prepaid 100").text
    assert "ActiveCampaign bills the agency itself, so credits are not sold here" in refused


def test_default_provider_is_unchanged(
    http: SlackHttp,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    provider: SimulatedProvider,
) -> None:
    """With `bills_agency` False (the simulated provider's), adding charges the card as before."""
    provider.bills_agency = False
    _, profile_id = agency_with_profile(http, sessions)
    http.command("/accounts", "add")
    reply = http.submit(http.opened_view(), add_values(profile_id))
    assert "by card" in payload_text(reply.body["view"])
    (invoice,) = _invoices(sessions)
    assert (invoice.billed_by, invoice.vendor_name) == ("desk", None)
    assert [amount for _, amount, _ in gateway.charges] == [invoice.card_charged]
    assert "billed by" not in http.command("/billing", "history").text


def test_seat_top_up_double_click_is_one_vendor_invoice(
    http: SlackHttp, sessions: sessionmaker[Session], provider: SimulatedProvider, gateway: SimulatedGateway
) -> None:
    """`/seats buy`: the card says the vendor bills the amount; two clicks, one invoice, no card."""
    name = _seat_account(sessions, provider, licenses=2)
    card = http.command("/seats", f"buy {name} 1")
    assert "ActiveCampaign bills $144.00 itself: nothing is drawn or charged here." in card.text
    value = _buttons(card.body)["seats_buy_confirm"]
    http.click("seats_buy_confirm", value)
    http.click("seats_buy_confirm", value)
    (invoice,) = _invoices(sessions)
    assert (invoice.kind, invoice.billed_by, invoice.total) == ("topup", "vendor", Decimal("144.00"))
    assert gateway.charges == [] and _account(sessions, name).seats == 3
