"""`/seats` over signed HTTP, through the real Bolt app, with Slack's Web API played locally."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.operations import drain_all
from bot.shell.localslack import LocalSlack
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import Account, Agency, Invoice, SeatMember
from tests.factories import make_account, make_agency, make_profile
from tests.slackhttp import SlackHttp, text_input
from tests.slackhttp import select as pick


def _seat_account(sessions: sessionmaker[Session], provider: SimulatedProvider, licenses: int) -> str:
    with sessions() as session:
        agency = make_agency(session)
        profile = make_profile(session, agency)
        account = make_account(
            session,
            agency,
            product="business-licenses",
            tier="licenses",
            contacts=None,
            seats=licenses,
            frequency="annual",
            period_end=date(2027, 11, 10),
            billing_profile_id=profile.id,
            provider_ref="acc_e2e",
            vat_number="FR40303265045",
        )
        session.commit()
    provider.accounts["acc_e2e"] = {"name": account.name, "members": []}
    return account.name


def set_agency_email(db: Engine, email: str = "ops@agency.example") -> None:
    """The agency's notification email, as `/agency settings` sets it (new accounts get it)."""
    with Session(db) as session:
        session.execute(update(Agency).values(notification_email=email))
        session.commit()


def _buttons(body: dict[str, Any]) -> dict[str, str]:
    return {
        element["action_id"]: element.get("value", "")
        for block in body.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
    }


def test_seats_new_modal_quotes_then_creates_the_subscription(http: SlackHttp, db: Engine) -> None:
    """The form shows the quote first; paying creates the per-seat account and its invoice once."""
    assert http.command("/seats", "new").status == 200
    set_agency_email(db)
    view = http.opened_view()
    assert view["callback_id"] == "seats_new"
    form = {
        "customer_name": text_input("Ana Lima"),
        "email": text_input("ana@acme.example"),
        "company": text_input("Acme SARL"),
        "country": text_input("FR"),
        "vat": text_input("FR40303265045"),
        "licenses": {"type": "number_input", "value": "4"},
        "frequency": pick("12"),
        "profile": pick("transfer"),
    }
    quoted = http.submit(view, form)
    assert quoted.body["response_action"] == "update"
    confirm = quoted.body["view"]
    text = str(confirm)
    assert "reseller discount" in text and "reverse charge" in text and "$576.00" in text
    for _ in range(2):  # a retried submission creates nothing more
        done = http.submit(confirm, {})
        assert done.body["response_action"] == "update" and "acme-sarl" in str(done.body["view"])
    assert drain_all(30)  # the vendor provisions it after the answer
    with Session(db) as session:
        account = session.scalars(select(Account)).one()
        assert account.status == "active" and account.provider_ref
        assert (account.name, account.tier, account.seats, account.payment_method) == (
            "acme-sarl",
            "licenses",
            4,
            "transfer",
        )
        invoice = session.scalars(select(Invoice)).one()
        assert (invoice.kind, invoice.status) == ("first_cycle", "awaiting_transfer")
    assert "Licenses" in http.command("/seats", "acme-sarl").text


def test_invalid_vat_number_is_shown_on_its_field(http: SlackHttp) -> None:
    """A VAT number with a wrong check digit is refused on the VAT field, with the reason."""
    http.command("/seats", "new")
    reply = http.submit(
        http.opened_view(),
        {
            "customer_name": text_input("Ana"),
            "email": text_input("ana@acme.example"),
            "company": text_input("Acme"),
            "country": text_input("FR"),
            "vat": text_input("FR40303265046"),
            "licenses": {"type": "number_input", "value": "2"},
            "frequency": pick("1"),
            "profile": pick("transfer"),
        },
    )
    assert reply.body["response_action"] == "errors" and "check digits" in reply.body["errors"]["vat"]


