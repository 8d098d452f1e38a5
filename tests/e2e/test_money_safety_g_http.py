"""Issue 14 (helper G) over signed HTTP: commission accounts recorded from Slack; the overview's "per
cycle" is the next charge; discounts never read as a double negative; earmarks only on accounts that
are charged; the prepaid bound is named; a modal a role cannot submit never opens."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.shell.localslack import LocalSlack
from domain.billing.renewal import next_charge
from domain.billing.run import run_billing
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.portfolio import count_active_paid
from domain.simulated import SimulatedGateway
from domain.store.models import Account, Agency, AuditEntry, Invoice, Member
from tests.concurrency import at_the_same_instant
from tests.e2e.test_agency_http import row_counts
from tests.factories import NOW, make_account, make_agency, make_profile
from tests.slackhttp import SlackHttp, payload_text, text_input
from tests.slackhttp import select as pick

NBSP = "\u00a0"
ADD = 'commission add acme-ref client "Acme SA" referred 2026-11-02 plan marketing plus 2500 monthly'


def _agency(sessions: sessionmaker[Session], *members: tuple[str, str], **account: Any) -> int:
    """An agency with a card, two active paid accounts (tier 25 %), and the given members."""
    with sessions.begin() as s:
        agency = make_agency(s)
        make_profile(s, agency)
        make_account(s, agency, name="acme", price_per_cycle=Decimal("99.00"), **account)
        make_account(s, agency, name="brand-new", price_per_cycle=Decimal("99.00"))
        for user, role in members:
            s.add(Member(agency_id=agency.id, user_id=user, role=role, added_by="t", created_at=NOW))
        return agency.id


def _buttons(body: dict[str, Any]) -> list[str]:
    return [
        str(element.get("action_id"))
        for block in body.get("blocks", [])
        for element in block.get("elements", [])
        if isinstance(element, dict)
    ]


def _button(body: dict[str, Any], action_id: str) -> str:
    for block in body.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise AssertionError(f"no {action_id} button")


# --- §5 commission accounts -------------------------------------------------------------------------


def test_commission_account_is_recorded_from_slack_and_shown(
    http: SlackHttp,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    catalog: Catalog,
    clock: FixedClock,
) -> None:
    """An owner records a referred account (name, client, referral date, plan): it is audited, shown in
    the commission view with its date and commission, and never counts for the tier, the overview or
    billing (it has no renewal of the agency's)."""
    agency_id = _agency(sessions)
    with sessions() as s:
        before = count_active_paid(s, agency_id)
    reply = http.command("/accounts", ADD)
    assert "Commission account acme-ref recorded (Acme SA, referred Nov 2, 2026)" in reply.text
    assert "$19.80 a month of commission" in reply.text  # 20 % of the $99.00 monthly list price
    view = http.command("/accounts", "commission").text
    assert "*acme-ref* · Acme SA · active · referred Nov 2, 2026 · $19.80" in view
    assert "/accounts commission add" in view  # the view says how to record one
    assert "/accounts commission add" in http.command("/accounts", "help").text
    with sessions() as s:
        account = s.scalars(select(Account).where(Account.name == "acme-ref")).one()
        assert account.is_commission and account.referred_on == date(2026, 11, 2)
        assert account.client_name == "Acme SA" and account.price_per_cycle == Decimal("0.00")
        assert count_active_paid(s, agency_id) == before  # excluded from the discount tier
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "account.commission_recorded")).one()
        assert entry.actor == "U0OWNER" and entry.target == "acme-ref"
        assert entry.after is not None and entry.after["referred_on"] == "2026-11-02"
    assert "acme-ref" not in http.command("/accounts", "status:all").text
    assert "commission account recorded" in http.command("/agency", "audit").text
    with sessions.begin() as s:  # even with a period ending today, the billing run never charges it
        s.execute(text("UPDATE accounts SET period_end = '2026-11-25' WHERE name = 'acme-ref'"))
    run_billing(sessions, gateway, catalog, clock, day=date(2026, 11, 25))
    with sessions() as s:
        account = s.scalars(select(Account).where(Account.name == "acme-ref")).one()
        assert not s.scalars(select(Invoice).where(Invoice.account_id == account.id)).all()
        assert account.status == "active" and account.cycles_billed == 0


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (ADD.replace("2026-11-02", "2026-12-24"), "The referral date Dec 24, 2026 is in the future"),
        (ADD.replace("2026-11-02", "02/11/2026"), "Write the referral date as YYYY-MM-DD"),
        (ADD.replace("2026-11-02", "2026-02-30"), "Write the referral date as YYYY-MM-DD"),
        (ADD.replace("acme-ref", "Acme_Ref"), "Acme_Ref cannot be an account name"),
        (ADD.replace("acme-ref", "acme"), "The agency already has an account named acme"),
        (ADD.split(" plan ", maxsplit=1)[0], "Give `plan` too"),
        ("commission add acme-ref referred 2026-11-02 plan plus 2500", "Give `client` too"),
        (ADD.replace("plus 2500", "platinum 2500"), "Unknown tier platinum"),
        (ADD + " migration 20%", "no migration discount"),
        (ADD + " email not-an-email", "not-an-email is not a valid email address"),
        (ADD + " country Atlantis", "Atlantis is not a country"),
        (
            'commission add acme-ref client "4242 4242 4242 4242" referred 2026-11-02 plan plus 2500',
            "That text contains a card number",
        ),
    ],
)
def test_commission_add_refuses_bad_input_and_writes_nothing(
    words: str, says: str, http: SlackHttp, sessions: sessionmaker[Session], db: Engine
) -> None:
    """Each bad field is refused with a message naming it and how to write it; nothing is written."""
    _agency(sessions)
    counts = row_counts(db)
    reply = http.command("/accounts", words)
    assert says in reply.text, reply.text
    assert row_counts(db) == counts


