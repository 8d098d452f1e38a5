"""Portal tasks (SPEC §9): what a vendor's API does not offer is never pretended.

The desk records the change as usual and opens a task saying exactly what to do at the vendor: the
account, the values to set (never a secret) and a link to the partner portal. The task is posted once
to the agency channel through the notices outbox (kind `portal_task`, keyed on the task), listed by
`/agency tasks` and App Home, and repeated by a daily reminder until a member presses *Done*.

`run_or_task` is the one place every provider action goes through: the vendor's API when it offers
the capability, a portal task when it does not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from domain import audit, outbox
from domain.agency import Actor
from domain.clock import Clock, today
from domain.errors import Conflict, NotFound
from domain.i18n import N_
from domain.notices import rules as notice_rules
from domain.numbers import row_id
from domain.ports import Capability, Provider, Unsupported
from domain.roles import Permission
from domain.store.models import Account, Agency, Notice, PortalTask
from domain.uow import UnitOfWork

OPEN, DONE, REPLACED = "open", "done", "replaced"
OPENED_KEY = "portal_tasks_opened"
"""Where a unit of work's session remembers the tasks it opened, for the reply to say so."""
REMINDER_AFTER = timedelta(days=1)
"""A task still open this long after it was opened is repeated in the daily reminder."""
REMINDER_SHOWN = notice_rules.MAX_DIGEST_ITEMS
SECRET_WORDS = ("password", "secret", "token", "api_key")
T = TypeVar("T")


class Providers(Protocol):
    """Whatever picks the provider that serves a product (AccountPorts, the bot's Deps)."""

    def provider_for(self, product: str | None) -> Provider: ...


def choose(default: Provider, by_name: Mapping[str, Provider], product_provider: str | None) -> Provider:
    """The provider a product names in the catalog, when one is configured under that name; else the
    default (`RESELLER_PROVIDER`)."""
    if product_provider and product_provider in by_name:
        return by_name[product_provider]
    return default


@dataclass(frozen=True)
class TaskView:
    id: int
    account: str
    action: str
    values: dict[str, Any]
    provider: str
    portal_url: str
    state: str
    created_by: str
    created_at: datetime
    done_by: str | None
    done_at: datetime | None
    channel: str | None
    message_ts: str | None

    @property
    def done(self) -> bool:
        return self.state == DONE


def view(task: PortalTask) -> TaskView:
    return TaskView(
        id=task.id,
        account=task.account_name,
        action=task.action,
        values=dict(task.values or {}),
        provider=task.provider,
        portal_url=task.portal_url or "",
        state=task.state,
        created_by=task.created_by,
        created_at=task.created_at,
        done_by=task.done_by,
        done_at=task.done_at,
        channel=task.channel,
        message_ts=task.message_ts,
    )


