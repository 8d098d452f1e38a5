"""Issue 14 §4 over signed HTTP: what the person confirms is what happens.

A downgrade (Edit modal, `/seats reduce`) shows its quote and waits for a confirmation held by the
server before anything is scheduled; `/seats new` shows how its first charge is paid (prepaid credit
first, then the card) on the confirm step and in the result, as the invoice draws it."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.shell.localslack import LocalSlack
from domain import ledger
from domain.simulated import SimulatedGateway
from domain.store.models import Account, Agency, AuditEntry, Invoice
from tests.e2e.test_accounts_edit_http import initial_values
from tests.e2e.test_renewal_changes_http import _accounts
from tests.factories import NOW, make_profile
from tests.slackhttp import SlackHttp, payload_text, text_input
from tests.slackhttp import select as pick


def _pending(sessions: sessionmaker[Session], name: str) -> dict[str, Any] | None:
    with sessions() as session:
        return session.scalars(select(Account.pending_change).where(Account.name == name)).one()


def _audits(sessions: sessionmaker[Session], action: str) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).where(AuditEntry.action == action)) or 0)


def _button(body: dict[str, Any], action_id: str) -> str:
    return next(
        str(e.get("value", ""))
        for b in body.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    )


def _edit_to_starter(http: SlackHttp) -> dict[str, Any]:
    http.command("/accounts", "edit tiered")
    view = http.opened_view()
    values = initial_values(view)
    values["plan_tier"] = pick("starter")
    values["plan_contacts"] = pick("1000")
    values["plan_seats"] = {"type": "number_input", "value": "1"}
    values["reason"] = text_input("smaller list")
    reply = http.submit(view, values)
    return reply.body


def test_edit_downgrade_shows_its_quote_and_is_scheduled_only_once_confirmed(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack
) -> None:
    """plus 2,500 → starter 1,000 in Edit: the modal turns into the quote (new plan, reseller discount,
    $14.25 per cycle from the renewal on Dec 10, 2026, nothing charged today, no refund) and nothing
    is scheduled; confirming schedules it once (a second submit of the same step does nothing more)."""
    _accounts(http, sessions)
    body = _edit_to_starter(http)
    assert body.get("response_action") == "update", body
    step = body["view"]
    shown = payload_text(step)
    assert "Marketing · Starter · 1,000 contacts" in shown, shown
    assert "Minus reseller discount (25%)  →  $4.75" in shown and "New plan value  →  $19.00" in shown, shown
    assert "takes effect at the next renewal on Dec 10, 2026" in shown, shown
    assert "from then on you pay $14.25 per cycle. Nothing is charged today; no refund." in shown, shown
    assert json.loads(step["private_metadata"]).keys() == {"name", "channel", "pending"}
    assert _pending(sessions, "tiered") is None  # shown, not yet scheduled

    for _ in range(2):
        done = http.submit(step, {})
        assert done.body.get("response_action") is None, done.body
    scheduled = _pending(sessions, "tiered") or {}
    assert scheduled["plan"]["tier"] == "starter" and scheduled["effective"] == "2026-12-10"
    assert _audits(sessions, "account.plan_scheduled") == 1
    told = [c.params["text"] for c in slack.of("chat.postEphemeral")]
    assert any("plan change scheduled for the renewal on Dec 10, 2026" in t for t in told), told
    with sessions() as session:
        assert not session.scalars(select(Invoice)).all()


def test_edit_downgrade_closed_without_confirming_schedules_nothing(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """Closing the quote step (Cancel) leaves the plan as it was: no pending change, no audit."""
    _accounts(http, sessions)
    assert _edit_to_starter(http).get("response_action") == "update"
    assert _pending(sessions, "tiered") is None
    assert _audits(sessions, "account.plan_scheduled") == 0


def test_edit_upgrade_still_charges_on_its_confirm_step(
    http: SlackHttp, sessions: sessionmaker[Session], gateway: SimulatedGateway
) -> None:
    """Upgrades keep their step: the amount charged today, then one charge on confirm."""
    _accounts(http, sessions)
    http.command("/accounts", "edit tiered")
    view = http.opened_view()
    values = initial_values(view)
    values["plan_tier"] = pick("professional")
    body = http.submit(view, values).body
    assert body.get("response_action") == "update", body
    assert "is charged today" in payload_text(body["view"])
    assert not gateway.charges
    http.submit(body["view"], {})
    assert len(gateway.charges) == 1 and _pending(sessions, "tiered") is None


def test_seats_reduce_shows_its_quote_and_waits_for_confirm(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack
) -> None:
    """`/seats reduce seated 2` shows the quote (3 user seats, $74.25 per cycle from Dec 10, 2026,
    nothing today, no refund) with Confirm and Cancel carrying only a server-held id; nothing is
    scheduled until Confirm; a second click does nothing more; Cancel schedules nothing."""
    _accounts(http, sessions)
    card = http.command("/seats", "reduce seated 2 smaller team")
    shown = card.text
    assert "Reduce seated to 3 user seats at its renewal on Dec 10, 2026" in shown, shown
    assert "From the renewal on Dec 10, 2026 you pay $74.25 per cycle." in shown, shown
    assert (
        "Nothing is charged today; no refund." in shown and "Minus reseller discount (25%): *$24.75*" in shown
    ), shown
    assert _pending(sessions, "seated") is None
    value = _button(card.body, "seats_reduce_confirm")
    assert value == _button(card.body, "seats_cancel") and "seated" not in value

    http.click("seats_reduce_confirm", value)
    http.click("seats_reduce_confirm", value)
    replies = [c.params["text"] for c in slack.of("response_url")]
    assert "seated goes to 3 user seats at its renewal on Dec 10, 2026; no refund." in replies[0], replies
    assert "Already done" in replies[1], replies
    scheduled = _pending(sessions, "seated") or {}
    assert scheduled["plan"] == {"seats": 3} and scheduled["per_cycle"] == "74.25"
    assert _audits(sessions, "seats.user_seats_reduced") == 1

    again = http.command("/seats", "reduce seated 1")
    http.click("seats_cancel", _button(again.body, "seats_cancel"))
    assert (_pending(sessions, "seated") or {})["plan"] == {"seats": 3}
    assert _audits(sessions, "seats.user_seats_reduced") == 1


def test_seats_reduce_is_refused_for_a_viewer_before_any_quote(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    _accounts(http, sessions)
    http.command("/agency", "members add U0VIEW viewer")
    reply = http.command("/seats", "reduce seated 2", user="U0VIEW")
    assert "does not allow" in reply.text and "seats_reduce_confirm" not in json.dumps(reply.body)


def _seats_new(
    http: SlackHttp, sessions: sessionmaker[Session], credit: str, *, transfer: bool = False
) -> tuple[dict[str, Any], int]:
    http.command("/agency", "members")
    with sessions.begin() as session:
        agency = session.scalars(select(Agency)).one()
        agency.notification_email = "ops@agency.example"
        profile = make_profile(session, agency)
        ledger.append(
            session,
            agency_id=agency.id,
            pool="prepaid",
            amount=Decimal(credit),
            kind="purchase",
            actor="t",
            at=NOW,
        )
        profile_id = profile.id
    http.command("/seats", "new")
    form = {
        "customer_name": text_input("Jean Dupont"),
        "email": text_input("jean@dupont.example"),
        "company": text_input("Dupont SA"),
        "country": text_input("FR"),
        "vat": text_input("FR40303265045"),
        "licenses": {"type": "number_input", "value": "4"},
        "frequency": pick("12"),
        "profile": pick("transfer" if transfer else str(profile_id)),
    }
    quoted = http.submit(http.opened_view(), form)
    assert quoted.body["response_action"] == "update", quoted.body
    return quoted.body["view"], profile_id


def test_seats_new_shows_the_prepaid_and_card_split_it_charges(
    http: SlackHttp, sessions: sessionmaker[Session], gateway: SimulatedGateway
) -> None:
    """With $50.00 of prepaid credit, the confirm step of a $576.00 subscription says $50.00 from
    prepaid credit and $526.00 from the card (not "paid by the chosen card"); the card is charged
    $526.00 and the result says the same split as the invoice."""
    confirm, _ = _seats_new(http, sessions, "50")
    shown = payload_text(confirm)
    assert "Total today: *$576.00*" in shown, shown
    assert "From prepaid credit: $50.00" in shown and "From the card: $526.00" in shown, shown
    assert "paid by the chosen card" not in shown
    done = payload_text(http.submit(confirm, {}).body["view"])
    with sessions() as session:
        invoice = session.scalars(select(Invoice)).one()
    assert (invoice.total, invoice.credit_used, invoice.card_charged) == (
        Decimal("576.00"),
        Decimal("50.00"),
        Decimal("526.00"),
    )
    assert [amount for _, amount, _ in gateway.charges] == [Decimal("526.00")]
    assert f"Invoice {invoice.number} of $576.00 (paid): $50.00 from credit, $526.00 by card." in done, done


def test_seats_new_paid_wholly_by_credit_says_nothing_on_the_card(
    http: SlackHttp, sessions: sessionmaker[Session], gateway: SimulatedGateway
) -> None:
    """Enough credit: $576.00 from credit, $0.00 on the card, and the card is not charged."""
    confirm, _ = _seats_new(http, sessions, "1000")
    shown = payload_text(confirm)
    assert "From prepaid credit: $576.00" in shown and "From the card: $0.00" in shown, shown
    done = payload_text(http.submit(confirm, {}).body["view"])
    assert "of $576.00 (paid): $576.00 from credit, $0.00 by card." in done, done
    assert not gateway.charges


def test_seats_new_paid_by_transfer_says_what_the_transfer_pays(
    http: SlackHttp, sessions: sessionmaker[Session], gateway: SimulatedGateway
) -> None:
    """Bank transfer with $50.00 of credit: the credit is drawn first and the invoice waits for the
    remaining $526.00, as the confirm step and the result say."""
    confirm, _ = _seats_new(http, sessions, "50", transfer=True)
    shown = payload_text(confirm)
    assert "From prepaid credit: $50.00" in shown, shown
    assert "By bank transfer (the invoice waits as awaiting transfer): $526.00" in shown, shown
    done = payload_text(http.submit(confirm, {}).body["view"])
    assert "of $576.00 (awaiting transfer): $50.00 from credit, $526.00 by bank transfer." in done, done
    with sessions() as session:
        assert session.scalars(select(Invoice.credit_used)).one() == Decimal("50.00")
    assert not gateway.charges
