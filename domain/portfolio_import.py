"""Bringing in an existing portfolio from the vendor's account list (`/agency import`, SPEC §9).

An owner starts an import; it runs after the ack, page by page (`PAGE_SIZE` accounts a page), and
each page commits together with the import's progress row (`PortfolioImport`), so:

- a crash, a restart or a vendor failure mid-way resumes at the first page not done (the next
  `/agency import` picks the interrupted import up); a page done twice adds nothing, because accounts
  are matched by their vendor reference, then by their name;
- one import per agency runs at a time: the row's `heartbeat_at` is the lease of the process running
  it, advanced with a compare-and-set at each page; a second command, or Slack's retry of the first
  (same trigger id), finds the running import and starts nothing;
- importing twice adds nothing: every account already in the desk counts as "already there".

What an imported account gets (the vendor gives a name, owner, email, creation time, an archived flag
and its plan, if readable):

- the plan: the vendor's plan mapped to the catalog (`map_plan`); when it cannot be mapped, the account
  is imported with a placeholder plan and `plan_to_confirm` set: it is never billed nor announced as
  renewing until a person sets its plan through Edit (`domain.accounts.changes.change_plan`, which
  then records the plan without charging anything);
- status `active` (a V1 trial: `trial`, ending its trial days after creation; a sandbox never ends);
- the anchor of its billing cycles is its creation day at the vendor (today when not given), in the
  agency's time zone: the renewal day is that day of the month, and the current period is the cycle
  (monthly, or annual for an annual plan) that contains today. The first charge the desk makes is at
  the end of that period: an import never charges anything;
- archived vendor accounts and names the desk cannot hold are skipped, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from domain import audit
from domain.accounts import rules
from domain.accounts.service import set_plan
from domain.agency import Actor, default_notification_email
from domain.catalog import Catalog, ContactsProduct, FreeProduct, PerSeatProduct
from domain.clock import Clock, today
from domain.errors import Conflict, DomainError, InvalidInput
from domain.i18n import N_
from domain.periods import Frequency, current_period
from domain.plans import PlanChoice, choice_from_json, validate_choice
from domain.portfolio import count_active_paid
from domain.ports import Capability, Provider, ProviderError, VendorAccount
from domain.pricing import quote
from domain.roles import Permission
from domain.store.models import Account, Agency, PortfolioImport
from domain.store.uow import SqlUnitOfWork

PAGE_SIZE = 100
LEASE = timedelta(minutes=5)
"""A running import whose process has not advanced it for this long is taken over by the next one."""
KEPT_SKIPPED = 50
"""Skipped accounts listed by name in the summary; the count covers them all."""
OPEN = ("running", "interrupted")

ARCHIVED = N_("archived at the vendor")
BAD_NAME = N_("a name the desk cannot hold (lowercase letters, digits and hyphens, at most 63)")
OTHER_REFERENCE = N_("the desk's account of this name is another vendor account")
ANOTHER_AGENCY = N_("another agency of this desk manages this vendor account")


def managed_elsewhere(session: Session, agency_id: int, refs: Sequence[str]) -> set[str]:
    """The vendor references among `refs` that another agency's accounts hold. The vendor lists what
    the deployment's partner login sees, every agency's accounts included (SPEC §11): an import must
    not give a second agency a desk account that drives the same client's account at the vendor."""
    if not refs:
        return set()
    return set(
        session.scalars(
            select(Account.provider_ref).where(Account.provider_ref.in_(refs), Account.agency_id != agency_id)
        )
    )


@dataclass(frozen=True)
class ImportState:
    """An import as the Slack side shows it."""

    id: int
    status: str
    next_page: int
    total_pages: int | None
    total: int | None
    added: int
    existing: int
    skipped: int
    to_confirm: int
    skipped_items: tuple[tuple[str, str], ...]
    failure: str | None
    channel: str | None
    message_ts: str | None
    started_by: str

    @property
    def done(self) -> int:
        return self.added + self.existing + self.skipped


@dataclass(frozen=True)
class Started:
    state: ImportState
    run: bool
    """True when the caller is to run it now (new or resumed); False: another run has it, or this is
    a retry of the command that started it."""
    resumed: bool = False


