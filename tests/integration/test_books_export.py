"""`reseller-bot export`: three CSV files per month or all, only the agency's own rows; exit 2 on bad input."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.books_cli import export_books
from bot.cli import main, parser
from bot.settings import Settings
from domain.store.models import Agency, Invoice, LedgerEntry
from tests.factories import make_account, make_agency


def _invoice(agency: Agency, number: str, at: datetime, total: str, account_id: int | None) -> Invoice:
    return Invoice(
        agency_id=agency.id, account_id=account_id, number=number, kind="renewal", status="paid",
        currency=agency.currency, lines=[], subtotal=Decimal(total), tax=Decimal("0"), total=Decimal(total),
        credit_used=Decimal("0"), card_charged=Decimal(total), payment_method="card",
        idempotency_key=number, actor="U0OWNER", created_at=at,
    )  # fmt: skip


def _entry(agency: Agency, amount: str, at: datetime, reason: str) -> LedgerEntry:
    return LedgerEntry(
        agency_id=agency.id, pool="prepaid", account_id=None, amount=Decimal(amount), unit="money",
        kind="topup", reason=reason, actor="U0OWNER", created_at=at,
    )  # fmt: skip


@pytest.fixture
def books(db: Engine, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        mine = make_agency(session, currency="EUR")
        other = make_agency(session, team_id="T0OTHER", owner="U0THEM")
        shop = make_account(session, mine, name="shop", client_name='=HYPERLINK("evil")')
        make_account(session, other, name="theirs")
        session.add_all(
            [
                _invoice(
                    mine, "INV-2026-000001", datetime(2026, 10, 31, 23, 59, tzinfo=UTC), "10.5", shop.id
                ),
                _invoice(mine, "INV-2026-000002", datetime(2026, 11, 1, 0, 0, tzinfo=UTC), "1234.5", shop.id),
                _invoice(mine, "INV-2026-000003", datetime(2026, 11, 30, 23, 59, tzinfo=UTC), "7", None),
                _invoice(other, "INV-2026-000009", datetime(2026, 11, 5, tzinfo=UTC), "99", None),
                _entry(mine, "500", datetime(2026, 10, 2, tzinfo=UTC), "opening"),
                _entry(mine, "-12.25", datetime(2026, 11, 2, tzinfo=UTC), "-fee"),
                _entry(other, "77", datetime(2026, 11, 2, tzinfo=UTC), "theirs"),
            ]
        )


def _read(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.mark.usefixtures("books")
def test_one_month_has_that_months_invoices_and_ledger_and_the_accounts_of_now(
    settings: Settings, tmp_path: Path
) -> None:
    status, lines = export_books(settings, team="T0TEST", month_text="2026-11", out=str(tmp_path / "out"))
    assert status == 0, lines
    assert len(lines) == 3
    invoices = _read(tmp_path / "out" / "invoices-2026-11.csv")
    assert [(r["number"], r["total"], r["currency"]) for r in invoices] == [
        ("INV-2026-000002", "1234.50", "EUR"),
        ("INV-2026-000003", "7.00", "EUR"),
    ]
    assert invoices[0]["account"] == "shop" and invoices[0]["date"] == "2026-11-01T00:00:00+00:00"
    ledger = _read(tmp_path / "out" / "ledger-2026-11.csv")
    assert [(r["amount"], r["currency"], r["reason"]) for r in ledger] == [("-12.25", "EUR", "'-fee")]
    accounts = _read(tmp_path / "out" / "accounts-2026-11.csv")
    assert [a["name"] for a in accounts] == ["shop"]
    assert accounts[0]["client_name"] == '\'=HYPERLINK("evil")'


@pytest.mark.usefixtures("books")
def test_all_months_and_nothing_of_another_agency(settings: Settings, tmp_path: Path) -> None:
    status, lines = export_books(settings, team="T0TEST", month_text=None, out=str(tmp_path))
    assert status == 0, lines
    assert lines[1] == f"{tmp_path / 'invoices-all.csv'}: 3 rows"
    numbers = [r["number"] for r in _read(tmp_path / "invoices-all.csv")]
    assert numbers == ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"]
    assert [r["amount"] for r in _read(tmp_path / "ledger-all.csv")] == ["500.00", "-12.25"]
    text = "".join(p.read_text() for p in tmp_path.iterdir())
    assert "theirs" not in text and "INV-2026-000009" not in text


@pytest.mark.usefixtures("books")
@pytest.mark.parametrize(
    ("team", "month", "option"),
    [("T0TEST", "2026-13", "--month"), ("T0TEST", "nov", "--month"), ("T0NOBODY", "2026-11", "--team")],
)
def test_a_bad_month_or_an_unknown_team_is_one_line_naming_the_option_and_writes_nothing(
    settings: Settings, tmp_path: Path, team: str, month: str, option: str
) -> None:
    status, lines = export_books(settings, team=team, month_text=month, out=str(tmp_path / "out"))
    assert status == 2 and len(lines) == 1 and lines[0].startswith(option + ":")
    assert not (tmp_path / "out").exists()


def test_the_command_line_takes_the_options() -> None:
    args = parser().parse_args(["export", "--month", "2026-11", "--team", "T1", "--out", "books"])
    assert (args.cmd, args.month, args.team, args.out) == ("export", "2026-11", "T1", "books")


@pytest.mark.usefixtures("books")
def test_main_exits_2_on_a_bad_month_and_0_with_the_files(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["export", "--team", "T0TEST", "--month", "2026/11", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("--month:")
    assert main(["export", "--team", "T0TEST", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "accounts-all.csv",
        "invoices-all.csv",
        "ledger-all.csv",
    ]