def test_commission_add_is_for_owners_and_billing(
    http: SlackHttp, sessions: sessionmaker[Session], db: Engine
) -> None:
    """Commissions are the agency's money: a manager is refused and nothing is written; billing may."""
    _agency(sessions, ("U0MGR", "manager"), ("U0BILL", "billing"))
    counts = row_counts(db)
    assert "Your role (manager) does not allow this" in http.command("/accounts", ADD, user="U0MGR").text
    assert row_counts(db) == counts
    assert "recorded" in http.command("/accounts", ADD, user="U0BILL").text


# --- §5 the overview and card show the next charge --------------------------------------------------


@pytest.mark.parametrize("stored_terms", [True, False])
def test_overview_per_cycle_is_the_next_charge_at_todays_tier(
    stored_terms: bool, http: SlackHttp, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """Last charged $99.00 at 0 %; with two active paid accounts the next renewal charges $74.25: the
    overview's "per cycle" says what the billing run would charge (`next_charge`), from the stored
    renewal terms or, for rows written before them, priced from the catalog."""
    _agency(sessions)
    if not stored_terms:
        with sessions.begin() as s:
            s.execute(text("UPDATE accounts SET renewal_base = NULL, renewal_months = NULL"))
    with sessions() as s:
        account = s.scalars(select(Account).where(Account.name == "acme")).one()
        charge = next_charge(s, catalog, account)
    assert charge.per_cycle == Decimal("74.25")
    overview = http.command("/accounts").text
    assert "$74.25 per cycle" in overview and "$99.00 per cycle" not in overview
    card = http.command("/accounts", "show acme").text
    assert "Cost per cycle at the next renewal, at today's tier" in card and "$74.25" in card
    assert "Last charged per cycle" in card  # the old figure keeps its own, honest label


def test_cancelled_account_has_no_next_renewal_cost(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """A cancelled account has no next renewal: neither its card nor the overview show a cost per
    cycle at the next renewal, they say there is none."""
    _agency(sessions, status="cancelled")
    card = http.command("/accounts", "show acme").text
    assert "Cost per cycle at the next renewal" not in card
    assert "no renewal (cancelled)" in card
    overview = http.command("/accounts", "status:cancelled").text
    assert "no renewal (cancelled)" in overview and "per cycle" not in overview


# --- §5 discounts are not double negatives ----------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "renew", "quote_line"),
    [
        ("U0OWNER", "($99.00 list, $24.75 reseller discount)", "Minus reseller discount (25%)  →  $24.75"),
        (
            "U0FRENCH",
            f"remise revendeur de 24,75{NBSP}$US",
            f"Moins la remise revendeur (25 %)  →  24,75{NBSP}$US",
        ),
        (
            "U0ITALIAN",
            f"24,75{NBSP}USD",
            f"Meno lo sconto rivenditore (25%)  →  24,75{NBSP}USD",
        ),
    ],
)
def test_discounts_read_without_a_double_negative(
    user: str,
    renew: str,
    quote_line: str,
    http: SlackHttp,
    sessions: sessionmaker[Session],
    slack: LocalSlack,
) -> None:
    """ "Minus reseller discount → -$24.75" and "remise revendeur de -16,45 $US" say minus twice: in
    every language the discount reads as the amount it takes off, in the renew card, the quote and the
    invoice lines."""
    members = () if user == "U0OWNER" else ((user, "owner"),)
    agency_id = _agency(sessions, *members, status="cancelled", purchased_on=date(2026, 11, 10))
    with sessions.begin() as s:  # two active paid accounts besides the cancelled one: 25 %
        agency = s.get(Agency, agency_id)
        assert agency is not None
        make_account(s, agency, name="third")
    card = http.command("/accounts", "renew acme", user=user)
    assert renew in card.text and "-24,75" not in card.text and "-$24.75" not in card.text
    quote = http.command("/quote", "plus 2500", user=user).text
    assert quote_line in quote and "-24,75" not in quote and "-$24.75" not in quote
    http.click("accounts_renew_confirm", _button(card.body, "accounts_renew_confirm"), user=user)
    invoices = http.command("/billing", "history acme", user=user).text
    number = next(word for word in invoices.replace("*", " ").split() if word.startswith("INV-"))
    invoice = http.command("/billing", f"invoice {number}", user=user).text
    assert "24,75" in invoice or "$24.75" in invoice
    assert "-24,75" not in invoice and "-$24.75" not in invoice


# --- §4 earmarks and the prepaid bound --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        (
            {"pricing_version": "V1", "product": "EM", "tier": "sandbox", "contacts": None},
            "a free sandbox account",
        ),
        (
            {"pricing_version": "V1", "product": "EM", "tier": "trial", "contacts": None, "status": "trial"},
            "a free trial account",
        ),
        ({"is_commission": True}, "is a commission account"),
        ({"status": "cancelled"}, "is cancelled: it has no renewal ahead"),
        ({"status": "expired"}, "is expired: it has no renewal ahead"),
        ({"status": "archived"}, "is archived: it has no renewal ahead"),
    ],
)
def test_earmark_on_an_account_never_charged_is_refused(
    fields: dict[str, Any], says: str, http: SlackHttp, sessions: sessionmaker[Session], db: Engine
) -> None:
    """Credit earmarked for an account is drawn only by its own charges: for one that is never charged
    the purchase is refused with the reason, before any confirm card; the modal marks its field."""
    with sessions.begin() as s:
        agency = make_agency(s)
        make_profile(s, agency)
        make_account(s, agency, name="agency-sandbox", **fields)
    counts = row_counts(db)
    reply = http.command("/credits", "buy prepaid 50 for agency-sandbox")
    assert says in reply.text and "could never be used" in reply.text, reply.text
    assert "credits_buy_confirm" not in _buttons(reply.body)
    http.command("/credits", "buy")
    view = http.opened_view()
    answer = http.submit(
        view, {"kind": pick("prepaid"), "quantity": text_input("50"), "account": text_input("agency-sandbox")}
    )
    assert answer.body.get("response_action") == "errors" and says in answer.body["errors"]["account"]
    assert row_counts(db) == counts