def state_of(row: PortfolioImport) -> ImportState:
    return ImportState(
        id=row.id,
        status=row.status,
        next_page=row.next_page,
        total_pages=row.total_pages,
        total=row.total,
        added=row.added,
        existing=row.existing,
        skipped=row.skipped,
        to_confirm=row.to_confirm,
        skipped_items=tuple((str(a), str(b)) for a, b in (row.skipped_items or [])),
        failure=row.failure,
        channel=row.channel,
        message_ts=row.message_ts,
        started_by=row.started_by,
    )


def require_listing(provider: Provider) -> None:
    if not provider.supports(Capability.LIST_ACCOUNTS):
        raise Conflict(
            N_(
                "This vendor has no API that lists its accounts: import them from a CSV file with `/agency import csv`."
            )
        )


def start(
    uow: SqlUnitOfWork,
    clock: Clock,
    provider: Provider,
    actor: Actor,
    *,
    request_key: str,
    channel: str | None,
) -> Started:
    """Owners only. A new import, the agency's interrupted or abandoned one resumed, or (a retry, a
    second command while one runs) the running one, not to be run again."""
    actor.require(Permission.MANAGE_AGENCY)
    require_listing(provider)
    uow.agencies.lock(actor.agency_id)
    now = clock.now()
    same = uow.session.scalars(
        select(PortfolioImport).where(
            PortfolioImport.agency_id == actor.agency_id, PortfolioImport.request_key == request_key
        )
    ).first()
    if same is not None:
        return Started(state_of(same), run=False)
    row = uow.session.scalars(
        select(PortfolioImport)
        .where(PortfolioImport.agency_id == actor.agency_id, PortfolioImport.status.in_(OPEN))
        .order_by(PortfolioImport.id.desc())
    ).first()
    if row is not None and row.status == "running" and _aware(row.heartbeat_at) > now - LEASE:
        return Started(state_of(row), run=False)
    resumed = row is not None
    if row is None:
        row = PortfolioImport(
            agency_id=actor.agency_id,
            request_key=request_key,
            status="running",
            next_page=1,
            added=0,
            existing=0,
            skipped=0,
            to_confirm=0,
            skipped_items=[],
            started_by=actor.user_id,
            started_at=now,
            heartbeat_at=now,
            channel=channel,
        )
        uow.session.add(row)
        action = "portfolio.import_started"
    else:
        row.status, row.failure = "running", None
        row.heartbeat_at = max(now, _aware(row.heartbeat_at) + timedelta(microseconds=1))
        row.channel, row.message_ts = channel or row.channel, None
        action = "portfolio.import_resumed"
    uow.session.flush()
    audit.record(
        uow,
        clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action=action,
        after={"page": row.next_page},
    )
    state = state_of(row)
    uow.commit()
    return Started(state, run=True, resumed=resumed)


def set_message(uow: SqlUnitOfWork, import_id: int, channel: str, ts: str) -> None:
    """Where the progress message is: a resumed run updates it too."""
    uow.session.execute(
        update(PortfolioImport)
        .where(PortfolioImport.id == import_id)
        .values(channel=channel, message_ts=ts)
        .execution_options(synchronize_session=False)
    )
    uow.commit()


def run(
    uows: Callable[[], SqlUnitOfWork],
    clock: Clock,
    catalog: Catalog,
    provider: Provider,
    actor: Actor,
    *,
    import_id: int,
    progress: Callable[[ImportState], None] | None = None,
) -> ImportState:
    """Import every page from the row's `next_page` on; returns the final state (`done`, or
    `interrupted` with the vendor's reason, to resume by running `/agency import` again)."""
    with uows() as uow:
        row = uow.session.get(PortfolioImport, import_id)
        if row is None or row.agency_id != actor.agency_id:
            raise InvalidInput(N_("There is no such import."))
        lease = row.heartbeat_at
        page = row.next_page
    while True:
        try:
            listed = provider.list_accounts(page, PAGE_SIZE)
        except ProviderError as exc:
            return _stop(
                uows, clock, actor, import_id=import_id, lease=lease, reason=str(exc) or type(exc).__name__
            )
        with uows() as uow:
            row = _claimed(uow, import_id, lease)
            if row is None:  # another process took the import over: it carries on, not this one
                return state_of(_reload(uow, import_id))
            outcome = import_page(uow, clock, catalog, actor, listed.accounts)
            lease = max(clock.now(), _aware(lease) + timedelta(microseconds=1))
            _advance(row, outcome, listed.total_pages, listed.total, lease)
            last = page >= listed.total_pages or not listed.accounts
            if last:
                row.status, row.finished_at = "done", clock.now()
                audit.record(
                    uow,
                    clock,
                    agency_id=actor.agency_id,
                    actor=actor.user_id,
                    action="portfolio.imported",
                    after={
                        k: getattr(row, k) for k in ("added", "existing", "skipped", "to_confirm", "total")
                    },
                )
            state = state_of(row)
            uow.commit()
        if progress is not None:
            progress(state)
        if last:
            return state
        page += 1


