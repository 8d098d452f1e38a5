"""Codes stored in the database (invoice kinds and statuses, ledger kinds, pool names, account
statuses) are shown as words in the reader's language, never as `first_cycle` or `sms`."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import Translator
from bot.vocabulary import human
from domain import ledger
from domain.i18n import N_, Word
from domain.store.models import Invoice
from tests.factories import make_account, make_agency, make_profile
from tests.slackhttp import SlackHttp

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
KINDS = (("first_cycle", "paid"), ("credit_purchase", "paid"), ("topup", "awaiting_transfer"))


def _invoices(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        agency = make_agency(s)
        make_profile(s, agency)
        account = make_account(s, agency, name="acme")
        make_account(s, agency, name="gone", status="expired")
        for n, (kind, status) in enumerate(KINDS, start=1):
            s.add(
                Invoice(
                    agency_id=agency.id,
                    account_id=None if kind == "credit_purchase" else account.id,
                    number=f"INV-2026-{n:06d}",
                    kind=kind,
                    status=status,
                    currency="USD",
                    lines=[],
                    subtotal=Decimal("10.00"),
                    total=Decimal("10.00"),
                    idempotency_key=f"k{n}",
                    actor="U0OWNER",
                    created_at=AT,
                )
            )
        ledger.append(
            s, agency_id=agency.id, pool="sms", amount=Decimal(1000), kind="purchase", actor="system", at=AT
        )


def test_invoice_kinds_and_statuses_read_as_words_in_english_and_french(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """`/billing history` says "first cycle", "credit purchase", "license top-up", "awaiting transfer"
    (and "premier cycle", "achat de crédit", "ajout de licences", "virement attendu" in French)."""
    _invoices(sessions)
    english = http.command("/billing", "history").text
    for words in ("first cycle", "credit purchase", "license top-up", "awaiting transfer"):
        assert words in english, english
    for code in ("first_cycle", "credit_purchase", "topup", "awaiting_transfer"):
        assert code not in english, english
    http.command("/agency", "members add U0FRENCH owner")
    french = http.command("/billing", "history", user="U0FRENCH").text
    for words in ("premier cycle", "achat de crédit", "ajout de licences", "virement attendu"):
        assert words in french, french
    assert "awaiting transfer" in http.command("/billing", "invoice INV-2026-000003").text


def test_pool_names_in_refusals_and_history_are_words(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """Too many SMS credits asked: "The SMS pool has…" with the command word `sms` kept; a preview
    pack that does not exist names the inbox-preview pool; the history says "purchase"."""
    _invoices(sessions)
    refused = http.command("/credits", "allocate sms 5000 acme").text
    assert (
        "The SMS pool has 1,000 credits; 5,000 asked" in refused
        and "`/credits buy sms &lt;pack&gt;`" in refused
    )
    assert "There is no inbox preview pack of 7" in http.command("/credits", "buy preview 7").text
    assert "SMS +1,000 · purchase · agency pool" in http.command("/credits", "history").text
    http.command("/agency", "members add U0FRENCH owner")
    french = http.command("/credits", "allocate sms 5000 acme", user="U0FRENCH").text
    assert "La réserve SMS a" in french and "`/credits buy sms &lt;pack&gt;`" in french
    expired = http.command("/credits", "allocate sms 10 gone", user="U0FRENCH").text
    assert "expired" not in expired and "expiré" in expired, expired


def test_word_parameters_are_translated_for_the_reader() -> None:
    """A `Word` parameter is a message id: translated before it goes in the sentence. A plain str is
    translated only when its parameter holds codes (`status`, `role`…) and it is a code the vocabulary
    knows; a name is left as typed."""
    fr = Translator("fr")
    assert fr(N_("A {status} account cannot be renewed."), status=Word("archived")) == fr(
        N_("A {status} account cannot be renewed."), status="archived"
    )
    assert "archived" in fr(N_("{name} was already transferred out."), name="archived")
    assert (
        human(fr, "first_cycle") == "premier cycle" and human(Translator("en"), "topup") == "license top-up"
    )
