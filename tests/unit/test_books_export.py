"""The books export's row builders: money as plain decimals, ISO dates, formulas neutralised."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain import books_export as books
from domain.store.models import Account, Invoice, LedgerEntry


@pytest.mark.parametrize(
    ("typed", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Acme = best", "Acme = best"),
        ("", ""),
        (None, ""),
    ],
)
def test_a_typed_cell_that_a_spreadsheet_would_compute_is_prefixed(typed: str | None, cell: str) -> None:
    assert books.safe(typed) == cell


def test_money_is_a_plain_decimal_string_and_dates_are_iso() -> None:
    assert books.money(Decimal("1234.5")) == "1234.50"
    assert books.money(Decimal("-3")) == "-3.00"
    assert books.money(Decimal("1E+3")) == "1000.00"
    assert books.money(None) == ""
    assert books.day(date(2026, 11, 3)) == "2026-11-03"
    assert books.day(datetime(2026, 11, 3, 9, 5, 7, 123, tzinfo=UTC)) == "2026-11-03T09:05:07+00:00"
    assert books.day(None) == ""


def _invoice(**fields: object) -> Invoice:
    values: dict[str, object] = {
        "number": "INV-2026-000007",
        "kind": "renewal",
        "status": "paid",
        "currency": "EUR",
        "subtotal": Decimal("100"),
        "tax": Decimal("20.5"),
        "total": Decimal("120.50"),
        "credit_used": Decimal("20"),
        "card_charged": Decimal("100.5"),
        "payment_method": "card",
        "billed_by": "desk",
        "period_start": date(2026, 11, 1),
        "period_end": date(2026, 12, 1),
        "created_at": datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
        "paid_at": None,
    }
    values.update(fields)
    return Invoice(**values)


def test_an_invoice_row_keeps_money_and_currency_apart_and_guards_the_account_name() -> None:
    row = dict(zip(books.INVOICE_COLUMNS, books.invoice_row(_invoice(), "=cmd|'/c calc'!A0"), strict=True))
    assert row["total"] == "120.50" and row["tax"] == "20.50" and row["card_charged"] == "100.50"
    assert row["currency"] == "EUR"
    assert row["date"] == "2026-11-01T06:00:00+00:00" and row["period_end"] == "2026-12-01"
    assert row["account"] == "'=cmd|'/c calc'!A0"
    assert row["paid_at"] == ""


def test_a_ledger_row_of_money_has_the_currency_and_a_row_of_credits_has_none() -> None:
    now = datetime(2026, 11, 2, tzinfo=UTC)
    spent = LedgerEntry(
        id=4,
        pool="prepaid",
        unit="money",
        amount=Decimal("-12.3"),
        kind="charge",
        reason="+fee",
        actor="U1",
        invoice_id=9,
        created_at=now,
    )
    sms = LedgerEntry(
        id=5,
        pool="sms",
        unit="sms",
        amount=Decimal("500.00"),
        kind="purchase",
        reason=None,
        actor="U1",
        invoice_id=None,
        created_at=now,
    )
    money_row = dict(zip(books.LEDGER_COLUMNS, books.ledger_row(spent, None, "USD"), strict=True))
    assert money_row["amount"] == "-12.30" and money_row["currency"] == "USD"
    assert money_row["reason"] == "'+fee" and money_row["invoice"] == "9" and money_row["account"] == ""
    sms_row = dict(zip(books.LEDGER_COLUMNS, books.ledger_row(sms, "shop", "USD"), strict=True))
    assert sms_row["amount"] == "500" and sms_row["currency"] == "" and sms_row["unit"] == "sms"


def test_an_account_row_guards_every_typed_field() -> None:
    account = Account(
        name="acme",
        client_name="@evil",
        client_email="-x@y.example",
        company="+co",
        country="FR",
        vat_number=None,
        product="marketing",
        tier="plus",
        contacts=2500,
        seats=None,
        frequency="monthly",
        status="active",
        period_start=date(2026, 11, 10),
        period_end=date(2026, 12, 10),
        price_per_cycle=Decimal("49"),
        client_price=None,
        client_price_per="month",
        payment_method="card",
        created_at=datetime(2026, 11, 10, 12, tzinfo=UTC),
    )
    row = dict(zip(books.ACCOUNT_COLUMNS, books.account_row(account, "EUR"), strict=True))
    assert (row["client_name"], row["client_email"], row["company"]) == ("'@evil", "'-x@y.example", "'+co")
    assert row["price_per_cycle"] == "49.00" and row["client_price"] == "" and row["currency"] == "EUR"
    assert row["seats"] == "" and row["contacts"] == "2500" and row["period_start"] == "2026-11-10"


def test_the_csv_has_a_header_and_quotes_what_needs_it() -> None:
    text = books.to_csv(("a", "b"), [["x,y", 'say "hi"\nthen']])
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["x,y", 'say "hi"\nthen']]
    assert books.file_name("ledger", date(2026, 3, 1)) == "ledger-2026-03.csv"
    assert books.file_name("ledger", None) == "ledger-all.csv"
