"""Importing accounts from a CSV file, for vendors without an API (SPEC §9 "Existing portfolios").

The CLI (`reseller-bot import accounts FILE.csv`) and the Slack modal (`/agency import csv`, rows
pasted, `MAX_SLACK_ROWS` at most) share this. The first line names the columns (README "Importing
accounts from a CSV file"); each later line is one account. Every row is checked like the add-account
modal's fields (name, client, emails, country, language, time zone), its plan like any plan choice
(catalog bounds), its dates, status and client price; a card number in any cell refuses the row.
A bad row is reported with its line number and reason and writes nothing; the good rows are imported
in one transaction. An account whose name (or vendor reference) the desk already has is "already
there": importing the same file twice adds nothing. Nothing is charged: the first charge is on the
row's next renewal date, which must come after today and within one billing cycle.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import or_, select

from domain import audit
from domain.accounts import rules
from domain.accounts.service import set_plan
from domain.agency import Actor
from domain.cards import CARD_REFUSED, contains_card_number
from domain.catalog import Catalog, ContactsProduct, FreeProduct, PerSeatProduct
from domain.clock import Clock, today
from domain.errors import DomainError, InvalidInput
from domain.i18n import N_
from domain.margins import parse_client_price
from domain.numbers import whole_number
from domain.periods import Frequency
from domain.plaintext import UNSTORABLE_REFUSED, holds_unstorable
from domain.plans import MAX_QUANTITY, PlanChoice, validate_choice
from domain.portfolio import count_active_paid
from domain.portfolio_import import managed_elsewhere, new_account, record_imported
from domain.pricing import quote
from domain.roles import Permission
from domain.store.models import Account
from domain.store.uow import SqlUnitOfWork

REQUIRED = ("name", "client_name", "client_email", "country", "product", "tier", "frequency", "next_renewal")
OPTIONAL = (
    "contacts",
    "licenses",
    "status",
    "client_price",
    "notification_email",
    "language",
    "timezone",
    "vendor_reference",
)
COLUMNS = REQUIRED + OPTIONAL
MAX_SLACK_ROWS = 50
"""Rows the Slack modal takes: its text box holds 3,000 characters (Slack's limit for one input)."""
MAX_SLACK_CHARS = 3000
MAX_FILE_ROWS = 100_000
STATUSES = ("active", "disabled", "cancelled")
"""Statuses a paid row may have (empty: active). A V1 row's status follows its level."""


ELSEWHERE = N_("vendor_reference: another agency of this desk manages that vendor account.")


@dataclass(frozen=True)
class RowError:
    line: int
    message: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class CsvResult:
    added: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    name: str
    client_name: str
    client_email: str
    country: str
    plan: PlanChoice
    status: str
    next_renewal: date
    client_price: Decimal | None
    client_price_per: str
    notification_email: str | None
    language: str | None
    timezone: str | None
    reference: str | None


def read_rows(text: str, *, max_rows: int = MAX_FILE_ROWS) -> list[tuple[int, dict[str, str]]]:
    """The data rows with their line numbers (the header is line 1). Raises InvalidInput, one clear
    line, for text that is not CSV, unknown or missing columns, or too many rows."""
    if "\x00" in text:
        raise InvalidInput(N_("That is not a CSV file (it holds binary data): nothing was imported."))
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise InvalidInput(
                N_("The CSV is empty: its first line names the columns, like {columns}."),
                columns=", ".join(REQUIRED),
            )
        names = [cell.strip().lower() for cell in header]
        unknown = [n for n in names if n not in COLUMNS]
        missing = [n for n in REQUIRED if n not in names]
        if unknown or missing or len(set(names)) != len(names):
            raise InvalidInput(
                N_(
                    "The CSV's first line must name its columns: {required} (and optionally {optional}); unknown: {unknown}; missing: {missing}. Nothing was imported."
                ),
                required=", ".join(REQUIRED),
                optional=", ".join(OPTIONAL),
                unknown=", ".join(unknown) or "-",
                missing=", ".join(missing) or "-",
            )
        rows: list[tuple[int, dict[str, str]]] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= max_rows:
                raise InvalidInput(
                    N_("At most {max} rows at a time: nothing was imported. Split the file."), max=max_rows
                )
            padded = [*cells, *[""] * max(0, len(names) - len(cells))]
            row = {n: padded[i].strip() for i, n in enumerate(names)}
            if len(cells) > len(names):
                row["\x00extra"] = "1"
            rows.append((reader.line_num, row))
    except csv.Error:
        raise InvalidInput(N_("That is not a readable CSV file: nothing was imported.")) from None
    return rows


def import_csv(
    uow: SqlUnitOfWork,
    clock: Clock,
    catalog: Catalog,
    actor: Actor,
    text: str,
    *,
    max_rows: int = MAX_FILE_ROWS,
) -> CsvResult:
    """Owners only. Check every row, then add the good ones the desk does not have yet."""
    actor.require(Permission.MANAGE_AGENCY)
    rows = read_rows(text, max_rows=max_rows)
    agency = uow.agencies.get(actor.agency_id)
    day = today(clock, agency.timezone or "UTC")
    result = CsvResult()
    good: list[_Row] = []
    for line, cells in rows:
        try:
            good.append(_check(catalog, line, cells, day))
        except DomainError as error:
            result.errors.append(RowError(line, error.message, dict(error.params)))
    session = uow.session
    known_names: set[str] = set()
    known_refs: set[str] = set()
    elsewhere: set[str] = set()
    for start in range(0, len(good), 500):
        chunk = good[start : start + 500]
        refs = [r.reference for r in chunk if r.reference]
        elsewhere |= managed_elsewhere(session, actor.agency_id, refs)
        for name, ref in session.execute(
            select(Account.name, Account.provider_ref).where(
                Account.agency_id == actor.agency_id,
                or_(Account.name.in_([r.name for r in chunk]), Account.provider_ref.in_(refs)),
            )
        ):
            known_names.add(name)
            if ref:
                known_refs.add(ref)
    count = count_active_paid(session, actor.agency_id)
    new: list[Account] = []
    for row in good:
        if row.reference and row.reference in elsewhere and row.reference not in known_refs:
            result.errors.append(RowError(row.line, ELSEWHERE))
            continue
        if row.name in known_names or (row.reference and row.reference in known_refs):
            result.existing.append(row.name)
            continue
        known_names.add(row.name)
        if row.reference:
            known_refs.add(row.reference)
        account = _account(agency, actor, clock, catalog, row, day=day, count=count)
        new.append(account)
        result.added.append(row.name)
    result.errors.sort(key=lambda error: error.line)
    record_imported(uow, clock, actor, new, source="csv")
    audit.record(
        uow,
        clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="portfolio.csv_imported",
        after={"added": len(result.added), "existing": len(result.existing), "refused": len(result.errors)},
    )
    uow.commit()
    return result


def _check(catalog: Catalog, line: int, cells: dict[str, str], day: date) -> _Row:
    """The row's fields checked in the add-account modal's order; the first problem is its reason."""
    if cells.pop("\x00extra", None):
        raise InvalidInput(N_("more cells than the header has columns."))
    for value in cells.values():
        if contains_card_number(value):
            raise InvalidInput(CARD_REFUSED)
        if holds_unstorable(value):
            raise InvalidInput(UNSTORABLE_REFUSED)
    name = rules.clean_name(cells["name"])
    client = cells["client_name"]
    if not client or len(client) > 120:
        raise InvalidInput(N_("Give the client's name (1 to 120 characters)."), field="client_name")
    email = rules.clean_email(cells["client_email"], field="client_email")
    country = rules.clean_country(cells["country"])
    notification = cells.get("notification_email") or None
    if notification:
        notification = rules.clean_email(notification, field="notification_email")
    language = rules.clean_language(cells["language"]) if cells.get("language") else None
    timezone = rules.clean_timezone(cells["timezone"]) if cells.get("timezone") else None
    plan = _plan(catalog, cells)
    validate_choice(catalog, plan)
    status = _status(catalog, plan, cells.get("status") or "")
    renewal = _renewal(cells["next_renewal"], plan, day)
    price, per = (None, "month")
    if cells.get("client_price"):
        price, per = parse_client_price(cells["client_price"].split())
    reference = cells.get("vendor_reference") or None
    if reference is not None and len(reference) > 64:
        raise InvalidInput(N_("vendor_reference: at most 64 characters."))
    return _Row(
        line,
        name,
        client,
        email,
        country,
        plan,
        status,
        renewal,
        price,
        per,
        notification,
        language,
        timezone,
        reference,
    )


def _count(cells: dict[str, str], key: str) -> int | None:
    raw = cells.get(key) or ""
    if not raw:
        return None
    value = whole_number(raw.replace(",", "").replace("_", ""), maximum=MAX_QUANTITY)
    if value is None or value < 1:
        raise InvalidInput(
            N_("{column}: write a whole number from 1 to {max}, like 2500."), column=key, max=MAX_QUANTITY
        )
    return value


def _plan(catalog: Catalog, cells: dict[str, str]) -> PlanChoice:
    product = cells["product"]
    if product not in catalog.product_names():
        raise InvalidInput(
            N_("Unknown product {product}. Use one of: {choices}."),
            product=product or "-",
            choices=", ".join(catalog.product_names()),
        )
    frequency_raw = cells["frequency"].lower()
    if frequency_raw not in ("monthly", "annual"):
        raise InvalidInput(N_("frequency: write `monthly` or `annual`."))
    frequency: Frequency = "annual" if frequency_raw == "annual" else "monthly"
    version = catalog.version_of(product) or ""
    spec = catalog.product(product)
    tier = cells["tier"].lower() or None
    if isinstance(spec, FreeProduct):
        return PlanChoice(version, product, level=tier, frequency=frequency)
    if isinstance(spec, PerSeatProduct):
        return PlanChoice(version, product, frequency=frequency, licenses=_count(cells, "licenses"))
    assert isinstance(spec, ContactsProduct)
    return PlanChoice(version, product, tier=tier, contacts=_count(cells, "contacts"), frequency=frequency)


def _status(catalog: Catalog, plan: PlanChoice, raw: str) -> str:
    status = raw.lower()
    if isinstance(catalog.product(plan.product), FreeProduct):
        level = catalog.product(plan.product)
        assert isinstance(level, FreeProduct)
        spec = level.levels.get(plan.level or "")
        expected = "trial" if spec and spec.days else "active"
        if status not in ("", expected):
            raise InvalidInput(
                N_("status: a {level} account is {status}."), level=plan.level or "-", status=expected
            )
        return expected
    if status not in ("", *STATUSES):
        raise InvalidInput(N_("status: write one of {choices}."), choices=", ".join(STATUSES))
    return status or "active"


def _renewal(raw: str, plan: PlanChoice, day: date) -> date:
    try:
        when = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(N_("next_renewal: write the date as YYYY-MM-DD, like 2027-01-31.")) from None
    latest = day + relativedelta(months=plan.months)
    if not day < when <= latest:
        raise InvalidInput(
            N_("next_renewal must come after today and by {latest} (one billing cycle): {date} is not."),
            latest=latest,
            date=when,
        )
    return when


def _account(
    agency: Any, actor: Actor, clock: Clock, catalog: Catalog, row: _Row, *, day: date, count: int
) -> Account:
    account = new_account(
        agency,
        actor,
        clock,
        name=row.name,
        client_name=row.client_name,
        client_email=row.client_email,
        created=None,
        day=day,
        country=row.country,
        notification_email=row.notification_email,
        language=row.language,
        timezone=row.timezone,
    )
    set_plan(account, row.plan)
    spec = catalog.product(row.plan.product)
    account.status = row.status
    account.provider_ref = row.reference
    account.client_price, account.client_price_per = row.client_price, row.client_price_per
    if isinstance(spec, FreeProduct):
        account.period_start = day
        account.period_end = row.next_renewal if row.status == "trial" else rules.NEVER_ENDS
        account.purchased_on = None
        return account
    start = row.next_renewal - relativedelta(months=row.plan.months)
    account.period_start, account.period_end = start, row.next_renewal
    account.purchased_on, account.renewal_day = start, row.next_renewal.day
    account.price_per_cycle = quote(
        catalog, row.plan, active_paid_count=count, today=day, customer_country=row.country
    ).per_cycle
    return account
