"""A renewal that keeps meeting a payment network failure is retried, but for `renewal_retry_days`
(3 by default) from its first failure only: then the account expires and the notice says why."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import Translator
from domain.billing.run import run_billing
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.notices import texts
from domain.simulated import SimulatedGateway
from domain.store.models import Account, Notice
from tests.factories import make_account, make_agency, make_profile

DAY = date(2026, 12, 10)


def _network_account(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as s:
        agency = make_agency(s)
        profile = make_profile(s, agency, "network")
        return make_account(s, agency, billing_profile_id=profile.id).id


def _bill(sessions: sessionmaker[Session], catalog: Catalog, day: date) -> dict[str, int]:
    clock = FixedClock(datetime.combine(day, time(6), UTC))
    return run_billing(sessions, SimulatedGateway(), catalog, clock, day=day).counts


def _status(sessions: sessionmaker[Session], account_id: int) -> Account:
    with sessions() as s:
        account = s.get_one(Account, account_id)
        s.expunge(account)
        return account


def test_network_failures_for_three_days_expire_the_account_with_a_notice_saying_so(
    db: Engine, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """Failing on the 10th, 11th and 12th: retried; still failing on the 13th (3 days after the first
    failure): expired, one charge-failed notice naming the network and the first day; a rerun adds
    nothing."""
    assert catalog.renewal_retry_days == 3
    account_id = _network_account(sessions)
    for offset in range(3):
        assert _bill(sessions, catalog, DAY + timedelta(days=offset)) == {"retry": 1}
        assert _status(sessions, account_id).status == "active"
    assert _bill(sessions, catalog, DAY + timedelta(days=3)) == {"expired": 1}
    account = _status(sessions, account_id)
    assert account.status == "expired" and "payment network unavailable" in (account.status_reason or "")
    assert _bill(sessions, catalog, DAY + timedelta(days=3)) == {}
    with sessions() as s:
        notice = s.scalars(select(Notice)).one()
    assert notice.kind == "charge_failed" and notice.payload["unavailable_since"] == "2026-12-10"
    text = texts.item(notice.kind, account.name, notice.due_on, notice.payload)
    english = Translator("en")(text.message, **text.params)
    assert "could not reach the payment network since Dec 10, 2026" in english
    assert "given up on Dec 13, 2026" in english and "$99.00" in english
    assert "réseau de paiement" in Translator("fr")(text.message, **text.params)


def test_days_count_from_the_first_failure_not_from_the_renewal_day(
    db: Engine, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """A scheduler stopped for a week meets the network failure on its first run back: it is retried,
    not expired at once, although the renewal day is 7 days past."""
    account_id = _network_account(sessions)
    assert _bill(sessions, catalog, DAY + timedelta(days=7)) == {"retry": 1}
    assert _bill(sessions, catalog, DAY + timedelta(days=9)) == {"retry": 1}
    assert _status(sessions, account_id).status == "active"
    assert _bill(sessions, catalog, DAY + timedelta(days=10)) == {"expired": 1}


def test_retry_days_come_from_the_catalog(
    db: Engine, sessions: sessionmaker[Session], catalog: Catalog
) -> None:
    """An agency catalog with `renewal_retry_days = 1` gives up on the day after the first failure."""
    quick = catalog.model_copy(update={"renewal_retry_days": 1})
    account_id = _network_account(sessions)
    assert _bill(sessions, quick, DAY) == {"retry": 1}
    assert _bill(sessions, quick, DAY + timedelta(days=1)) == {"expired": 1}
    assert _status(sessions, account_id).status == "expired"
