"""The add-account modal's blocks: live name and region checks, the shared plan builder, the package
and its effect on the discount tier; and the once-only credentials view."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    NumberInputElement,
    PlainTextInputElement,
    StaticSelectElement,
)

from bot import planbuilder, ui
from bot.commands.accounts_common import profile_options
from bot.commands.accounts_tools import client_price_input
from bot.context import Req
from bot.i18n import Translator
from bot.vendor_locales import locale_selects, vendor_locales
from bot.vendor_names import available_at_vendor
from domain.accounts import queries, rules
from domain.accounts.service import AddedAccount, check_local_name
from domain.agency import default_notification_email
from domain.catalog import FreeProduct
from domain.clock import today
from domain.errors import DomainError
from domain.i18n import N_
from domain.numbers import whole_number
from domain.portfolio import count_active_paid
from domain.ports import Capability
from domain.pricing import MigrationDiscount, quote
from domain.quotes import MAX_MIGRATION_CYCLES
from domain.roles import Permission, can
from domain.tiers import tier_after_adding
from domain.vendor_billing import billing_vendor, vendor_label

CALLBACK = "accounts_add"
LIVE = "accounts_live"
FIELDS = (
    *("snapshot", "name", "custom_domain", "client_name", "client_email", "notification_email"),
    *("country", "language", "timezone", "profile", "migration", "migration_cycles", "client_price"),
)


def _text(
    block_id: str,
    label: str,
    value: str | None,
    *,
    optional: bool = False,
    hint: str | None = None,
    live: bool = False,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        hint=hint,
        dispatch_action=live,
        element=PlainTextInputElement(
            action_id=LIVE if live else "value", initial_value=value or None, max_length=254
        ),
    )


def _locale_inputs(req: Req, values: dict[str, str | None]) -> list[Block]:
    """The vendor's languages and time zones as selects when it has a catalog (cached), else the
    desk's own text inputs."""
    t = req.t
    language, timezone = values.get("language") or "en", values.get("timezone") or req.timezone
    catalog = vendor_locales(req.deps.provider)
    labels = {"language": t(N_("Language")), "timezone": t(N_("Time zone"))}
    selects = locale_selects(labels.__getitem__, catalog, language, timezone) if catalog else None
    return selects or [
        _text("language", labels["language"], language, hint=t(N_("Two letters: en, fr, it, es, de…"))),
        _text("timezone", labels["timezone"], timezone, hint=t(N_("IANA name, like Europe/Paris."))),
    ]


