"""Transfers change the books (issue 14 §3, SPEC §4), over signed HTTP: a confirmed transfer-out ends
the account's life in the agency (status `transferred`: no charge, notice, tier count or renewal; kept
in history and `status:all`), and a confirmed transfer-in creates the account with the plan recorded on
the request, first charged at the tier the agency had before it. Both audited; the channel told once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.daily import run_jobs
from bot.settings import Settings
from domain.portfolio import count_active_paid
from domain.store.models import Account, Agency, Invoice, Notice, Transfer
from tests.conftest import START
from tests.factories import make_account, make_agency, make_profile
from tests.slackhttp import SlackHttp, payload_text

RENEWAL = date(2026, 12, 10)
NEXT_DAY = date(2026, 11, 26)
"""The day after the test clock's (2026-11-25 09:30 UTC): the daily jobs of that morning see what was
confirmed the day before."""


def _portfolio(sessions: sessionmaker[Session], *names: str) -> int:
    """Monthly marketing plus 2,500 accounts ($99.00 list) renewing on RENEWAL, paid by one card."""
    with sessions() as session:
        agency = make_agency(session, notice_channel="C0NOTICES")
        profile = make_profile(session, agency)
        for name in names:
            make_account(
                session, agency, name=name, billing_profile_id=profile.id, price_per_cycle=Decimal("74.25")
            )
        session.commit()
        return agency.id


def _account(sessions: sessionmaker[Session], name: str) -> Account:
    with sessions() as session:
        account = session.scalars(select(Account).where(Account.name == name)).one()
        session.expunge_all()
        return account


def _invoices(sessions: sessionmaker[Session], name: str) -> list[Invoice]:
    with sessions() as session:
        rows = list(
            session.scalars(
                select(Invoice).join(Account, Invoice.account_id == Account.id).where(Account.name == name)
            )
        )
        session.expunge_all()
        return rows


def _transfer_id(sessions: sessionmaker[Session]) -> int:
    """The one transfer request's number (ids are not reset between tests on PostgreSQL)."""
    with sessions() as session:
        return session.scalars(select(Transfer.id)).one()


def _channel_posts(http: SlackHttp, words: str) -> list[str]:
    return [
        text for call in http.slack.of("chat.postMessage") if words in (text := payload_text(call.params))
    ]


def test_confirmed_transfer_out_is_never_charged_counted_renewed_or_noticed(
    http: SlackHttp, sessions: sessionmaker[Session], settings: Settings
) -> None:
    """brand-new and other (2 accounts, 25 %): after `/accounts transfer-out brand-new` and
    `/accounts transfer-confirm 1`, brand-new is `transferred`, the tier count is 1, the billing run of
    its renewal day charges only other — at 0 % now, $99.00 — and nothing for brand-new (it was charged
    $74.25 before the fix); Renew is refused with the reason; the overview hides it by default and
    shows it under `status:all` and `status:transferred`; the audit has the confirmation; the channel is
    told once however often the notices job runs; a second confirmation is refused."""
    agency_id = _portfolio(sessions, "brand-new", "other")
    requested = http.command("/accounts", "transfer-out brand-new")
    number = _transfer_id(sessions)
    assert "Transfer-out of brand-new" in requested.text and f"(number {number})" in requested.text
    with sessions() as session:  # a renewal notice already waiting for brand-new is not posted
        session.add(
            Notice(
                agency_id=agency_id,
                kind="renewal_coming",
                account_id=_account(sessions, "brand-new").id,
                due_on=NEXT_DAY,
                dedupe_key="renewal_coming:waiting",
                payload={},
                status="pending",
                attempts=0,
                next_attempt_at=START,
                created_at=START,
            )
        )
        session.commit()
    confirmed = http.command("/accounts", f"transfer-confirm {number}")
    assert "brand-new is now transferred" in confirmed.text, confirmed.text

    gone = _account(sessions, "brand-new")
    assert gone.status == "transferred"
    with sessions() as session:
        assert count_active_paid(session, agency_id) == 1
        assert session.scalars(select(Transfer)).one().status == "confirmed"
    assert "already confirmed" in http.command("/accounts", f"transfer-confirm {number}").text
    assert "already transferred out" in http.command("/accounts", "transfer-out brand-new").text

    refused = http.command("/accounts", "renew brand-new").text
    assert "transferred out of the agency" in refused, refused
    no_credits = http.command("/credits", "apply preview 5 brand-new").text
    assert "credits no longer go to it" in no_credits, no_credits
    default_overview = http.command("/accounts").text
    assert "brand-new" not in default_overview and "other" in default_overview
    for filters in ("status:all", "status:transferred"):
        listed = http.command("/accounts", filters).text
        assert "brand-new" in listed and "transferred" in listed, listed
    assert "transfer out confirmed" in http.command("/agency", "audit").text

    for _ in range(2):
        run_jobs(settings, "notices", day=NEXT_DAY)
    told = _channel_posts(http, "transferred out")
    assert len(told) == 1 and "brand-new" in told[0], told
    assert not _channel_posts(http, "brand-new renews"), "a transferred account's notice was posted"

    report = run_jobs(settings, "billing", day=RENEWAL)[0]
    assert report.counts == {"charged": 1}, report.counts
    assert _invoices(sessions, "brand-new") == []
    (renewal,) = _invoices(sessions, "other")
    assert renewal.total == Decimal("99.00")  # one active paid account left: no reseller discount


