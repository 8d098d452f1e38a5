"""The daily reconciliation: the desk against the vendor's own list of accounts (SPEC §9).

For each agency it pages through the vendor's accounts (`Provider.list_accounts`) and tells the agency
channel, through the notices outbox, of each difference:

- `vendor_only`: an account the vendor lists (not archived there) that the desk does not know, by
  reference or by name (import it with `/agency import`);
- `desk_only`: a desk account with a vendor reference that the vendor no longer lists (transferred
  accounts are left alone).

Each difference is posted once, whatever the number of runs or instances: its outbox key names the
difference (the vendor reference, or the desk account), not the day. Providers without
`Capability.LIST_ACCOUNTS` are skipped; so is an agency the vendor failed to list completely (a
partial list would report accounts as missing).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from domain.accounts.rules import TRANSFERRED
from domain.clock import Clock, today
from domain.jobs import JobReport
from domain.notices.rules import DESK_ONLY, VENDOR_ONLY
from domain.outbox import insert_ignoring_duplicates
from domain.ports import Capability, Provider, ProviderError, VendorAccount
from domain.store.models import Account, Agency, Notice
from domain.store.suspended import LIVE, note_skipped

PAGE_SIZE = 100
MAX_PAGES = 10_000
"""A vendor that keeps saying there is another page is not followed forever."""


def vendor_accounts(provider: Provider) -> list[VendorAccount]:
    """Every account the vendor lists, page by page. Raises ProviderError when a page fails."""
    found: list[VendorAccount] = []
    page = 1
    while page <= MAX_PAGES:
        listed = provider.list_accounts(page, PAGE_SIZE)
        found.extend(listed.accounts)
        if page >= listed.total_pages or not listed.accounts:
            break
        page += 1
    return found


def run_reconciliation(
    sessions: sessionmaker[Session], provider: Provider | None, clock: Clock, *, day: date | None = None
) -> JobReport:
    report = JobReport("reconcile", day or today(clock))
    if provider is None or not provider.supports(Capability.LIST_ACCOUNTS):
        report.count("skipped: the vendor has no account list")
        return report
    try:
        listed = vendor_accounts(provider)
    except ProviderError as exc:
        report.count("failed")
        report.lines.append(f"the vendor's account list failed, nothing compared: {exc}")
        return report
    with sessions() as session:
        # Agencies linked to this vendor: at least one account with its reference there.
        linked = select(Account.agency_id).where(Account.provider_ref.is_not(None)).distinct()
        query = select(Agency.id, Agency.timezone).where(Agency.id.in_(linked))
        agencies = list(session.execute(query.where(LIVE)))
        note_skipped(session, report, {agency_id for agency_id, _ in session.execute(query)})
    for agency_id, timezone in agencies:
        with sessions.begin() as session:
            when = day or today(clock, timezone or "UTC")
            for outcome in reconcile_agency(session, clock, agency_id, listed, when):
                report.count(outcome)
    return report


def reconcile_agency(
    session: Session, clock: Clock, agency_id: int, listed: list[VendorAccount], day: date
) -> list[str]:
    """The differences newly recorded for one agency (one outcome per notice enqueued)."""
    rows = session.execute(
        select(Account.id, Account.name, Account.provider_ref, Account.status).where(
            Account.agency_id == agency_id
        )
    ).all()
    names = {name for _, name, _, _ in rows}
    refs = {ref for _, _, ref, _ in rows if ref}
    at_vendor = {a.reference for a in listed}
    outcomes: list[str] = []
    for vendor in listed:
        if vendor.archived or vendor.reference in refs or vendor.name.strip().lower() in names:
            continue
        payload = {"name": vendor.name[:120], "reference": vendor.reference[:64]}
        if _enqueue(
            session,
            clock,
            agency_id,
            kind=VENDOR_ONLY,
            what=f"ref:{vendor.reference}",
            account_id=None,
            day=day,
            payload=payload,
        ):
            outcomes.append(VENDOR_ONLY)
    for account_id, name, ref, status in rows:
        if not ref or ref in at_vendor or status == TRANSFERRED:
            continue
        payload = {"name": name, "reference": ref}
        if _enqueue(
            session,
            clock,
            agency_id,
            kind=DESK_ONLY,
            what=f"account:{account_id}",
            account_id=account_id,
            day=day,
            payload=payload,
        ):
            outcomes.append(DESK_ONLY)
    return outcomes


def _enqueue(
    session: Session,
    clock: Clock,
    agency_id: int,
    *,
    kind: str,
    what: str,
    account_id: int | None,
    day: date,
    payload: dict[str, Any],
) -> bool:
    """One outbox row per difference, ever: the key has no date (`outbox.enqueue`'s has one)."""
    now = clock.now()
    values = {
        "agency_id": agency_id,
        "kind": kind,
        "account_id": account_id,
        "due_on": day,
        "dedupe_key": f"{kind}:{what}"[:200],
        "payload": payload,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    # The new row's id, if any: with the implicit RETURNING PostgreSQL's rowcount is -1 either way.
    statement = insert_ignoring_duplicates(session, Notice, values, ["agency_id", "dedupe_key"])
    return session.execute(statement.returning(Notice.id)).first() is not None  # type: ignore[attr-defined]