def test_add_over_capacity_is_refused_with_free_count_and_buy_button(
    http: SlackHttp, sessions: sessionmaker[Session], provider: SimulatedProvider, db: Engine
) -> None:
    """Three new members for two free licenses: none added, the free count, a Buy licenses button."""
    name = _seat_account(sessions, provider, licenses=2)
    reply = http.command("/seats", f"add {name} a@x.io b@x.io c@x.io")
    assert "2 free licenses and you asked for" in reply.text and "none were added" in reply.text
    assert _buttons(reply.body)["seats_buy_open"] == f"{name}|1"
    with Session(db) as session:
        assert session.scalar(select(func.count()).select_from(SeatMember)) == 0
    ok = http.command("/seats", f"add {name} a@x.io A@X.io b@x.io")
    assert "Invited" in ok.text and "0 free licenses left" in ok.text


def test_buy_confirm_double_click_is_one_charge(
    http: SlackHttp,
    sessions: sessionmaker[Session],
    provider: SimulatedProvider,
    gateway: SimulatedGateway,
    slack: LocalSlack,
    db: Engine,
) -> None:
    """The confirm card's nonce makes two clicks one charge and one license increase."""
    name = _seat_account(sessions, provider, licenses=2)
    card = http.command("/seats", f"buy {name} 1")
    assert "Top-up today: 1 license × 12 months" in card.text
    value = _buttons(card.body)["seats_buy_confirm"]
    http.click("seats_buy_confirm", value)
    http.click("seats_buy_confirm", value)
    assert len(gateway.charges) == 1
    replies = [c.params["text"] for c in slack.of("response_url")]
    assert len(replies) == 2 and all("3 in all" in text for text in replies)
    with Session(db) as session:
        assert session.scalars(select(Account.seats)).one() == 3


def test_viewer_cannot_buy_licenses(
    http: SlackHttp, sessions: sessionmaker[Session], provider: SimulatedProvider
) -> None:
    """Buying is money: a viewer is refused and told why."""
    name = _seat_account(sessions, provider, licenses=2)
    http.command("/agency", "members add U0VIEW viewer")
    assert "does not allow" in http.command("/seats", f"buy {name} 1", user="U0VIEW").text
    assert "Licenses" in http.command("/seats", name, user="U0VIEW").text


def test_seats_card_shows_a_scheduled_seat_change_with_its_date(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """A downgrade scheduled from `/accounts edit` (key `effective`) or `/seats reduce` (key
    `effective_on`) shows its renewal date as the reader's language writes dates."""
    with sessions() as session:
        agency = make_agency(session)
        make_account(
            session,
            agency,
            name="edited",
            seats=5,
            pending_change={"plan": {"seats": 4}, "effective": "2026-12-10"},
        )
        make_account(
            session,
            agency,
            name="reduced",
            seats=5,
            pending_change={"kind": "downgrade", "plan": {"seats": 3}, "effective_on": "2026-12-10"},
        )
        session.commit()
    assert "At renewal (Dec 10, 2026): 4 user seats." in http.command("/seats", "edited").text
    assert "At renewal (Dec 10, 2026): 3 user seats." in http.command("/seats", "reduced").text


def test_manager_is_refused_before_the_admin_warning(
    http: SlackHttp, sessions: sessionmaker[Session], provider: SimulatedProvider
) -> None:
    """Making a client administrator ends the discount, so it is money: a manager is told at once,
    with no confirm button that would fail after the click."""
    name = _seat_account(sessions, provider, licenses=2)
    http.command("/seats", f"add {name} ana@x.io")
    http.command("/agency", "members add U0MGR manager")
    reply = http.command("/seats", f"admin {name} ana@x.io", user="U0MGR")
    assert "does not allow" in reply.text and "seats_admin_confirm" not in _buttons(reply.body)
    assert "seats_admin_confirm" in _buttons(http.command("/seats", f"admin {name} ana@x.io").body)


def test_free_accounts_have_no_seats_card(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """A sandbox or trial is a free plan: `/seats` says it has no user seats, with no Add button and
    no never-ending renewal date."""
    with sessions() as session:
        agency = make_agency(session)
        make_account(
            session, agency, name="lab", pricing_version="V1", product="EM", tier="sandbox", contacts=None
        )
        session.commit()
    reply = http.command("/seats", "lab")
    assert "lab has no user seats to change." in reply.text and not _buttons(reply.body)
