"""The unit of work: one transaction, rolled back unless the service commits it.

Services receive a `UnitOfWork` and reach storage only through its repositories, so unit tests run
them with `tests.fakes.FakeUnitOfWork`, a subclass of the same interface, and no database.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self

from domain.store.models import Agency, AuditEntry, Member, ProcessedRequest


class AgencyRepository(abc.ABC):
    @abc.abstractmethod
    def by_team(self, team_id: str) -> Agency | None: ...

    @abc.abstractmethod
    def get(self, agency_id: int) -> Agency: ...

    @abc.abstractmethod
    def add(self, agency: Agency) -> None: ...

    @abc.abstractmethod
    def lock(self, agency_id: int) -> None:
        """Hold the agency until the transaction ends, so changes that check a rule over all its
        members (the last owner stays) run one after the other, not side by side."""


class MemberRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, agency_id: int, user_id: str) -> Member | None: ...

    @abc.abstractmethod
    def list(self, agency_id: int) -> list[Member]: ...

    @abc.abstractmethod
    def add(self, member: Member) -> None: ...

    @abc.abstractmethod
    def remove(self, member: Member) -> None: ...


class AuditRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, entry: AuditEntry) -> None: ...

    @abc.abstractmethod
    def latest(self, agency_id: int, limit: int) -> list[AuditEntry]: ...


class ProcessedRequestRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, agency_id: int, key: str) -> ProcessedRequest | None: ...

    @abc.abstractmethod
    def add(self, request: ProcessedRequest) -> None: ...


class UnitOfWork(abc.ABC):
    agencies: AgencyRepository
    members: MemberRepository
    audit: AuditRepository
    requests: ProcessedRequestRepository

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...

    @abc.abstractmethod
    def flush(self) -> None:
        """Make pending rows visible to queries in this transaction and assign their ids."""
