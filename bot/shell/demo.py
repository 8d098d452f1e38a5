"""A demo portfolio, so the local shell shows a lived-in agency. Safe to run again."""

from __future__ import annotations

from typing import Any

from bot.settings import Settings
from bot.shell.seed import seed_accounts
from domain import agency as service
from domain.accounts.common import AccountPorts
from domain.accounts.provisioning import add_account_now
from domain.accounts.queries import name_taken
from domain.accounts.service import AddAccount
from domain.agency import resolve_actor
from domain.catalog import load_catalog
from domain.clock import SystemClock
from domain.plans import PlanChoice
from domain.roles import Role
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.db import make_engine, make_session_factory
from domain.store.migrate import upgrade
from domain.store.models import BillingProfile
from domain.store.uow import SqlUnitOfWork

DEMO_OWNER = "U0LOCALOWNER"
DEMO_MEMBERS = {"U0DEMOBILL": Role.BILLING, "U0DEMOMGR": Role.MANAGER, "U0DEMOVIEW": Role.VIEWER}


def load_demo(settings: Settings, *, team_id: str, accounts: int | None = None) -> str:
    upgrade(settings.database_url)
    clock = SystemClock()
    engine = make_engine(settings.database_url)
    try:
        uow = SqlUnitOfWork(make_session_factory(engine))
        with uow:
            actor = resolve_actor(uow, clock, team_id, DEMO_OWNER, (*settings.reseller_owners, DEMO_OWNER))
            for user, role in DEMO_MEMBERS.items():
                service.add_member(uow, clock, actor, user, role)
        catalog = load_catalog(settings.reseller_catalog)
        added = _demo_accounts(make_session_factory(engine, catalog), actor, settings)
        if accounts is not None and accounts > added:
            added += seed_accounts(engine, team_id, DEMO_OWNER, accounts)
    finally:
        engine.dispose()
    return f"demo agency ready: owner {DEMO_OWNER}, {len(DEMO_MEMBERS)} members, {added} new accounts"


DEMO_ACCOUNTS = (
    ("acme-shop", "Acme Ltd", "FR", "V3:marketing:plus:2500"),
    ("bistro-roma", "Bistro Roma", "IT", "V3:marketing:starter:1000"),
    ("north-tools", "North Tools", "CA", "V3:bundle:professional:10000"),
    ("demo-trial", "Prospect Co", "DE", "V1:EM:trial"),
    ("agency-sandbox", "Our agency", "US", "V1:EM:sandbox"),
)


def _demo_accounts(sessions: Any, actor: Any, settings: Settings) -> int:
    """A few accounts through the real add service (a simulated test card pays), once."""
    clock, gateway = SystemClock(), SimulatedGateway()
    ports = AccountPorts(clock, load_catalog(settings.reseller_catalog), SimulatedProvider(), gateway)
    added = 0
    with SqlUnitOfWork(sessions) as uow:
        profile = uow.session.query(BillingProfile).filter_by(agency_id=actor.agency_id).first()
        if profile is None:
            card = gateway.test_card_reference("4242", 12, 2030)
            profile = BillingProfile(
                agency_id=actor.agency_id,
                label="Demo Visa",
                holder="",
                brand=card.brand,
                last4=card.last4,
                exp_month=card.exp_month,
                exp_year=card.exp_year,
                token=card.token,
                created_by=actor.user_id,
                created_at=clock.now(),
            )
            uow.session.add(profile)
            uow.commit()
        profile_id = profile.id
    for name, client, country, plan in DEMO_ACCOUNTS:
        parts = plan.split(":")
        if parts[0] == "V1":
            choice = PlanChoice(version="V1", product=parts[1], level=parts[2])
        else:
            choice = PlanChoice(version="V3", product=parts[1], tier=parts[2], contacts=int(parts[3]))
        with SqlUnitOfWork(sessions) as uow:
            if name_taken(uow.session, actor.agency_id, name):
                continue
            add_account_now(
                uow,
                ports,
                actor,
                AddAccount(
                    request_key=f"demo:{name}",
                    name=name,
                    client_name=client,
                    client_email=f"owner@{name}.example",
                    notification_email="ops@agency.example",
                    country=country,
                    language="en",
                    timezone="UTC",
                    plan=choice,
                    billing_profile_id=profile_id,
                ),
            )
            added += 1
    return added