def test_earmark_on_an_active_account_still_reaches_the_confirm_card(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """An active (or disabled) paid account is charged at renewal: its earmark is offered as before."""
    _agency(sessions)
    assert "credits_buy_confirm" in _buttons(http.command("/credits", "buy prepaid 50 for acme").body)


@pytest.mark.parametrize("amount", ["99999999999999", "10000.01", "0", "-5", "49.99", "1,000,000,000,000"])
def test_prepaid_amount_out_of_bounds_names_the_bound(
    amount: str, http: SlackHttp, sessions: sessionmaker[Session], db: Engine
) -> None:
    """Any number outside the catalog's `credits.prepaid` bounds, however long, is refused naming the
    amount field and both bounds, not "write the amount as a number"."""
    _agency(sessions)
    counts = row_counts(db)
    reply = http.command("/credits", f"buy prepaid {amount}")
    assert "Amount: prepaid credit is bought from $50.00 to $10,000.00 at a time." in reply.text, reply.text
    assert row_counts(db) == counts


def test_prepaid_amount_that_is_not_a_number_still_says_so(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """Words are still words: the refusal says how to write a number."""
    _agency(sessions)
    assert (
        "Amount: write a number from $50.00 to $10,000.00"
        in http.command("/credits", "buy prepaid lots").text
    )


# --- §4 a modal a role cannot submit does not open --------------------------------------------------


def _refused(http: SlackHttp, slack: LocalSlack, reply_text: str, mark: int) -> str:
    """The refusal, from the command's reply or the response_url; and no modal opened since `mark`."""
    assert not [c for c in slack.since(mark) if c.method == "views.open"], "a modal opened"
    said = [
        payload_text(c.params)
        for c in slack.since(mark)
        if c.method in ("response_url", "chat.postEphemeral")
    ]
    return " ".join([reply_text, *said])


PLAN = json.dumps(
    {"version": "V3", "product": "marketing", "tier": "plus", "contacts": 2500, "frequency": "monthly"}
)


@pytest.mark.parametrize(
    ("user", "how", "what"),
    [
        ("U0MGR", "command", ("/seats", "new")),
        ("U0MGR", "command", ("/credits", "buy")),
        ("U0MGR", "command", ("/billing", "profiles add")),
        ("U0BILL", "command", ("/agency", "settings")),
        ("U0VIEW", "command", ("/accounts", "add")),
        ("U0VIEW", "command", ("/accounts", "edit acme")),
        ("U0VIEW", "command", ("/accounts", "branding acme")),
        ("U0MGR", "click", ("seats_buy_open", "acme|2")),
        ("U0VIEW", "click", ("seats_add_open", "acme")),
        ("U0VIEW", "click", ("seats_remove_open", "acme")),
        ("U0MGR", "click", ("accounts_add_with_plan", PLAN)),
        ("U0VIEW", "click", ("accounts_add_open", "")),
    ],
)
def test_a_modal_the_role_cannot_submit_is_refused_before_it_opens(
    user: str,
    how: str,
    what: tuple[str, str],
    http: SlackHttp,
    sessions: sessionmaker[Session],
    slack: LocalSlack,
) -> None:
    """Every modal whose submission needs a permission checks it before `views.open`: the member is
    told at once that the role does not allow it, instead of filling the form to be refused."""
    _agency(sessions, ("U0MGR", "manager"), ("U0BILL", "billing"), ("U0VIEW", "viewer"))
    mark = slack.mark()
    reply = http.command(*what, user=user) if how == "command" else http.click(*what, user=user)
    said = _refused(http, slack, reply.text, mark)
    assert "does not allow this" in said, said


@pytest.mark.parametrize(
    ("user", "how", "what"),
    [
        ("U0OWNER", "command", ("/seats", "new")),
        ("U0BILL", "command", ("/seats", "new")),
        ("U0OWNER", "command", ("/agency", "settings")),
        ("U0MGR", "command", ("/accounts", "add")),
        (
            "U0MGR",
            "click",
            (
                "accounts_add_with_plan",
                json.dumps({"version": "V1", "product": "EM", "level": "trial", "frequency": "monthly"}),
            ),
        ),
    ],
)
def test_a_modal_the_role_can_submit_still_opens(
    user: str,
    how: str,
    what: tuple[str, str],
    http: SlackHttp,
    sessions: sessionmaker[Session],
    slack: LocalSlack,
) -> None:
    """The check refuses only those who could not submit: a billing member opens `/seats new`, a manager
    the add-account modal (free plans are theirs to create)."""
    _agency(sessions, ("U0MGR", "manager"), ("U0BILL", "billing"))
    mark = slack.mark()
    http.command(*what, user=user) if how == "command" else http.click(*what, user=user)
    assert [c for c in slack.since(mark) if c.method == "views.open"]


def test_the_same_commission_account_recorded_twice_at_once_is_one_account(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """Two members record the same referred account at the same instant: one account, one audit
    entry; the other is told the name is taken, not "something went wrong"."""
    _agency(sessions, ("U0BILL", "billing"))
    replies: list[str] = []
    at_the_same_instant(
        lambda user: replies.append(http.command("/accounts", ADD, user=user).text), ["U0OWNER", "U0BILL"]
    )
    assert sum("recorded" in r for r in replies) == 1, replies
    assert sum("The agency already has an account named acme-ref" in r for r in replies) == 1, replies
    with sessions() as s:
        assert len(s.scalars(select(Account).where(Account.name == "acme-ref")).all()) == 1
        assert (
            len(s.scalars(select(AuditEntry).where(AuditEntry.action == "account.commission_recorded")).all())
            == 1
        )
