"""Rows for tests, with sensible defaults: `make_agency`, `make_profile`, `make_account`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from domain.roles import Role
from domain.store.models import Account, Agency, BillingProfile, Member

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def make_agency(session: Session, team_id: str = "T0TEST", owner: str = "U0OWNER", **fields: Any) -> Agency:
    """An agency with one owner; `team_id` matches the e2e tests' workspace by default."""
    values: dict[str, Any] = {
        "team_id": team_id,
        "name": "Test Agency",
        "currency": "USD",
        "timezone": "UTC",
        "language": "en",
        "low_balance_threshold": Decimal("100.00"),
        "notice_lead_days": "7,1",
        "archive_after_days": 30,
        "branding": {},
        "notification_email": "ops@agency.example",
        "notice_mutes": [],
        "notice_snoozes": {},
        "created_at": NOW,
    }
    values.update(fields)
    agency = Agency(**values)
    session.add(agency)
    session.flush()
    session.add(
        Member(agency_id=agency.id, user_id=owner, role=Role.OWNER.value, added_by="test", created_at=NOW)
    )
    session.flush()
    return agency


def make_profile(
    session: Session, agency: Agency, behaviour: str = "success", **fields: Any
) -> BillingProfile:
    """A billing profile of the simulated gateway's test card that does `behaviour` (success,
    declined or network): a reference naming that outcome, as `test_card_reference` makes them."""
    values: dict[str, Any] = {
        "agency_id": agency.id,
        "label": f"Visa {behaviour}",
        "holder": "",
        "brand": "visa",
        "last4": {"success": "4242", "declined": "9995", "network": "0119"}[behaviour],
        "exp_month": 12,
        "exp_year": 2030,
        "token": f"tok_sim_{behaviour}_test{behaviour}",
        "created_by": "U0OWNER",
        "created_at": NOW,
    }
    values.update(fields)
    profile = BillingProfile(**values)
    session.add(profile)
    session.flush()
    return profile


_counter = iter(range(1, 10_000_000))


def make_account(session: Session, agency: Agency, **fields: Any) -> Account:
    """An active monthly marketing plus 2,500 account created on 2026-11-10, unless told otherwise."""
    n = next(_counter)
    created = fields.pop("created_at", datetime(2026, 11, 10, 12, 0, tzinfo=UTC))
    values: dict[str, Any] = {
        "agency_id": agency.id,
        "name": f"acct-{n}",
        "client_name": f"Client {n}",
        "client_email": f"client{n}@example.com",
        "notification_email": "ops@agency.example",
        "country": "FR",
        "region": "eu",
        "language": "fr",
        "timezone": "Europe/Paris",
        "pricing_version": "V3",
        "product": "marketing",
        "tier": "plus",
        "contacts": 2500,
        "frequency": "monthly",
        "seats": None,
        "addons": [],
        "limits": {},
        "plan_size": 2500,
        "status": "active",
        "status_changed_at": created,
        "created_at": created,
        "purchased_on": created.date(),
        "renewal_day": created.day,
        "period_start": created.date(),
        "period_end": date(2026, 12, 10),
        "is_commission": False,
        "payment_method": "card",
        "price_per_cycle": Decimal("0.00"),
        "cycles_billed": 1,
        "discount_eligible": True,
        "discount_loss_pending": False,
        "client_price_per": "month",
        "created_by": "U0OWNER",
    }
    values.update(fields)
    account = Account(**values)
    session.add(account)
    session.flush()
    return account