def test_confirmed_transfer_in_creates_the_account_with_the_requested_plan(
    http: SlackHttp, sessions: sessionmaker[Session], settings: Settings
) -> None:
    """With one account (0 %), `/accounts transfer-in old-client client@old.example plus 2500 monthly`
    records the plan and quotes $99.00 per cycle; the owner's confirmation creates old-client (active,
    the agency's notification email, the card, no charge yet); the next billing run charges its first
    cycle at the tier before it ($99.00, not $74.25), and the other account's renewal then sees two
    accounts ($74.25). Audited; the channel is told once."""
    agency_id = _portfolio(sessions, "other")
    requested = http.command("/accounts", "transfer-in old-client client@old.example plus 2500 monthly")
    assert (
        "Marketing · Plus · 2,500 contacts · monthly" in requested.text
        and "$99.00 per cycle" in requested.text
    ), requested.text
    assert "There is no account named old-client" in http.command("/accounts", "show old-client").text
    with sessions() as session:
        assert session.scalars(select(Transfer)).one().plan["tier"] == "plus"

    confirmed = http.command("/accounts", f"transfer-confirm {_transfer_id(sessions)}")
    assert "old-client joins the portfolio" in confirmed.text and "$99.00" in confirmed.text, confirmed.text
    joined = _account(sessions, "old-client")
    assert (joined.status, joined.tier, joined.contacts, joined.frequency) == (
        "active",
        "plus",
        2500,
        "monthly",
    )
    assert joined.client_email == "client@old.example"
    assert joined.notification_email == "ops@agency.example"
    assert joined.billing_profile_id is not None and _invoices(sessions, "old-client") == []
    card = http.command("/accounts", "show old-client").text
    assert "old-client" in card and "transfer in confirmed" in card, card
    with sessions() as session:
        assert count_active_paid(session, agency_id) == 2

    assert run_jobs(settings, "billing", day=NEXT_DAY)[0].counts == {"charged": 1}
    (first,) = _invoices(sessions, "old-client")
    assert first.total == Decimal("99.00") and first.period_start == date(2026, 11, 25)
    assert run_jobs(settings, "billing", day=RENEWAL)[0].counts == {"charged": 1}
    (renewal,) = _invoices(sessions, "other")
    assert renewal.total == Decimal("74.25")

    for _ in range(2):
        run_jobs(settings, "notices", day=NEXT_DAY)
    told = _channel_posts(http, "transferred into the agency")
    assert len(told) == 1 and "old-client" in told[0], told
    with sessions() as session:
        assert session.scalars(select(Agency)).one().id == agency_id


def test_transfer_in_asks_for_a_valid_plan_and_writes_nothing_otherwise(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """No plan, an unknown tier, contacts that are not a number, a free plan, a migration discount:
    each refused with what to write (the field named); no transfer is recorded."""
    _portfolio(sessions, "other")
    cases = {
        "old-client client@old.example": "Give the plan the account will have",
        "old-client client@old.example gold 2500": "Unknown tier gold",
        "old-client client@old.example plus abc": "Contacts: write a whole number from 1",
        "old-client client@old.example plus 2500 migration 20%": "records the plan only",
        "old-client client@old.example plus 2500 country ZZ": "ZZ is not a country",
    }
    for text, expected in cases.items():
        reply = http.command("/accounts", f"transfer-in {text}").text
        assert expected in reply, (text, reply)
    with sessions() as session:
        assert session.scalars(select(Transfer)).all() == []
