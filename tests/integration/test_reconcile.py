"""The daily reconciliation on a real database: each difference with the vendor posted once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import Translator
from bot.notice_render import render_line
from domain.clock import FixedClock
from domain.notices.rules import DESK_ONLY, VENDOR_ONLY
from domain.ports import Capability, ProviderError, VendorPage
from domain.reconcile import run_reconciliation
from domain.simulated import SimulatedProvider
from domain.store.models import Notice
from tests.factories import make_account, make_agency
from tests.vendor import seed_vendor


@pytest.fixture
def provider(db: Engine, sessions: sessionmaker[Session]) -> SimulatedProvider:
    """The vendor lists vend-00001..3; the desk has vend-00001 and 2 (by reference), and `left-co`,
    whose reference the vendor no longer lists, and a transferred one (left alone)."""
    vendor = SimulatedProvider()
    seed_vendor(vendor, 3)
    with sessions.begin() as session:
        agency = make_agency(session, language="fr")
        make_account(session, agency, name="vend-00001", provider_ref="acc_vend_00001")
        make_account(session, agency, name="vend-00002", provider_ref="acc_vend_00002")
        make_account(session, agency, name="left-co", provider_ref="acc_left")
        make_account(session, agency, name="moved-co", provider_ref="acc_moved", status="transferred")
        make_account(session, agency, name="desk-only-no-ref", provider_ref=None)
    return vendor


def _notices(sessions: sessionmaker[Session]) -> list[tuple[str, str, dict[str, object]]]:
    with sessions() as session:
        rows = session.execute(select(Notice.kind, Notice.dedupe_key, Notice.payload).order_by(Notice.kind))
        return [(kind, key, payload) for kind, key, payload in rows]


def test_each_difference_is_posted_once_across_runs(
    provider: SimulatedProvider, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    first = run_reconciliation(sessions, provider, clock)
    assert first.counts == {DESK_ONLY: 1, VENDOR_ONLY: 1}
    clock.advance(timedelta(days=1))
    second = run_reconciliation(sessions, provider, clock)
    assert second.counts == {}
    notices = _notices(sessions)
    assert [(kind, payload["name"]) for kind, _, payload in notices] == [
        (DESK_ONLY, "left-co"),
        (VENDOR_ONLY, "vend-00003"),
    ]
    t = Translator("fr")
    line = render_line(t, VENDOR_ONLY, None, clock.now().date(), notices[1][2])
    assert (
        "vend-00003" in line
        and "/agency import" in line
        and line != render_line(Translator("en"), VENDOR_ONLY, None, clock.now().date(), notices[1][2])
    )
    seed_vendor(provider, 4)  # a new account at the vendor: one more notice, the old ones not again
    third = run_reconciliation(sessions, provider, clock)
    assert third.counts == {VENDOR_ONLY: 1}


def test_skipped_without_a_list_or_when_the_list_fails(
    provider: SimulatedProvider, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    provider.capabilities = frozenset(set(Capability) - {Capability.LIST_ACCOUNTS})
    assert run_reconciliation(sessions, provider, clock).counts == {
        "skipped: the vendor has no account list": 1
    }
    assert run_reconciliation(sessions, None, clock).counts == {"skipped: the vendor has no account list": 1}

    class Failing(SimulatedProvider):
        def list_accounts(self, page: int, limit: int) -> VendorPage:
            if page == 1:
                return super().list_accounts(page, 1)
            raise ProviderError("503", retryable=True)

    failing = Failing()
    seed_vendor(failing, 3)
    assert run_reconciliation(sessions, failing, clock).counts == {"failed": 1}
    assert _notices(sessions) == []  # a partial list would report accounts as missing
