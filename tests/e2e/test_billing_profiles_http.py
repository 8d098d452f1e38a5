"""`/billing profiles add`: a billing profile is a reference, never a card number (SPEC §7, §10).

With the simulated gateway a person picks one of its documented test cards by its label; with a
gateway without test cards (a vendor that bills the agency) they give the vendor's billing-profile
id with a label, brand, last four digits and expiry for display.
"""

from __future__ import annotations

import json
import re
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.shell.localslack import LocalSlack
from domain.cards import contains_card_number
from domain.simulated import SimulatedGateway, reference_outcome
from domain.store.models import AuditEntry, BillingProfile
from tests.e2e.test_agency_http import row_counts
from tests.e2e.test_card_guard import stored_text
from tests.e2e.test_processes import BIN, env_for
from tests.slackhttp import SlackHttp, text_input
from tests.slackhttp import select as pick


def _inputs(view: dict[str, Any]) -> dict[str, str]:
    """Block id: element type of every input of a view."""
    return {b["block_id"]: b["element"]["type"] for b in view["blocks"] if b["type"] == "input"}


def _add(http: SlackHttp, values: dict[str, Any]) -> Any:
    http.command("/billing", "profiles add")
    return http.submit(http.opened_view(), values)


def _profiles(sessions: sessionmaker[Session]) -> list[BillingProfile]:
    with sessions() as s:
        return list(s.scalars(select(BillingProfile).order_by(BillingProfile.id)))


def test_the_simulated_gateway_offers_its_test_cards_by_label_and_no_card_field(http: SlackHttp) -> None:
    """The modal is a select of test cards (succeeds, declined, network error) and a name: no text
    input could take a card number, and the modal itself holds none."""
    http.command("/agency", "members")
    http.command("/billing", "profiles add")
    view = http.opened_view()
    assert _inputs(view) == {"test_card": "static_select", "label": "plain_text_input"}
    select = next(b for b in view["blocks"] if b["block_id"] == "test_card")["element"]
    labels = {o["value"]: o["text"]["text"] for o in select["options"]}
    assert labels == {
        "4242": "Visa ···· 4242 — succeeds",
        "4444": "Mastercard ···· 4444 — succeeds",
        "9995": "Visa ···· 9995 — declined (insufficient funds)",
        "0119": "Visa ···· 0119 — network error",
    }
    assert not contains_card_number(json.dumps(view, ensure_ascii=False))


@pytest.mark.parametrize(
    ("locale", "title", "outcome"),
    [("fr-FR", "profil de facturation", "refusée"), ("it-IT", "profilo di fatturazione", "rifiutata")],
)
def test_the_modal_speaks_french_and_italian(
    http: SlackHttp, slack: LocalSlack, monkeypatch: pytest.MonkeyPatch, locale: str, title: str, outcome: str
) -> None:
    monkeypatch.setitem(slack.user_locales, "U0OWNER", locale)
    http.command("/agency", "members")
    http.command("/billing", "profiles add")
    view = json.dumps(http.opened_view(), ensure_ascii=False)
    assert title in view.lower() and outcome in view


def test_picking_a_test_card_stores_a_random_reference_and_charges_as_that_card(
    http: SlackHttp, sessions: sessionmaker[Session], db: Engine, gateway: SimulatedGateway
) -> None:
    """Two profiles of the same test card get different random references; each is charged as its
    card (9995 declines); the audit log and every table hold no card number and no reference."""
    http.command("/agency", "members")
    for label in ("Declines", ""):
        reply = _add(http, {"test_card": pick("9995"), "label": text_input(label)})
        assert reply.status == 200 and "errors" not in reply.body
    first, second = _profiles(sessions)
    assert (first.label, second.label) == ("Declines", "Visa ···· 9995")
    assert (first.brand, first.last4, first.exp_month, first.exp_year) == ("visa", "9995", 12, 2031)
    assert first.token != second.token
    assert all(re.fullmatch(r"tok_sim_declined_[0-9a-f]{32}", p.token) for p in (first, second))
    assert reference_outcome(first.token) == "declined"
    assert gateway.charge(first.token, Decimal("5.00"), "USD", "k1").declined
    with sessions() as s:
        audit = str([e.after for e in s.scalars(select(AuditEntry))])
    assert "9995" in audit and first.token not in audit and second.token not in audit
    assert "4000000000009995" not in stored_text(db)
    listing = http.command("/billing", "profiles").text
    assert "Declines" in listing and "9995" in listing


