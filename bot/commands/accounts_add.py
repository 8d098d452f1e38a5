"""The add-account modal: live name and region checks, the shared live plan builder, the package and
its effect on the discount tier, then credentials shown once, to the creator only.

The credentials replace the modal (`response_action: update`): only the person who submitted sees a
modal, nothing is posted to a channel, and closing it is the end of the password. The channel gets
an ephemeral confirmation without it. The modal's nonce (private_metadata) is the idempotency key.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    NumberInputElement,
    PlainTextInputElement,
    StaticSelectElement,
)

from bot import planbuilder, ui
from bot.context import Req, open_request
from domain.accounts import queries, rules
from domain.accounts.common import AccountPorts
from domain.accounts.service import AddAccount, AddedAccount, add_account, check_name
from domain.catalog import FreeProduct
from domain.clock import today
from domain.errors import DomainError, InvalidInput
from domain.i18n import N_
from domain.portfolio import count_active_paid
from domain.pricing import quote
from domain.roles import Permission, can
from domain.tiers import tier_after_adding

CALLBACK = "accounts_add"
LIVE = "accounts_live"
FIELDS = (
    *("snapshot", "name", "custom_domain", "client_name", "client_email", "notification_email"),
    *("country", "language", "timezone", "profile", "migration", "migration_cycles"),
)


def register(app: App) -> None:
    app.view(CALLBACK)(submit_add)
    app.action(LIVE)(live_check)
    app.action("accounts_add_open")(open_from_button)
    app.action("accounts_add_with_plan")(open_from_button)
    planbuilder.REBUILDERS[CALLBACK] = rebuild


def ports_of(req: Req) -> AccountPorts:
    d = req.deps
    return AccountPorts(clock=d.clock, catalog=d.catalog, provider=d.provider, gateway=d.gateway)


def profile_options(session: Any, agency_id: int) -> list[tuple[str, str]]:
    """(label, id) of the agency's cards, read while the session is open."""
    return [
        (f"{p.label} ({p.brand} ···{p.last4})", str(p.id))
        for p in queries.billing_profiles(session, agency_id)
    ]


def open_add_modal(
    req: Req,
    client: WebClient,
    trigger_id: str,
    channel: str | None,
    plan: planbuilder.PlanState | None = None,
) -> None:
    req.actor.require(Permission.MANAGE_ACCOUNTS)
    meta = {"nonce": uuid.uuid4().hex, "channel": channel}
    client.views_open(trigger_id=trigger_id, view=add_modal(req, {}, plan or planbuilder.PlanState(), meta))


def open_from_button(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """The App Home's Add button, and the quote's "Create account with this plan" (a JSON plan value)."""
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    action = body["actions"][0]
    plan = None
    if action.get("action_id") == "accounts_add_with_plan" and action.get("value"):
        try:
            from bot.quote_render import plan_from_value

            plan = planbuilder.state_of(plan_from_value(str(action["value"])))
        except (ValueError, KeyError, json.JSONDecodeError):
            plan = None
    channel = (body.get("channel") or {}).get("id")
    open_add_modal(req, client, body["trigger_id"], channel, plan)


def rebuild(req: Req, view: dict[str, Any]) -> dict[str, Any]:
    values = {f: ui.state_value(view, f) for f in FIELDS}
    return add_modal(req, values, planbuilder.read_state(view), ui.metadata(view), live=True)


def live_check(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    view = body.get("view") or {}
    if view.get("id") and view.get("callback_id") == CALLBACK:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=rebuild(req, view))


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
        package = _package_note(req, uow.session, plan)
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
        _text(
            "language",
            t(N_("Language")),
            values.get("language") or "en",
            hint=t(N_("Two letters: en, fr, it, es, de…")),
        ),
        _text(
            "timezone",
            t(N_("Time zone")),
            values.get("timezone") or req.timezone,
            hint=t(N_("IANA name, like Europe/Paris.")),
        ),
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
                hint=t(N_("Prepaid credit is used first; the card pays the rest.")),
                element=StaticSelectElement(action_id="value", options=options, initial_option=initial),
            )
        )
    if can(req.actor.role, Permission.SPEND_MONEY):
        blocks += [
            InputBlock(
                block_id="migration",
                label=t(N_("Migration discount (%)")),
                optional=True,
                element=NumberInputElement(
                    action_id="value",
                    is_decimal_allowed=True,
                    min_value="0",
                    max_value="100",
                    initial_value=values.get("migration") or None,
                ),
            ),
            InputBlock(
                block_id="migration_cycles",
                label=t(N_("Migration discount cycles")),
                optional=True,
                element=NumberInputElement(
                    action_id="value",
                    is_decimal_allowed=False,
                    min_value="1",
                    initial_value=values.get("migration_cycles") or None,
                ),
            ),
        ]
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
        name = check_name(uow, ports_of(req), req.actor.agency_id, raw)
    except DomainError as error:
        return f":x: {req.t(error.message, **error.params)}"
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