def add_modal(
    req: Req,
    values: dict[str, str | None],
    plan: planbuilder.PlanState,
    meta: dict[str, Any],
    *,
    live: bool = False,
) -> dict[str, Any]:
    t = req.t
    d = req.deps
    with d.uow() as uow:
        snaps = [(s.name, str(s.id)) for s in queries.snapshots(uow.session, req.actor.agency_id)]
        profiles = profile_options(uow.session, req.actor.agency_id)
        name_note = _name_note(req, uow, values.get("name")) if live else None
        package = _package_note(req, uow.session, plan, _migration(values))
        if not live and not values.get("notification_email"):  # the agency's address, changeable
            agency_email = default_notification_email(uow.agencies.get(req.actor.agency_id))
            values = {**values, "notification_email": agency_email}
    blocks: list[Block] = []
    if snaps:
        options = [ui.option(label, value) for label, value in snaps]
        initial = next((o for o in options if o.value == values.get("snapshot")), None)
        blocks.append(
            InputBlock(
                block_id="snapshot",
                label=t(N_("Start from snapshot")),
                optional=True,
                element=StaticSelectElement(action_id="value", options=options, initial_option=initial),
            )
        )
    blocks.append(
        _text(
            "name",
            t(N_("Account name")),
            values.get("name"),
            live=True,
            hint=t(
                N_("Lowercase letters, digits and hyphens: it becomes https://<name>.{domain}"),
                domain=d.provider.domain,
            ),
        )
    )
    if name_note:
        blocks.append(ui.context(name_note))
    blocks += [
        _text(
            "custom_domain",
            t(N_("Custom domain")),
            values.get("custom_domain"),
            optional=True,
            hint=t(N_("A hostname like crm.client.com; you will point it by CNAME at the account.")),
        ),
        _text("client_name", t(N_("Client name")), values.get("client_name")),
        _text("client_email", t(N_("Client email")), values.get("client_email")),
        _text(
            "notification_email",
            t(N_("Notification email")),
            values.get("notification_email"),
            hint=t(N_("The agency's address: every provider message goes there.")),
        ),
        _text(
            "country",
            t(N_("Country")),
            values.get("country"),
            live=True,
            hint=t(N_("ISO code, like FR, US or IT.")),
        ),
    ]
    region = _region_note(req, values.get("country"))
    if region:
        blocks.append(ui.context(region))
    blocks += [
        *_locale_inputs(req, values),
        *planbuilder.plan_blocks(t, d.catalog, plan),
    ]
    if profiles:
        options = [ui.option(label, value) for label, value in profiles]
        initial = next((o for o in options if o.value == values.get("profile")), options[0])
        blocks.append(
            InputBlock(
                block_id="profile",
                label=t(N_("Billing profile")),
                optional=True,
                hint=_payment_hint(req),
                element=StaticSelectElement(action_id="value", options=options, initial_option=initial),
            )
        )
    if can(req.actor.role, Permission.SPEND_MONEY):
        blocks += [
            InputBlock(
                block_id="migration",
                dispatch_action=True,
                label=t(N_("Migration discount (%)")),
                optional=True,
                element=NumberInputElement(
                    action_id=LIVE,
                    is_decimal_allowed=True,
                    min_value="0",
                    max_value="100",
                    initial_value=values.get("migration") or None,
                ),
            ),
            InputBlock(
                block_id="migration_cycles",
                dispatch_action=True,
                label=t(N_("Migration discount cycles")),
                optional=True,
                element=NumberInputElement(
                    action_id=LIVE,
                    is_decimal_allowed=False,
                    min_value="1",
                    max_value=str(MAX_MIGRATION_CYCLES),
                    initial_value=values.get("migration_cycles") or None,
                ),
            ),
        ]
    blocks.append(client_price_input(t, values.get("client_price")))
    blocks.append(ui.context(*package))
    return ui.modal(
        t(N_("Add an account")),
        CALLBACK,
        blocks,
        submit=t(N_("Add account")),
        close=t(N_("Cancel")),
        private_metadata=meta,
    )