def test_an_unknown_test_card_is_refused_on_its_field(http: SlackHttp, db: Engine) -> None:
    http.command("/agency", "members")
    before = row_counts(db)
    reply = _add(http, {"test_card": pick("4242424242424242"), "label": text_input("")})
    assert "test_card" in reply.body["errors"]
    assert row_counts(db) == before


class VendorGateway(SimulatedGateway):
    """A gateway without test cards: the vendor bills the agency (ActiveCampaign, issue 15)."""

    test_cards = ()


class TestVendorBillingProfile:
    @pytest.fixture
    def gateway(self) -> SimulatedGateway:
        return VendorGateway()

    def test_the_form_asks_for_the_vendor_reference_and_what_to_show(self, http: SlackHttp) -> None:
        http.command("/agency", "members")
        http.command("/billing", "profiles add")
        assert _inputs(http.opened_view()) == {
            "reference": "plain_text_input",
            "brand": "static_select",
            "last4": "plain_text_input",
            "expiry": "plain_text_input",
            "label": "plain_text_input",
        }

    def test_a_vendor_profile_is_stored_as_its_reference(
        self, http: SlackHttp, sessions: sessionmaker[Session]
    ) -> None:
        http.command("/agency", "members")
        values = {
            "reference": text_input("bp_829371"),
            "brand": pick("mastercard"),
            "last4": text_input("4444"),
            "expiry": text_input("08/29"),
            "label": text_input("Finance card"),
        }
        reply = _add(http, values)
        assert reply.status == 200 and "errors" not in reply.body
        (profile,) = _profiles(sessions)
        assert (profile.token, profile.brand, profile.last4, profile.exp_month, profile.exp_year) == (
            "bp_829371",
            "mastercard",
            "4444",
            8,
            2029,
        )
        assert profile.label == "Finance card"
        again = _add(http, values)
        assert "reference" in again.body["errors"] and "already" in again.body["errors"]["reference"]
        assert "Finance card" in http.command("/billing", "profiles").text

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("reference", "5555 5555 5555 4444"),
            ("reference", "bp 829371"),
            ("reference", ""),
            ("last4", "44a4"),
            ("last4", "444"),
            ("expiry", "10/26"),
            ("expiry", "2029-08"),
            ("brand", "diners"),
            ("label", "card 5555.5555.5555.4444"),
        ],
    )
    def test_each_bad_field_is_answered_on_that_field_and_nothing_is_written(
        self, http: SlackHttp, db: Engine, field: str, value: str
    ) -> None:
        http.command("/agency", "members")
        before = row_counts(db)
        values = {
            "reference": text_input("bp_829371"),
            "brand": pick("visa"),
            "last4": text_input("4242"),
            "expiry": text_input("08/29"),
            "label": text_input(""),
            field: pick(value) if field == "brand" else text_input(value),
        }
        reply = _add(http, values)
        assert reply.body["response_action"] == "errors" and field in reply.body["errors"]
        assert row_counts(db) == before


def test_the_shell_picks_a_test_card_and_refuses_a_typed_card(tmp_path: Path, db: Engine) -> None:
    """The local shell goes through the same app: the add form is the test-card list, and a card
    number typed into a modal field (with zero-width spaces) or a command (with dots) is refused."""
    script = (
        "/billing profiles add\n3\nShell decline\n/billing profiles\n"
        "/accounts search:4242.4242.4242.4242\n"
        "/agency settings\n4242\u200b4242\u200b4242\u200b4242\n\n\n\n\n\n\n\n\n"
    )
    result = subprocess.run(
        [str(BIN / "reseller-bot"), "shell"],
        input=script,
        env=env_for(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Visa ···· 9995 — declined (insufficient funds)" in out
    assert re.search(r"Billing profile \d+ added: Shell decline, Visa ···· 9995\.", out)
    assert re.search(r"\d+\. Shell decline — Visa ···· 9995", out)
    assert out.count("That text contains a card number") == 2
    assert "▸ Card number" not in out