def _package_note(req: Req, session: Any, plan: planbuilder.PlanState) -> list[str]:
    """The live package line and the account's effect on the reseller discount tier."""
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
    q = quote(req.deps.catalog, choice, active_paid_count=count, today=today(req.deps.clock, req.timezone))
    nxt = tier_after_adding(req.deps.catalog.discount_tiers, count)
    from bot.i18n import Percent

    return [
        t(
            N_(
                "{plan_value} list, {per_cycle} per cycle after the {percent} reseller discount; today {today} (taxes not included)."
            ),
            plan_value=q.plan_value,
            per_cycle=q.per_cycle,
            percent=Percent(q.reseller_percent),
            today=q.today,
        ),
        t(
            N_(
                "With this account the agency has {count} active paid accounts: {percent} from the next charge."
            ),
            count=count + 1,
            percent=Percent(nxt.percent),
        ),
    ]


@contextmanager
def errors_on(view: dict[str, Any]) -> Iterator[None]:
    """Put a domain error on a block the modal has, so Slack can show it (plan errors on plan blocks)."""
    blocks = set(((view.get("state") or {}).get("values") or {}).keys())
    try:
        with planbuilder.on_plan_fields():
            yield
    except DomainError as error:
        if error.field not in blocks:
            error.field = "name" if "name" in blocks else next(iter(sorted(blocks)), None)
        raise


def submit_add(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    meta = ui.metadata(view)
    with errors_on(view):
        cmd = read_add(req, view, str(meta.get("nonce") or view.get("id") or uuid.uuid4().hex))
        with req.deps.uow() as uow:
            added = add_account(uow, ports_of(req), req.actor, cmd)
    ack(response_action="update", view=credentials_view(req, added))
    channel = meta.get("channel")
    if channel:
        text = req.t(
            N_(":white_check_mark: Account {name} is {status}: {url}. `/accounts show {name}` for its card."),
            name=added.name,
            status=req.t(added.status),
            url=added.login_url,
        )
        client.chat_postEphemeral(channel=channel, user=req.user_id, text=text)


def read_add(req: Req, view: dict[str, Any], nonce: str) -> AddAccount:
    def value(block: str) -> str:
        return (ui.state_value(view, block) or "").strip()

    choice = planbuilder.to_choice(req.deps.catalog, planbuilder.read_state(view))
    percent = None
    if value("migration"):
        try:
            percent = Decimal(value("migration"))
        except InvalidOperation:
            raise InvalidInput(
                N_("Write the migration discount as a number, like 20."), field="migration"
            ) from None
    cycles = int(value("migration_cycles")) if value("migration_cycles").isdigit() else None
    return AddAccount(
        request_key=nonce,
        name=value("name"),
        client_name=value("client_name"),
        client_email=value("client_email"),
        notification_email=value("notification_email"),
        country=value("country"),
        language=value("language"),
        timezone=value("timezone"),
        plan=choice,
        billing_profile_id=int(value("profile")) if value("profile").isdigit() else None,
        custom_domain=value("custom_domain") or None,
        snapshot_id=int(value("snapshot")) if value("snapshot").isdigit() else None,
        migration_percent=percent,
        migration_cycles=cycles,
    )


def credentials_view(req: Req, added: AddedAccount) -> dict[str, Any]:
    t = req.t
    blocks: list[Block] = [
        ui.section(
            t(N_(":white_check_mark: *{name}* is ready ({status})."), name=added.name, status=t(added.status))
        ),
    ]
    if added.password is None:
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
                    (t(N_("Login URL")), added.login_url),
                    (t(N_("Username")), f"`{added.username}`"),
                    (t(N_("Password")), f"`{added.password}`"),
                ]
            )
        )
        blocks.append(
            ui.section(t(N_(":lock: Copy these now: they are shown only to you and cannot be shown again.")))
        )
    if added.invoice_number:
        blocks.append(
            ui.context(
                t(
                    N_("Invoice {number}: {total} ({credit} from credit, {card} by card)."),
                    number=added.invoice_number,
                    total=added.total,
                    credit=added.credit_used,
                    card=added.card_charged,
                )
            )
        )
    return ui.modal(t(N_("Account created")), "accounts_added", blocks, close=t(N_("Done")))
