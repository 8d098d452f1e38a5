"""Every change leaves an audit entry: who, what, when, the target, before/after, the reason."""

from __future__ import annotations

from typing import Any

from domain.clock import Clock
from domain.store.models import AuditEntry
from domain.uow import UnitOfWork


def record(
    uow: UnitOfWork,
    clock: Clock,
    *,
    agency_id: int,
    actor: str,
    action: str,
    target: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    uow.audit.add(
        AuditEntry(
            agency_id=agency_id,
            actor=actor,
            action=action,
            target=target,
            before=before,
            after=after,
            reason=reason,
            at=clock.now(),
        )
    )


def latest(uow: UnitOfWork, agency_id: int, limit: int) -> list[AuditEntry]:
    return uow.audit.latest(agency_id, max(1, min(limit, 50)))
