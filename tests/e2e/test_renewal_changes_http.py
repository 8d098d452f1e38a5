"""Downgrades scheduled over signed HTTP (`/seats reduce`, the Edit modal) are what `jobs billing`
charges on the renewal day, and the pending change is cleared once applied (regression: 66c4996)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.daily import run_jobs
from bot.settings import Settings
from domain.store.models import Account, Agency, Invoice
from tests.e2e.test_accounts_edit_http import initial_values
from tests.factories import make_account, make_profile
from tests.slackhttp import SlackHttp, text_input
from tests.slackhttp import select as pick

RENEWAL = date(2026, 12, 10)


def _accounts(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    """Two monthly marketing plus 2,500 accounts renewing on RENEWAL: one with 5 user seats."""
    http.command("/agency", "members")
    with sessions() as session:
        agency = session.scalars(select(Agency)).one()
        profile = make_profile(session, agency)
        for name, seats, price in (("seated", 5, "102.75"), ("tiered", None, "74.25")):
            make_account(
                session,
                agency,
                name=name,
                seats=seats,
                billing_profile_id=profile.id,
                price_per_cycle=Decimal(price),
                period_end=RENEWAL,
            )
        session.commit()


def _renewed(sessions: sessionmaker[Session], name: str) -> tuple[Account, Invoice]:
    with sessions() as session:
        account = session.scalars(select(Account).where(Account.name == name)).one()
        invoice = session.scalars(
            select(Invoice).where(Invoice.account_id == account.id, Invoice.kind == "renewal")
        ).one()
        session.expunge_all()
        return account, invoice


def test_reduced_seats_and_edit_downgrade_are_charged_at_renewal_then_cleared(
    http: SlackHttp, sessions: sessionmaker[Session], settings: Settings
) -> None:
    """5 → 3 seats from `/seats reduce` renews at plus with 3 seats (99.00 less 25%), plus → starter
    from Edit renews at starter 1,000 (19.00 less 25%); both wait for the renewal, then the billing
    job charges the smaller plan, applies it and leaves no pending change."""
    _accounts(http, sessions)
    reply = http.command("/seats", "reduce seated 2 smaller team")
    assert "Reduce seated to 3 user seats at its renewal on Dec 10, 2026" in reply.text
    confirm = next(
        e["value"]
        for b in reply.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "seats_reduce_confirm"
    )
    http.click("seats_reduce_confirm", confirm)
    http.command("/accounts", "edit tiered")
    view = http.opened_view()
    values = initial_values(view)
    values["plan_tier"] = pick("starter")
    values["plan_contacts"] = pick("1000")
    values["plan_seats"] = {"type": "number_input", "value": "1"}
    values["reason"] = text_input("smaller list")
    answer = http.submit(view, values)
    if answer.body.get("response_action") == "update":  # a confirm step before a plan change
        answer = http.submit(answer.body["view"], {})
    assert answer.body.get("response_action") is None, answer.body
    with sessions() as session:
        pending = {a.name: a.pending_change for a in session.scalars(select(Account))}
        assert pending["seated"]["plan"] == {"seats": 3}, pending
        assert pending["tiered"]["plan"]["tier"] == "starter", pending
        assert not session.scalars(select(Invoice)).all()

    reports = run_jobs(settings, "billing", day=RENEWAL)
    assert reports[0].counts == {"charged": 2}
    seated, seated_invoice = _renewed(sessions, "seated")
    assert (seated.tier, seated.seats, seated.pending_change) == ("plus", 3, None)
    assert seated_invoice.total == seated.price_per_cycle == Decimal("74.25")
    tiered, tiered_invoice = _renewed(sessions, "tiered")
    assert (tiered.tier, tiered.contacts, tiered.pending_change) == ("starter", 1000, None)
    assert tiered_invoice.total == tiered.price_per_cycle == Decimal("14.25")
    assert seated.period_end == tiered.period_end == date(2027, 1, 10)

    assert run_jobs(settings, "billing", day=date(2027, 1, 10))[0].counts == {"charged": 2}
    with sessions() as session:
        totals = sorted(
            i.total for i in session.scalars(select(Invoice).where(Invoice.period_start == date(2027, 1, 10)))
        )
    assert totals == [Decimal("14.25"), Decimal("74.25")]
