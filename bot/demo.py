"""A demo portfolio, so the local shell shows a lived-in agency. Safe to run again."""

from __future__ import annotations

from bot.settings import Settings
from domain.agency import resolve_actor
from domain.roles import Role
from domain.store.db import make_engine, make_session_factory
from domain.store.migrate import upgrade
from domain.store.uow import SqlUnitOfWork

DEMO_OWNER = "U0LOCALOWNER"
DEMO_MEMBERS = {"U0DEMOBILL": Role.BILLING, "U0DEMOMGR": Role.MANAGER, "U0DEMOVIEW": Role.VIEWER}


def load_demo(settings: Settings, *, team_id: str, accounts: int | None = None) -> str:
    from domain import agency as service
    from domain.clock import SystemClock

    upgrade(settings.database_url)
    clock = SystemClock()
    engine = make_engine(settings.database_url)
    try:
        uow = SqlUnitOfWork(make_session_factory(engine))
        with uow:
            actor = resolve_actor(uow, clock, team_id, DEMO_OWNER, (*settings.reseller_owners, DEMO_OWNER))
            for user, role in DEMO_MEMBERS.items():
                service.add_member(uow, clock, actor, user, role)
    finally:
        engine.dispose()
    return f"demo agency ready: owner {DEMO_OWNER} and {len(DEMO_MEMBERS)} members"