def _name_note(req: Req, uow: Any, raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        name = check_local_name(uow, req.actor.agency_id, raw)
    except DomainError as error:
        return f":x: {req.t(error.message, **error.params)}"
    provider = req.deps.provider
    free = available_at_vendor(provider, name)
    if free is False:
        return ":x: " + req.t(N_("{name} is taken at the provider: choose another name."), name=name)
    if free is None and provider.supports(Capability.NAME_CHECK):
        return req.t(
            N_(":hourglass: {name} is free in the agency; the vendor confirms it when you submit."), name=name
        )
    return req.t(
        N_(":white_check_mark: {name} is available: https://{name}.{domain}"),
        name=name,
        domain=req.deps.provider.domain,
    )


def _region_note(req: Req, raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        country = rules.clean_country(raw)
    except DomainError as error:
        return f":x: {req.t(error.message, **error.params)}"
    return req.t(
        N_("{country}: data centre region {region}"), country=country, region=rules.region_of(country)
    )


def _migration(values: dict[str, str | None]) -> MigrationDiscount | None:
    """The migration discount as the submission will charge it (`service._start_paid`), if typed."""
    try:
        percent = Decimal((values.get("migration") or "").strip())
    except InvalidOperation:
        return None
    if not Decimal(0) < percent <= Decimal(100):
        return None
    cycles = (values.get("migration_cycles") or "").strip()
    count = max(1, whole_number(cycles) or 1)
    return MigrationDiscount(percent, count) if count <= MAX_MIGRATION_CYCLES else None


def _package_note(
    req: Req, session: Any, plan: planbuilder.PlanState, migration: MigrationDiscount | None = None
) -> list[str]:
    """The live package line (with the migration discount, as charged) and the effect on the tier."""
    t = req.t
    try:
        choice = planbuilder.to_choice(req.deps.catalog, plan)
    except DomainError as error:
        return [f":x: {t(error.message, **error.params)}"]
    spec = req.deps.catalog.product(choice.product)
    if isinstance(spec, FreeProduct):
        days = spec.levels[choice.level or ""].days if choice.level in spec.levels else None
        if days:
            return [t(N_("Free trial for {days} days, then it expires unless converted."), days=days)]
        return [t(N_("Free sandbox: the agency's own test account; it never expires."))]
    count = count_active_paid(session, req.actor.agency_id)
    day = today(req.deps.clock, req.timezone)
    q = quote(req.deps.catalog, choice, active_paid_count=count, today=day, migration=migration)
    nxt = tier_after_adding(req.deps.catalog.discount_tiers, count)
    from bot.i18n import Percent

    lines = []
    if migration is not None:
        lines.append(
            t.plural(
                N_(
                    "Migration discount: {percent} off the list value for the first cycle, before the reseller discount."
                ),
                N_(
                    "Migration discount: {percent} off the list value for the first {n} cycles, before the reseller discount."
                ),
                migration.cycles,
                percent=Percent(migration.percent),
            )
        )
    return [
        *lines,
        t(
            N_(
                "{plan_value} list, {per_cycle} per cycle after the {percent} reseller discount; today {today} (taxes not included)."
            ),
            plan_value=q.plan_value,
            per_cycle=q.per_cycle,
            percent=Percent(q.reseller_percent),
            today=q.today,
        ),
        t.plural(
            N_("With this account the agency has {n} active paid account: {percent} from the next charge."),
            N_("With this account the agency has {n} active paid accounts: {percent} from the next charge."),
            count + 1,
            percent=Percent(nxt.percent),
        ),
    ]


def credentials_modal(
    t: Translator,
    *,
    name: str,
    status: str,
    login_url: str,
    username: str,
    password: str | None,
    invoice: AddedAccount | None,
) -> dict[str, Any]:
    """The one-time credentials, shown to the creator only (never stored: a retry cannot show them)."""
    blocks: list[Block] = [
        ui.section(t(N_(":white_check_mark: *{name}* is ready ({status})."), name=name, status=t(status))),
    ]
    if password is None:
        blocks.append(
            ui.section(
                t(
                    N_(
                        "This account was already created by this form. Its password was shown once and cannot be shown again: send the client a password reset from the provider."
                    )
                )
            )
        )
    else:
        blocks.append(
            ui.fields(
                [
                    (t(N_("Login URL")), ui.escape(login_url)),
                    (t(N_("Username")), f"`{username}`"),
                    (t(N_("Password")), f"`{password}`"),
                ]
            )
        )
        blocks.append(
            ui.section(t(N_(":lock: Copy these now: they are shown only to you and cannot be shown again.")))
        )
    if invoice is not None and invoice.invoice_number:
        blocks.append(
            ui.context(
                t(
                    N_("Invoice {number}: {total} ({credit} from credit, {card} by card)."),
                    number=invoice.invoice_number,
                    total=invoice.total,
                    credit=invoice.credit_used,
                    card=invoice.card_charged,
                )
            )
        )
    return ui.modal(t(N_("Account created")), "accounts_added", blocks, close=t(N_("Done")))


def _payment_hint(req: Req) -> str:
    vendor = billing_vendor(req.deps.provider, None)
    if vendor is not None:  # SPEC §9: the vendor bills this profile itself
        return req.t(
            N_("{vendor} bills this billing profile itself: no card is charged here."),
            vendor=vendor_label(vendor),
        )
    return req.t(N_("Prepaid credit is used first; the card pays the rest."))