def _aware(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; the app's clock is UTC."""
    from datetime import UTC

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _claimed(uow: SqlUnitOfWork, import_id: int, lease: datetime) -> PortfolioImport | None:
    """The row, locked, if this run still holds it (its heartbeat is the one this run wrote)."""
    query = select(PortfolioImport).where(PortfolioImport.id == import_id)
    if uow.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = uow.session.scalars(query).first()
    if row is None or row.status != "running" or _aware(row.heartbeat_at) != _aware(lease):
        return None
    return row


def _reload(uow: SqlUnitOfWork, import_id: int) -> PortfolioImport:
    row = uow.session.get(PortfolioImport, import_id)
    assert row is not None
    return row


@dataclass
class PageOutcome:
    added: int = 0
    existing: int = 0
    to_confirm: int = 0
    skipped: list[tuple[str, str]] | None = None


def _advance(row: PortfolioImport, outcome: PageOutcome, pages: int, total: int, lease: datetime) -> None:
    skipped = outcome.skipped or []
    row.added += outcome.added
    row.existing += outcome.existing
    row.to_confirm += outcome.to_confirm
    row.skipped += len(skipped)
    room = KEPT_SKIPPED - len(row.skipped_items or [])
    if skipped and room > 0:
        row.skipped_items = [*(row.skipped_items or []), *[list(s) for s in skipped[:room]]]
    row.next_page += 1
    row.total_pages, row.total = pages, total
    row.heartbeat_at = lease


def _stop(
    uows: Callable[[], SqlUnitOfWork],
    clock: Clock,
    actor: Actor,
    *,
    import_id: int,
    lease: datetime,
    reason: str,
) -> ImportState:
    with uows() as uow:
        row = _claimed(uow, import_id, lease)
        if row is None:
            return state_of(_reload(uow, import_id))
        row.status, row.failure = "interrupted", reason[:500]
        audit.record(
            uow,
            clock,
            agency_id=actor.agency_id,
            actor=actor.user_id,
            action="portfolio.import_interrupted",
            after={"page": row.next_page},
            reason=reason[:500],
        )
        state = state_of(row)
        uow.commit()
    return state


def import_page(
    uow: SqlUnitOfWork, clock: Clock, catalog: Catalog, actor: Actor, accounts: Sequence[VendorAccount]
) -> PageOutcome:
    """Add the page's accounts the desk does not have yet; one query finds those it has."""
    session = uow.session
    agency = uow.agencies.get(actor.agency_id)
    refs = [a.reference for a in accounts if a.reference]
    names = [a.name.strip().lower() for a in accounts]
    known_refs: set[str] = set()
    known_names: dict[str, str | None] = {}
    # Two indexed lookups (by reference, by name): an OR of both would scan the portfolio.
    for column, values in ((Account.provider_ref, refs), (Account.name, names)):
        for name, ref in session.execute(
            select(Account.name, Account.provider_ref).where(
                Account.agency_id == actor.agency_id, column.in_(values)
            )
        ):
            known_names[name] = ref
            if ref:
                known_refs.add(ref)
    elsewhere = managed_elsewhere(session, actor.agency_id, refs)
    outcome = PageOutcome(skipped=[])
    assert outcome.skipped is not None
    day = today(clock, agency.timezone or "UTC")
    count = count_active_paid(session, actor.agency_id)
    prices: dict[PlanChoice, Decimal] = {}
    new: list[Account] = []
    for vendor in accounts:
        name = vendor.name.strip().lower()
        if vendor.reference in known_refs or (name in known_names and known_names[name] in (None, "")):
            outcome.existing += 1  # by reference, or by name for an account the desk made itself
            continue
        if name in known_names:
            outcome.skipped.append((vendor.name, OTHER_REFERENCE))
            continue
        if vendor.reference in elsewhere:
            outcome.skipped.append((vendor.name, ANOTHER_AGENCY))
            continue
        if vendor.archived:
            outcome.skipped.append((vendor.name, ARCHIVED))
            continue
        try:
            rules.clean_name(name)
        except DomainError:
            outcome.skipped.append((vendor.name[:80], BAD_NAME))
            continue
        choice = map_plan(catalog, vendor.plan)
        account = new_account(
            agency,
            actor,
            clock,
            name=name,
            client_name=(vendor.owner_name or name).strip()[:120],
            client_email=_email(vendor.email),
            created=vendor.created_at,
            day=day,
        )
        start_plan(account, catalog, choice, day=day, count=count, prices=prices)
        account.provider_ref = vendor.reference
        known_names[name], known_refs = vendor.reference, known_refs | {vendor.reference}
        new.append(account)
        outcome.added += 1
        outcome.to_confirm += int(account.plan_to_confirm)
    record_imported(uow, clock, actor, new)
    return outcome


def record_imported(
    uow: SqlUnitOfWork, clock: Clock, actor: Actor, accounts: list[Account], **source: str
) -> None:
    """Insert the new accounts in one flush, then audit each (`source`: where a CSV row came from)."""
    uow.session.add_all(accounts)
    uow.session.flush()
    for account in accounts:
        audit.record(
            uow,
            clock,
            agency_id=actor.agency_id,
            actor=actor.user_id,
            action="account.imported",
            target=account.name,
            after={**imported_facts(account), **source},
        )


def imported_facts(account: Account) -> dict[str, Any]:
    return {
        "reference": account.provider_ref,
        "status": account.status,
        "plan": f"{account.product} {account.tier}".strip(),
        "plan_to_confirm": account.plan_to_confirm,
        "period_end": account.period_end.isoformat(),
    }


def _email(raw: str) -> str:
    try:
        return rules.clean_email(raw, field="client_email") if raw else ""
    except DomainError:
        return ""


def new_account(
    agency: Agency,
    actor: Actor,
    clock: Clock,
    *,
    name: str,
    client_name: str,
    client_email: str,
    created: datetime | None,
    day: date,
    country: str = "",
    notification_email: str | None = None,
    language: str | None = None,
    timezone: str | None = None,
) -> Account:
    """An account as imports make it; `start_plan` gives it its plan, status and period."""
    now = clock.now()
    anchor = today(_Fixed(created), agency.timezone or "UTC") if created is not None else day
    return Account(
        agency_id=actor.agency_id,
        name=name,
        client_name=client_name or name,
        client_email=client_email,
        notification_email=notification_email or default_notification_email(agency) or client_email,
        country=country,
        region=rules.region_of(country) if country else "global",
        language=language or agency.language or "en",
        timezone=timezone or agency.timezone or "UTC",
        status="active",
        status_changed_at=now,
        created_at=created or now,
        purchased_on=min(anchor, day),
        renewal_day=anchor.day,
        period_start=min(anchor, day),
        period_end=day,
        is_commission=False,
        payment_method="card",
        price_per_cycle=Decimal("0.00"),
        cycles_billed=0,
        discount_eligible=True,
        discount_loss_pending=False,
        client_price_per="month",
        created_by=actor.user_id,
        plan_to_confirm=False,
    )


class _Fixed:
    """A clock stopped at one moment, to read a vendor's timestamp as a day in the agency's zone."""

    def __init__(self, moment: datetime) -> None:
        self.moment = _aware(moment)

    def now(self) -> datetime:
        return self.moment


def start_plan(
    account: Account,
    catalog: Catalog,
    choice: PlanChoice | None,
    *,
    day: date,
    count: int,
    prices: dict[PlanChoice, Decimal],
) -> None:
    """Plan, status and current period from the anchor (`purchased_on`): see the module docstring."""
    anchor = account.purchased_on or day
    if choice is None:
        account.plan_to_confirm = True
    choice = choice or placeholder_plan(catalog)
    set_plan(account, choice)
    spec = catalog.product(choice.product)
    if isinstance(spec, FreeProduct):
        level = spec.levels.get(choice.level or "")
        days = level.days if level and level.days else None
        account.status = "trial" if days else "active"
        account.period_start = anchor
        account.period_end = anchor + timedelta(days=days) if days else rules.NEVER_ENDS
        account.purchased_on = None
        return
    period = current_period(anchor, day, choice.months)
    account.period_start, account.period_end = period.start, period.end
    if not account.plan_to_confirm:
        if choice not in prices:
            prices[choice] = quote(
                catalog, choice, active_paid_count=count, today=day, require_country=False
            ).per_cycle
        account.price_per_cycle = prices[choice]


def placeholder_plan(catalog: Catalog) -> PlanChoice:
    """What a plan-to-confirm account holds meanwhile: the catalog's first contact-tiered plan,
    monthly. It is never priced nor charged (`plan_to_confirm`)."""
    for name in catalog.product_names("V3"):
        spec = catalog.product(name)
        if isinstance(spec, ContactsProduct):
            return PlanChoice("V3", name, tier=next(iter(spec.tiers)), contacts=spec.brackets[0])
    name = catalog.product_names()[0]
    return PlanChoice(catalog.version_of(name) or "V3", name)


def map_plan(catalog: Catalog, plan: Any) -> PlanChoice | None:
    """The vendor's plan as a catalog plan, or None when it cannot be read unambiguously.

    Two shapes are read: the desk's own plan (as the simulated vendor keeps it: version, product,
    tier...), and ActiveCampaign's `products` list (`[{code, tier, entitlements}]`, with the
    `billing_interval` in months beside it when given): exactly one product whose code and tier are
    the catalog's, its contacts a catalog bracket (or the first bracket when not given).
    """
    if not plan:
        return None
    try:
        choice: PlanChoice | None
        if isinstance(plan, dict) and "version" in plan and "product" in plan:
            choice = choice_from_json(plan)
        else:
            choice = _from_products(catalog, plan)
        if choice is None:
            return None
        validate_choice(catalog, choice)
    except (KeyError, TypeError, ValueError, DomainError):
        return None
    return choice


def _from_products(catalog: Catalog, plan: Any) -> PlanChoice | None:
    products = plan.get("products") if isinstance(plan, dict) else plan
    interval = plan.get("billing_interval") if isinstance(plan, dict) else None
    if not isinstance(products, list) or len(products) != 1 or not isinstance(products[0], dict):
        return None
    item = products[0]
    code, tier = str(item.get("code") or "").lower(), str(item.get("tier") or "").lower()
    frequency: Frequency = "annual" if interval == 12 else "monthly"
    if code not in catalog.product_names("V3"):
        return None
    spec = catalog.product(code)
    entitlements = item.get("entitlements")
    if isinstance(spec, PerSeatProduct):
        licenses = _entitlement(entitlements, ("licenses", "seats", "users"))
        return None if licenses is None else PlanChoice("V3", code, frequency=frequency, licenses=licenses)
    if not isinstance(spec, ContactsProduct) or tier not in spec.tiers:
        return None
    contacts = _entitlement(entitlements, ("contacts",))
    return PlanChoice("V3", code, tier=tier, contacts=contacts or spec.brackets[0], frequency=frequency)


def _entitlement(entitlements: Any, names: Iterable[str]) -> int | None:
    """A numeric entitlement, whether given as a mapping or as a list of {code|name, value}."""
    found: Any = None
    if isinstance(entitlements, dict):
        found = next((entitlements[n] for n in names if n in entitlements), None)
    elif isinstance(entitlements, list):
        for entry in entitlements:
            if isinstance(entry, dict) and str(entry.get("code") or entry.get("name") or "").lower() in names:
                found = entry.get("value", entry.get("limit"))
                break
    if isinstance(found, int) and not isinstance(found, bool):
        return found
    if isinstance(found, str) and found.isdigit():
        return int(found)
    return None


def latest(uow: SqlUnitOfWork, actor: Actor) -> ImportState | None:
    actor.require(Permission.READ)
    row = uow.session.scalars(
        select(PortfolioImport)
        .where(PortfolioImport.agency_id == actor.agency_id)
        .order_by(PortfolioImport.id.desc())
    ).first()
    return state_of(row) if row is not None else None


def plans_to_confirm(uow: SqlUnitOfWork, actor: Actor, limit: int = 20) -> tuple[list[str], int]:
    """The first names of the accounts whose plan is to confirm, and how many there are."""
    from sqlalchemy import func

    actor.require(Permission.READ)
    where = (Account.agency_id == actor.agency_id, Account.plan_to_confirm.is_(True))
    names = list(uow.session.scalars(select(Account.name).where(*where).order_by(Account.name).limit(limit)))
    total = int(uow.session.scalar(select(func.count()).select_from(Account).where(*where)) or 0)
    return names, total
