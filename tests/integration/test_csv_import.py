"""Importing accounts from CSV on a real database: bad rows reported by line and reason and writing
nothing, good rows imported, the same file twice adding nothing, the card guard, refused files, the CLI."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.csv_cli import import_accounts
from bot.i18n import Translator
from bot.settings import Settings
from domain import csv_import
from domain.agency import Actor
from domain.cards import CARD_REFUSED
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.errors import Forbidden, InvalidInput
from domain.roles import Role
from domain.store.models import Account, AuditEntry, Invoice
from domain.store.uow import SqlUnitOfWork
from tests.factories import make_agency

HEADER = "name,client_name,client_email,country,product,tier,contacts,licenses,frequency,next_renewal,status,client_price"
GOOD = (
    "acme-shop,Acme Ltd,ops@acme.example,FR,marketing,plus,2500,,monthly,2026-12-10,active,150",
    "bistro,Bistro Roma,chef@bistro.example,IT,marketing,starter,1000,,annual,2027-06-01,,",
    "seats-co,Seats Co,it@seats.example,DE,business-licenses,,,12,annual,2027-02-01,disabled,",
    "try-me,Prospect,p@prospect.example,US,EM,trial,,,monthly,2026-12-05,,",
)
BAD = (
    "Bad Name,X,x@x.example,FR,marketing,plus,2500,,monthly,2026-12-10,,",  # line 6: name
    "ok-name,X,not-an-email,FR,marketing,plus,2500,,monthly,2026-12-10,,",  # line 7: email
    "card-co,Card 4242 4242 4242 4242,c@c.example,FR,marketing,plus,2500,,monthly,2026-12-10,,",  # 8: card
    "big-co,Big,b@b.example,FR,marketing,plus,2000000000,,monthly,2026-12-10,,",  # line 9: bounds
    "late-co,Late,l@l.example,FR,marketing,plus,2500,,monthly,2026-11-01,,",  # line 10: date in the past
    "zz-co,Zz,z@z.example,ZZ,marketing,plus,2500,,monthly,2026-12-10,,",  # line 11: country
)


@pytest.fixture
def owner(db: Engine, sessions: sessionmaker[Session]) -> Actor:
    with sessions.begin() as session:
        return Actor(make_agency(session).id, "U0OWNER", Role.OWNER)


def _run(
    sessions: sessionmaker[Session], clock: FixedClock, catalog: Catalog, actor: Actor, text: str
) -> csv_import.CsvResult:
    with SqlUnitOfWork(sessions) as uow:
        return csv_import.import_csv(uow, clock, catalog, actor, text)


def _names(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Account.name)))


def test_good_rows_imported_bad_rows_reported_by_line_and_the_same_file_twice_adds_nothing(
    owner: Actor, sessions: sessionmaker[Session], clock: FixedClock, catalog: Catalog
) -> None:
    text = "\n".join((HEADER, *GOOD, *BAD)) + "\n"
    result = _run(sessions, clock, catalog, owner, text)
    assert result.added == ["acme-shop", "bistro", "seats-co", "try-me"]
    assert [e.line for e in result.errors] == [6, 7, 8, 9, 10, 11]
    t = Translator("en")
    reasons = [t(e.message, **e.params) for e in result.errors]
    assert "lowercase" in reasons[0].lower()
    assert "email" in reasons[1].lower()
    assert result.errors[2].message == CARD_REFUSED
    assert "contacts" in reasons[3].lower() or "1,000,000,000" in reasons[3] or "1000000000" in reasons[3]
    assert "next_renewal" in reasons[4]
    assert "country" in reasons[5].lower() or "ZZ" in reasons[5]
    assert _names(sessions) == {"acme-shop", "bistro", "seats-co", "try-me"}  # nothing for a bad row
    with sessions() as session:
        acme = session.scalars(select(Account).where(Account.name == "acme-shop")).one()
        assert (acme.period_start, acme.period_end, acme.renewal_day) == (
            date(2026, 11, 10),
            date(2026, 12, 10),
            10,
        )
        assert (acme.client_price, acme.status, acme.price_per_cycle > 0) == (
            Decimal("150.00"),
            "active",
            True,
        )
        seats = session.scalars(select(Account).where(Account.name == "seats-co")).one()
        assert (seats.tier, seats.seats, seats.status, seats.frequency) == (
            "licenses",
            12,
            "disabled",
            "annual",
        )
        trial = session.scalars(select(Account).where(Account.name == "try-me")).one()
        assert (trial.status, trial.period_end) == ("trial", date(2026, 12, 5))
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0
        assert (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "account.imported")
            )
            == 4
        )
        assert "4242" not in str(list(session.scalars(select(AuditEntry.after))))
    again = _run(sessions, clock, catalog, owner, text)
    assert (again.added, sorted(again.existing), len(again.errors)) == ([], sorted(result.added), 6)
    assert len(_names(sessions)) == 4


def test_a_file_that_is_not_csv_or_has_wrong_columns_is_refused_in_one_line(
    owner: Actor, sessions: sessionmaker[Session], clock: FixedClock, catalog: Catalog
) -> None:
    t = Translator("en")
    for text, words in (
        ("name,client_name,colour\nx,y,z\n", "unknown: colour"),
        ("name,client_name\nx,y\n", "missing: client_email"),
        ("", "empty"),
        ("\x00\x01binary", "binary"),
        (HEADER + '\n"unclosed,quote\n', "not a readable CSV"),
    ):
        with pytest.raises(InvalidInput) as refused:
            _run(sessions, clock, catalog, owner, text)
        said = t(refused.value.message, **refused.value.params)
        assert words in said and "\n" not in said
    assert _names(sessions) == set()


def test_only_owners_import_and_the_slack_limit_holds(
    owner: Actor, sessions: sessionmaker[Session], clock: FixedClock, catalog: Catalog
) -> None:
    with SqlUnitOfWork(sessions) as uow, pytest.raises(Forbidden):
        csv_import.import_csv(uow, clock, catalog, Actor(owner.agency_id, "U0M", Role.MANAGER), HEADER)
    rows = [f"n-{i},C,c{i}@c.example,FR,marketing,plus,2500,,monthly,2026-12-10,," for i in range(51)]
    with SqlUnitOfWork(sessions) as uow, pytest.raises(InvalidInput):
        csv_import.import_csv(
            uow, clock, catalog, owner, "\n".join([HEADER, *rows]), max_rows=csv_import.MAX_SLACK_ROWS
        )
    assert _names(sessions) == set()


def test_the_cli_imports_a_file_and_reports_bad_lines(
    owner: Actor, settings: Settings, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """`reseller-bot import accounts FILE.csv`: exit 1 with the refused lines when some rows are bad."""
    path = tmp_path / "portfolio.csv"
    far = "2099-01-01"  # the CLI runs on the real clock: a date inside one cycle from today is needed
    from datetime import UTC, datetime, timedelta

    soon = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    path.write_text(
        "\n".join(
            (
                HEADER,
                f"cli-one,One,one@x.example,FR,marketing,plus,2500,,monthly,{soon},,",
                f"cli-two,Two,two@x.example,FR,marketing,plus,2500,,monthly,{far},,",
            )
        )
    )
    status, lines = import_accounts(settings, str(path), team="T0TEST", user="U0OWNER")
    assert status == 1
    assert lines[0].startswith("Line 3: next_renewal")
    assert lines[-1] == "1 added, 0 already there, 1 refused"
    assert "cli-one" in _names(sessions)
    (tmp_path / "bad.csv").write_text("colour\nred\n")
    status, lines = import_accounts(settings, str(tmp_path / "bad.csv"), team="T0TEST", user="U0OWNER")
    assert status == 2 and len(lines) == 1
