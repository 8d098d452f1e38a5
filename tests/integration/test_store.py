"""The schema and the services on a real database (SQLite by default, PostgreSQL via DATABASE_URL)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from domain import agency as service
from domain.clock import FixedClock
from domain.roles import Role
from domain.store.models import Base
from domain.store.uow import SqlUnitOfWork


def test_migrations_create_every_table(db: Engine) -> None:
    """Alembic's history builds every table the models declare."""
    assert set(Base.metadata.tables) <= set(inspect(db).get_table_names())


def test_models_and_migrations_agree(db: Engine) -> None:
    """No model change is missing a migration: autogenerate finds nothing to do."""
    with db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_members_round_trip(db: Engine, sessions: sessionmaker[Session], clock: FixedClock) -> None:
    """Bootstrap, add, change and remove members through the SQL unit of work, audited in order."""
    with SqlUnitOfWork(sessions) as uow:
        owner = service.resolve_actor(uow, clock, "T1", "U0OWNER", ("U0OWNER",))
        service.add_member(uow, clock, owner, "U0MARIA", Role.BILLING)
        service.add_member(uow, clock, owner, "U0MARIA", Role.MANAGER)
    with SqlUnitOfWork(sessions) as uow:
        members = {m.user_id: m.role for m in service.list_members(uow, owner)}
        assert members == {"U0OWNER": "owner", "U0MARIA": "manager"}
        service.remove_member(uow, clock, owner, "U0MARIA", ("U0OWNER",))
    with SqlUnitOfWork(sessions) as uow:
        actions = [e.action for e in uow.audit.latest(owner.agency_id, 10)]
    assert actions[0] == "member.removed" and "member.role_changed" in actions


def test_uncommitted_work_is_rolled_back(
    db: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    """Leaving a unit of work without commit writes nothing."""
    with SqlUnitOfWork(sessions) as uow:
        owner = service.resolve_actor(uow, clock, "T1", "U0OWNER", ("U0OWNER",))
    with SqlUnitOfWork(sessions) as uow:
        agency = uow.agencies.get(owner.agency_id)
        agency.name = "Not saved"
    with SqlUnitOfWork(sessions) as uow:
        assert uow.agencies.get(owner.agency_id).name != "Not saved"
