"""In-memory fakes that subclass the real interfaces, so service tests read like production wiring."""

from __future__ import annotations

from itertools import count
from typing import Any

from domain.errors import NotFound
from domain.store.models import Agency, AuditEntry, Member, ProcessedRequest
from domain.uow import (
    AgencyRepository,
    AuditRepository,
    MemberRepository,
    ProcessedRequestRepository,
    UnitOfWork,
)

_ids = count(1)


class FakeAgencies(AgencyRepository):
    def __init__(self) -> None:
        self.rows: dict[int, Agency] = {}
        self.locked: list[int] = []

    def by_team(self, team_id: str) -> Agency | None:
        return next((a for a in self.rows.values() if a.team_id == team_id), None)

    def get(self, agency_id: int) -> Agency:
        if agency_id not in self.rows:
            raise NotFound("no agency")
        return self.rows[agency_id]

    def add(self, agency: Agency) -> None:
        agency.id = next(_ids)
        self.rows[agency.id] = agency

    def lock(self, agency_id: int) -> None:
        self.locked.append(agency_id)


class FakeMembers(MemberRepository):
    def __init__(self) -> None:
        self.rows: list[Member] = []

    def get(self, agency_id: int, user_id: str) -> Member | None:
        return next((m for m in self.rows if m.agency_id == agency_id and m.user_id == user_id), None)

    def list(self, agency_id: int) -> list[Member]:
        return sorted((m for m in self.rows if m.agency_id == agency_id), key=lambda m: (m.role, m.user_id))

    def add(self, member: Member) -> None:
        member.id = next(_ids)
        self.rows.append(member)

    def remove(self, member: Member) -> None:
        self.rows.remove(member)


class FakeAudit(AuditRepository):
    def __init__(self) -> None:
        self.rows: list[AuditEntry] = []

    def add(self, entry: AuditEntry) -> None:
        self.rows.append(entry)

    def latest(self, agency_id: int, limit: int) -> list[AuditEntry]:
        return [e for e in reversed(self.rows) if e.agency_id == agency_id][:limit]


class FakeRequests(ProcessedRequestRepository):
    def __init__(self) -> None:
        self.rows: dict[tuple[int, str], ProcessedRequest] = {}

    def get(self, agency_id: int, key: str) -> ProcessedRequest | None:
        return self.rows.get((agency_id, key))

    def add(self, request: ProcessedRequest) -> None:
        self.rows[(request.agency_id, request.key)] = request


class FakeUnitOfWork(UnitOfWork):
    """Commits are counted; a test asserts `commits == 0` to prove nothing was written."""

    def __init__(self) -> None:
        self.agencies = FakeAgencies()
        self.members = FakeMembers()
        self.audit = FakeAudit()
        self.requests = FakeRequests()
        self.commits = 0

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        return None

    def flush(self) -> None:
        return None

    def snapshot(self) -> dict[str, Any]:
        return {
            "agencies": len(self.agencies.rows),
            "members": sorted((m.user_id, m.role) for m in self.members.rows),
            "audit": len(self.audit.rows),
        }
