"""SQLAlchemy implementations of the unit of work and its repositories."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from domain import ledger
from domain.errors import NotFound
from domain.i18n import N_
from domain.store.models import Agency, AuditEntry, Member, ProcessedRequest
from domain.uow import (
    AgencyRepository,
    AuditRepository,
    MemberRepository,
    ProcessedRequestRepository,
    UnitOfWork,
)


class SqlAgencyRepository(AgencyRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_team(self, team_id: str) -> Agency | None:
        return self.session.scalars(select(Agency).where(Agency.team_id == team_id)).first()

    def get(self, agency_id: int) -> Agency:
        agency = self.session.get(Agency, agency_id)
        if agency is None:
            raise NotFound(N_("This workspace has no agency yet."))
        return agency

    def add(self, agency: Agency) -> None:
        self.session.add(agency)

    def lock(self, agency_id: int) -> None:
        ledger.lock_agency(self.session, agency_id)


class SqlMemberRepository(MemberRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, agency_id: int, user_id: str) -> Member | None:
        return self.session.scalars(
            select(Member).where(Member.agency_id == agency_id, Member.user_id == user_id)
        ).first()

    def list(self, agency_id: int) -> list[Member]:
        return list(
            self.session.scalars(
                select(Member).where(Member.agency_id == agency_id).order_by(Member.role, Member.user_id)
            )
        )

    def add(self, member: Member) -> None:
        self.session.add(member)

    def remove(self, member: Member) -> None:
        self.session.delete(member)


class SqlAuditRepository(AuditRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, entry: AuditEntry) -> None:
        self.session.add(entry)

    def latest(self, agency_id: int, limit: int) -> list[AuditEntry]:
        return list(
            self.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.agency_id == agency_id)
                .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                .limit(limit)
            )
        )


class SqlProcessedRequestRepository(ProcessedRequestRepository):
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, agency_id: int, key: str) -> ProcessedRequest | None:
        return self.session.scalars(
            select(ProcessedRequest).where(
                ProcessedRequest.agency_id == agency_id, ProcessedRequest.key == key
            )
        ).first()

    def add(self, request: ProcessedRequest) -> None:
        self.session.add(request)


class SqlUnitOfWork(UnitOfWork):
    """One session per unit of work; leaving the `with` block without commit rolls back."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def __enter__(self) -> Self:
        self.session = self.session_factory()
        self.agencies = SqlAgencyRepository(self.session)
        self.members = SqlMemberRepository(self.session)
        self.audit = SqlAuditRepository(self.session)
        self.requests = SqlProcessedRequestRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, tb)
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        self.session.flush()

    def insert_unique(self, row: object) -> bool:
        """Add `row` and write it under a savepoint. False when a unique constraint refuses it (a
        concurrent transaction committed the same key first; on PostgreSQL the insert waits for that
        one to end): only the savepoint is rolled back, so the caller can read what the other wrote
        in the same transaction."""
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            return False
        return True
