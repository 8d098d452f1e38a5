"""Issue 15 §4: the desk with `RESELLER_PROVIDER=activecampaign`, over signed HTTP, against the
Partners Hub stand-in (a real HTTP server on 127.0.0.1 that checks every request against the
document), slow and failing; a portfolio of 2,500 vendor accounts imported twice; portal tasks for
what the API does not offer; and the `manual` vendor.

The app's provider is the ActiveCampaign adapter with the stand-in's short timeouts (`FAST`); the
slow test gives it a read timeout above the stand-in's delay."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.localslack import LocalSlack
from bot.operations import drain_all
from domain.clock import FixedClock
from domain.simulated import SimulatedGateway
from domain.store.models import Account, Invoice, VendorOperation
from domain.vendors.activecampaign import ActiveCampaignProvider
from tests.e2e.test_accounts_http import add_values, agency_with_profile, created_view
from tests.slackhttp import SlackHttp, payload_text
from tests.standins.fixtures import provider_for
from tests.standins.partners_hub import PartnersHub

ACCOUNTS = "/api/child-accounts/v1/"


@pytest.fixture
def provider(request: pytest.FixtureRequest, partners_hub: PartnersHub) -> Any:
    """The app under test talks to the stand-in (options from an indirect parametrization)."""
    adapter = provider_for(partners_hub, **getattr(request, "param", {}))
    yield adapter
    adapter.close()


def _count(db: Engine, model: Any) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def _creates(hub: PartnersHub) -> list[Any]:
    return hub.calls("POST", ACCOUNTS)


def _open_add(http: SlackHttp, sessions: sessionmaker[Session]) -> tuple[dict[str, Any], int]:
    _, profile_id = agency_with_profile(http, sessions)
    http.command("/accounts", "add")
    return http.opened_view(), profile_id


@pytest.mark.parametrize("provider", [{"timeout": 5.0}], indirect=True)
def test_a_slow_vendor_creates_the_account_after_an_instant_answer(
    http: SlackHttp,
    slack: LocalSlack,
    sessions: sessionmaker[Session],
    db: Engine,
    gateway: SimulatedGateway,
    partners_hub: PartnersHub,
) -> None:
    view, profile_id = _open_add(http, sessions)
    partners_hub.delay = 2.0  # every call from now on: longer than a comfortable ack, under the timeout
    mark = slack.mark()
    started = time.perf_counter()
    reply = http.submit(view, add_values(profile_id))
    elapsed = time.perf_counter() - started
    print(f"\nsubmission answered in {elapsed * 1000:.0f} ms with a vendor taking 2 s a call")
    assert elapsed < 1.0 and "Creating" in json.dumps(reply.body["view"])
    shown = created_view(slack, mark)
    assert "acme-shop" in json.dumps(shown) and "Password" in json.dumps(shown)
    creates = _creates(partners_hub)
    assert len(creates) == 1
    body = creates[0].body
    assert body["account_name"] == "acme-shop" and body["email"] == "boss@acme.example"
    assert body["billing_interval"] == 1 and body["products"]
    order = [(c.method, ("search", "acme-shop") in c.query) for c in partners_hub.requests]
    assert ("GET", True) in order[order.index(("POST", False)) + 1 :], order  # then found by name
    with sessions() as s:
        account = s.scalars(select(Account)).one()
        assert account.status == "active" and account.provider_ref
        invoice = s.scalars(select(Invoice)).one()
        assert invoice.billed_by == "vendor" and invoice.status == "paid"
    assert gateway.charges == []
