"""Importing one campaign-template share link into many resold accounts (SPEC §4 Templates).

Each account is one provider call and one row: a `TemplateImport` row exists only for an import that
succeeded, and its unique (agency, account, link) makes a second run skip it, so running the same
import again imports nothing twice. Failures are reported with the provider's reason and not
recorded, so the next run tries them again.

A confirmed import is a vendor operation (`domain.operations`, kind `template_import`): run after the
ack, and resumed by the scheduler's sweep if the process stops mid-way (the accounts done are skipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from domain import audit, operations
from domain.accounts import queries
from domain.accounts.common import AccountPorts, via_vendor
from domain.accounts.filters import Filters, parse_filters
from domain.agency import Actor
from domain.errors import DomainError, InvalidInput
from domain.i18n import N_
from domain.ports import Capability, ProviderError
from domain.roles import Permission, Role
from domain.store.models import Account, Member, TemplateImport, VendorOperation
from domain.store.uow import SqlUnitOfWork

MAX_ACCOUNTS = 500
"""One run imports into at most this many accounts; narrow the filters for more."""
MAX_LINK = 500
NOT_PROVISIONED = N_("the account is not provisioned at the provider")
TASK = "task"


def check_link(text: str) -> str:
    """A share link is an https URL with a host; anything else is refused before any account is touched."""
    link = text.strip().strip("<>")
    parts = urlsplit(link)
    if (
        len(link) > MAX_LINK
        or parts.scheme != "https"
        or not parts.hostname
        or any(c.isspace() for c in link)
    ):
        raise InvalidInput(
            N_("{link} is not a share link: paste the https:// link the template's Share button gives."),
            link=text[:80],
        )
    return link


@dataclass(frozen=True)
class Plan:
    link: str
    total: int
    names: list[str]


def plan(uow: SqlUnitOfWork, actor: Actor, link: str, filters: Filters, shown: int = 10) -> Plan:
    """What the confirm card lists: how many accounts match and the first of them."""
    actor.require(Permission.MANAGE_ACCOUNTS)
    total, accounts = queries.matching(uow.session, actor.agency_id, filters, shown)
    if total == 0:
        raise InvalidInput(
            N_("No account matches {filters}: nothing to import into."), filters=filters.as_text()
        )
    if total > MAX_ACCOUNTS:
        raise InvalidInput(
            N_("{n} accounts match; import into at most {max} at a time: add a filter such as plan:plus."),
            n=total,
            max=MAX_ACCOUNTS,
        )
    return Plan(check_link(link), total, [a.name for a in accounts])


def targets(uow: SqlUnitOfWork, actor: Actor, filters: Filters) -> list[str]:
    actor.require(Permission.MANAGE_ACCOUNTS)
    return [a.name for a in queries.matching(uow.session, actor.agency_id, filters, MAX_ACCOUNTS)[1]]


@dataclass(frozen=True)
class Result:
    name: str
    status: str
    """imported, task (a portal task was opened: the vendor's API cannot import templates), skipped
    (already imported or asked for) or failed."""
    reason: str = ""


def import_one(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str, link: str) -> Result:
    """One account: skip if already imported, else one provider call, recorded and audited on success."""
    actor.require(Permission.MANAGE_ACCOUNTS)
    session = uow.session
    account: Account = queries.by_name(session, actor.agency_id, name)
    done = select(TemplateImport.id).where(
        TemplateImport.agency_id == actor.agency_id,
        TemplateImport.account_id == account.id,
        TemplateImport.share_link == link,
    )
    if session.scalar(done) is not None:
        return Result(name, "skipped")
    if not account.provider_ref:
        return Result(name, "failed", NOT_PROVISIONED)
    try:
        routed = via_vendor(
            uow,
            ports,
            actor.user_id,
            account,
            Capability.TEMPLATES,
            values={"share_link": link},
            call=lambda provider, ref: provider.import_template(ref, link),
        )
    except ProviderError as error:
        return Result(name, "failed", str(error))
    # A portal task is recorded like an import: running the same import again opens no second task.
    status = "imported" if routed.task is None else TASK
    session.add(
        TemplateImport(
            agency_id=actor.agency_id,
            account_id=account.id,
            share_link=link,
            status=status,
            detail=None if routed.task is None else f"portal task {routed.task.id}",
            created_at=ports.clock.now(),
        )
    )
    if routed.task is None:
        audit.record(
            uow,
            ports.clock,
            agency_id=actor.agency_id,
            actor=actor.user_id,
            action="account.template_imported",
            target=account.name,
            after={"share_link": link},
        )
    try:
        uow.commit()
    except IntegrityError:  # a concurrent run recorded it first: the provider import is idempotent
        session.rollback()
        return Result(name, "skipped")
    return Result(name, status)


IMPORT = "template_import"


def request_import(
    uow: SqlUnitOfWork, actor: Actor, link: str, filters: str, *, key: str, now: Any, notify: dict[str, Any]
) -> VendorOperation:
    """Record the confirmed import (one per confirmation, however clicked) to run after the ack."""
    actor.require(Permission.MANAGE_ACCOUNTS)
    op = operations.start(
        uow,
        agency_id=actor.agency_id,
        kind=IMPORT,
        key=f"templates:{key}",
        requested_by=actor.user_id,
        now=now,
        target=check_link(link)[:120],
        payload={"link": link, "filters": filters},
        notify=notify,
    )
    uow.commit()
    return op


def results_of(result: dict[str, Any] | None) -> list[Result]:
    return [Result(str(r[0]), str(r[1]), str(r[2])) for r in (result or {}).get("results", [])]


class ImportTemplate:
    """Every matching account in turn (each its own provider call and commit), progress reported."""

    def call(
        self, sessions: sessionmaker[Session], ports: AccountPorts, op_id: int, progress: operations.Progress
    ) -> list[Result]:
        with sessions() as session:
            op = session.get(VendorOperation, op_id)
            if op is None:  # pragma: no cover - claimed rows are never deleted
                raise ProviderError("the import is gone")
            role = session.scalar(
                select(Member.role).where(Member.agency_id == op.agency_id, Member.user_id == op.requested_by)
            )
            if role is None:
                raise ProviderError("the member who asked for the import is no longer in the agency")
            actor = Actor(op.agency_id, op.requested_by, Role(role))
            link, filters = (
                str(op.payload["link"]),
                parse_filters(str(op.payload.get("filters") or "").split()),
            )
        with SqlUnitOfWork(sessions) as uow:
            names = targets(uow, actor, filters)
        results: list[Result] = []
        progress((results, len(names)))
        for name in names:
            try:
                with SqlUnitOfWork(sessions) as uow:
                    results.append(import_one(uow, ports, actor, name, link))
            except DomainError as error:  # the account went away or the member lost the right
                results.append(Result(name, "failed", error.message))
            progress((results, len(names)))
        return results

    def record(
        self, uow: SqlUnitOfWork, ports: AccountPorts, op: VendorOperation, called: Any
    ) -> tuple[dict[str, Any], str | None]:
        return {"results": [[r.name, r.status, r.reason] for r in called]}, None

    def fail(
        self, uow: SqlUnitOfWork, ports: AccountPorts, op: VendorOperation, error: ProviderError
    ) -> None:
        """Each account's import committed on its own: nothing to undo."""


operations.HANDLERS[IMPORT] = ImportTemplate()