def check_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values a task shows, refused if a key names a secret: a task never carries one."""
    for key in values:
        if any(word in key.lower() for word in SECRET_WORDS):
            msg = f"a portal task never carries a secret ({key})"
            raise ValueError(msg)
    return dict(values)


def task_key(account_name: str, action: str, values: Mapping[str, Any]) -> str:
    """The same change (account, action, values) has the same key, whoever asks and how often."""
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(f"{account_name}\n{action}\n{canonical}".encode()).hexdigest()[:40]
    return f"{action}:{account_name}:{digest}"[:200]


def notice_key(task_id: int) -> str:
    return f"{notice_rules.PORTAL_TASK}:{task_id}"


def open_task(
    uow: UnitOfWork,
    session: Session,
    clock: Clock,
    *,
    agency_id: int,
    account: Account | None,
    account_name: str,
    action: Capability,
    values: Mapping[str, Any],
    provider: Provider,
    actor: str,
) -> TaskView:
    """Open (once) the task for this change, inside the caller's transaction: the caller commits.

    The same change while its task is open returns that task; a different change of the same action
    on the same account replaces the older open task (only the latest values are worth doing)."""
    clean = check_values(values)
    key = task_key(account_name, action.value, clean)
    now = clock.now()
    row = {
        "agency_id": agency_id,
        "account_id": account.id if account is not None else None,
        "account_name": account_name,
        "action": action.value,
        "values": clean,
        "provider": provider.key,
        "portal_url": provider.portal_url or "",
        "state": OPEN,
        "dedupe_key": key,
        "open_key": key,
        "created_by": actor,
        "created_at": now,
    }
    statement = outbox.insert_ignoring_duplicates(session, PortalTask, row, ["agency_id", "open_key"])
    new = bool(getattr(session.execute(statement), "rowcount", 0))
    task = session.scalars(
        select(PortalTask).where(PortalTask.agency_id == agency_id, PortalTask.open_key == key)
    ).one()
    if new:
        _replace_older(session, task)
        _announce(uow, session, clock, task)
    session.info.setdefault(OPENED_KEY, []).append(task.id)
    return view(task)


def _replace_older(session: Session, task: PortalTask) -> None:
    """Older open tasks of the same account and action are replaced; their posts, if not sent yet,
    are dropped (only the latest values are worth doing)."""
    older = list(
        session.scalars(
            select(PortalTask.id).where(
                PortalTask.agency_id == task.agency_id,
                PortalTask.account_name == task.account_name,
                PortalTask.action == task.action,
                PortalTask.state == OPEN,
                PortalTask.id != task.id,
            )
        )
    )
    if not older:
        return
    session.execute(
        update(PortalTask)
        .where(PortalTask.id.in_(older), PortalTask.state == OPEN)
        .values(state=REPLACED, open_key=None),
        execution_options={"synchronize_session": False},
    )
    _drop_unsent(session, task.agency_id, older)


def _drop_unsent(session: Session, agency_id: int, task_ids: list[int]) -> None:
    session.execute(
        update(Notice)
        .where(
            Notice.agency_id == agency_id,
            Notice.dedupe_key.in_([notice_key(i) for i in task_ids]),
            Notice.status == "pending",
        )
        .values(status="skipped"),
        execution_options={"synchronize_session": False},
    )


def _announce(uow: UnitOfWork, session: Session, clock: Clock, task: PortalTask) -> None:
    agency = session.get_one(Agency, task.agency_id)
    audit.record(
        uow,
        clock,
        agency_id=task.agency_id,
        actor=task.created_by,
        action="portal_task.opened",
        target=task.account_name,
        after={"task": task.id, "action": task.action, **task.values},
    )
    outbox.enqueue(
        session,
        agency_id=task.agency_id,
        kind=notice_rules.PORTAL_TASK,
        due_on=today(clock, agency.timezone or "UTC"),
        now=clock.now(),
        payload=_payload(view(task)),
        key=notice_key(task.id),
    )


def _payload(task: TaskView) -> dict[str, Any]:
    return {
        "task_id": task.id,
        "account": task.account,
        "action": task.action,
        "values": task.values,
        "provider": task.provider,
        "portal_url": task.portal_url,
    }


def opened(uow: UnitOfWork) -> list[int]:
    """The ids of the tasks this unit of work opened (the reply says a task was opened instead)."""
    session: Session | None = getattr(uow, "session", None)
    return list(session.info.get(OPENED_KEY, ())) if session is not None else []


@dataclass(frozen=True)
class Routed:
    """What became of one provider action: done through the API, or a portal task."""

    done: bool
    task: TaskView | None = None


def run_or_task(
    uow: UnitOfWork,
    session: Session,
    clock: Clock,
    provider: Provider,
    *,
    capability: Capability | tuple[Capability, ...],
    account: Account,
    values: Mapping[str, Any],
    actor: str,
    call: Callable[[], object] | None,
) -> Routed:
    """Call the vendor when its API offers every capability named (and `call` is given: None means
    there is nothing at the vendor to call, e.g. an account it never provisioned); otherwise open a
    portal task with `values`. An API that turns out not to offer it (`Unsupported`) also opens one."""
    wanted = capability if isinstance(capability, tuple) else (capability,)
    if all(provider.supports(c) for c in wanted):
        if call is None:
            return Routed(done=False)
        try:
            call()
        except Unsupported:
            pass
        else:
            return Routed(done=True)
    task = open_task(
        uow,
        session,
        clock,
        agency_id=account.agency_id,
        account=account,
        account_name=account.name,
        action=wanted[0],
        values=values,
        provider=provider,
        actor=actor,
    )
    return Routed(done=False, task=task)


def fetch_or_none(provider: Provider, capability: Capability, call: Callable[[], T]) -> T | None:
    """A read the vendor may not offer (when a login unlocks): None when it does not."""
    if not provider.supports(capability):
        return None
    try:
        return call()
    except Unsupported:
        return None


@dataclass(frozen=True)
class Completed:
    task: TaskView
    already: bool
    """True when someone had already marked it done: `task.done_by` says who."""


def _find(session: Session, agency_id: int, task_id: object) -> PortalTask:
    found = row_id(task_id)
    task = session.get(PortalTask, found) if found is not None else None
    if task is None or task.agency_id != agency_id:  # another agency's task reads as no task at all
        raise NotFound(N_("This portal task is not there."))
    return task


def complete_task(
    uow: UnitOfWork, session: Session, clock: Clock, actor: Actor, task_id: object
) -> Completed:
    """Done: marked once (a conditional UPDATE, so two clicks at once mark it once), audited, and its
    post dropped from the outbox if it was not sent yet. A second click says who already did it."""
    actor.require(Permission.MANAGE_ACCOUNTS)
    task = _find(session, actor.agency_id, task_id)
    if task.state == REPLACED:
        raise Conflict(
            N_("This task was replaced by a newer one for {account}: do that one instead."),
            account=task.account_name,
        )
    now = clock.now()
    marked = session.execute(
        update(PortalTask)
        .where(PortalTask.id == task.id, PortalTask.state == OPEN)
        .values(state=DONE, done_by=actor.user_id, done_at=now, open_key=None),
        execution_options={"synchronize_session": False},
    )
    if not getattr(marked, "rowcount", 0):
        session.refresh(task)
        return Completed(view(task), already=True)
    _drop_unsent(session, task.agency_id, [task.id])
    audit.record(
        uow,
        clock,
        agency_id=task.agency_id,
        actor=actor.user_id,
        action="portal_task.done",
        target=task.account_name,
        before={"task": task.id, "state": OPEN},
        after={"task": task.id, "state": DONE, "action": task.action},
    )
    uow.commit()
    session.refresh(task)
    return Completed(view(task), already=False)


def open_tasks(session: Session, agency_id: int, limit: int = 20) -> tuple[int, list[TaskView]]:
    """The agency's open tasks, oldest first (the order to do them in), and how many there are."""
    where = (PortalTask.agency_id == agency_id) & (PortalTask.state == OPEN)
    total = int(session.scalar(select(func.count(PortalTask.id)).where(where)) or 0)
    rows = session.scalars(select(PortalTask).where(where).order_by(PortalTask.id).limit(limit))
    return total, [view(t) for t in rows]


def record_posted(session: Session, task_ids: list[int], channel: str, ts: str) -> None:
    """Where the task's message is, so Done pressed elsewhere (App Home, `/agency tasks`) updates it."""
    if task_ids:
        session.execute(
            update(PortalTask)
            .where(PortalTask.id.in_(task_ids), PortalTask.message_ts.is_(None))
            .values(channel=channel, message_ts=ts),
            execution_options={"synchronize_session": False},
        )


def reminder(session: Session, agency_id: int, day: date, now: datetime) -> notice_rules.Due | None:
    """The daily reminder of tasks open for a day or more (keyed on the day: once a day)."""
    where = (
        (PortalTask.agency_id == agency_id)
        & (PortalTask.state == OPEN)
        & (PortalTask.created_at <= now - REMINDER_AFTER)
    )
    total = int(session.scalar(select(func.count(PortalTask.id)).where(where)) or 0)
    if not total:
        return None
    rows = session.scalars(select(PortalTask).where(where).order_by(PortalTask.id).limit(REMINDER_SHOWN))
    payload = {"count": total, "tasks": [_payload(view(t)) for t in rows]}
    return notice_rules.Due(notice_rules.PORTAL_TASKS_OPEN, None, day, payload)
