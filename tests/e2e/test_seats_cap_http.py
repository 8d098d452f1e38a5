"""A per-seat subscription holds at most the catalog's `max_licenses` (5,000 by default): a new
subscription or a top-up past it is refused with the limit, before any quote or charge."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from domain.catalog import Catalog
from domain.errors import InvalidInput
from domain.plans import PlanChoice, validate_choice
from domain.products import PerSeatProduct
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import Account, Invoice
from tests.e2e.test_seats_http import _seat_account
from tests.slackhttp import SlackHttp, text_input
from tests.slackhttp import select as pick

LIMIT = "at most 5,000 licenses"


def test_catalog_caps_licenses_at_a_realistic_number(catalog: Catalog) -> None:
    """The shipped catalog's per-seat product allows 5,000 licenses: 5,000 passes, 5,001 is refused."""
    spec = catalog.product("business-licenses")
    assert isinstance(spec, PerSeatProduct) and spec.max_licenses == 5000
    choice = PlanChoice(version="V3", product="business-licenses", frequency="annual", licenses=5000)
    validate_choice(catalog, choice)
    with pytest.raises(InvalidInput) as refused:
        validate_choice(catalog, PlanChoice(**{**choice.__dict__, "licenses": 5001}))
    assert refused.value.field == "licenses" and refused.value.params["maximum"] == 5000


def test_seats_buy_past_the_cap_is_refused_and_charges_nothing(
    http: SlackHttp,
    sessions: sessionmaker[Session],
    provider: SimulatedProvider,
    gateway: SimulatedGateway,
    db: Engine,
) -> None:
    """`/seats buy acme 100000` on a 2-license subscription: refused naming the limit, no confirm card;
    4,998 more (5,000 in all) is still quoted."""
    name = _seat_account(sessions, provider, licenses=2)
    refused = http.command("/seats", f"buy {name} 100000")
    assert LIMIT in refused.text and "100,002" in refused.text, refused.text
    assert "seats_buy_confirm" not in str(refused.body)
    assert "seats_buy_confirm" in str(http.command("/seats", f"buy {name} 4998").body)
    assert gateway.charges == []
    with Session(db) as session:
        assert session.scalar(select(func.count(Invoice.id))) == 0
        assert session.scalars(select(Account.seats)).one() == 2


def test_new_subscription_past_the_cap_is_refused_on_its_field(http: SlackHttp, db: Engine) -> None:
    """The `/seats new` form with 100,000 licenses: the error is on Licenses; nothing is created."""
    http.command("/seats", "new")
    view = http.opened_view()
    form = {
        "customer_name": text_input("Ana Lima"),
        "email": text_input("ana@acme.example"),
        "company": text_input("Acme SARL"),
        "country": text_input("DE"),
        "licenses": {"type": "number_input", "value": "100000"},
        "frequency": pick("12"),
        "profile": pick("transfer"),
    }
    reply = http.submit(view, form)
    assert reply.body["response_action"] == "errors", reply.body
    assert LIMIT in reply.body["errors"]["licenses"]
    with Session(db) as session:
        assert session.scalar(select(func.count(Account.id))) == 0
