"""The overview's row controls: Login, Renew (with its confirm card), and the Edit/Branding/Billing
history/Credits/Seats menu."""

from __future__ import annotations

import json
import uuid
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot import ui
from bot.commands import approvals
from bot.commands.accounts_common import ports_of
from bot.context import Req, open_request
from bot.vocabulary import human
from domain import ledger
from domain.accounts import queries
from domain.accounts.renewal import preview_renewal, renew
from domain.errors import Conflict, InvalidInput
from domain.i18n import N_, Word
from domain.roles import Permission


def register(app: App) -> None:
    app.action("accounts_login")(login)
    app.action("accounts_renew")(renew_clicked)
    app.action("accounts_renew_confirm")(renew_confirmed)
    app.action("accounts_menu")(menu)


def _start(ack: Ack, body: dict[str, Any], context: BoltContext) -> tuple[Req, dict[str, Any]]:
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    return req, body["actions"][0]


def login(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    """A single sign-on link for the member who asked; never for cancelled or ended accounts."""
    req, action = _start(ack, body, context)
    name = str(action.get("value") or "")
    with req.deps.uow() as uow:
        req.actor.require(Permission.MANAGE_ACCOUNTS)
        account = queries.by_name(uow.session, req.actor.agency_id, name)
        if account.status not in ("trial", "active", "disabled") or not account.provider_ref:
            raise Conflict(N_("Sign-on is not offered for a {status} account."), status=Word(account.status))
        link = req.deps.provider.sso_link(account.provider_ref, req.user_id)
    t = req.t
    blocks: list[Block] = [
        ui.section(
            t(N_("Sign in to *{name}* as the agency:"), name=name),
            accessory=ui.button(t(N_("Open")), "accounts_sso_open", url=link),
        ),
        ui.context(t(N_("The link is for you only and expires shortly."))),
    ]
    respond(**ui.message(t(N_("Sign-on link for {name}"), name=name), blocks), replace_original=False)


def renew_card(req: Req, name: str) -> dict[str, Any]:
    """The charge and the period it buys, with one button per billing profile; or why it is refused."""
    t = req.t
    with req.deps.uow() as uow:
        req.actor.require(Permission.SPEND_MONEY)
        preview = preview_renewal(uow, ports_of(req), req.actor, name)
        account = queries.by_name(uow.session, req.actor.agency_id, name)
        default = account.billing_profile_id
        profiles = [
            (p.id, p.label, p.last4) for p in queries.billing_profiles(uow.session, req.actor.agency_id)
        ]
    nonce = uuid.uuid4().hex
    price = preview.price
    text = t(
        N_("Renew *{name}*: {amount} for {start} → {end} ({plan} list, {discount} reseller discount)."),
        name=preview.name,
        amount=price.per_cycle,
        start=preview.period_start,
        end=preview.period_end,
        plan=price.plan_value,
        discount=abs(price.reseller),  # the sentence says "discount": the amount it takes off, unsigned
    )
    ordered = sorted(profiles, key=lambda p: p[0] != default)[:4]
    buttons = [
        ui.button(
            t(N_("Charge {label} ···{last4}"), label=label, last4=last4),
            "accounts_renew_confirm",
            json.dumps({"n": preview.name, "k": nonce, "p": pid}),
            style="primary" if i == 0 else None,
        )
        for i, (pid, label, last4) in enumerate(ordered)
    ]
    buttons.append(
        ui.button(
            t(N_("Prepaid credit only")),
            "accounts_renew_confirm",
            json.dumps({"n": preview.name, "k": nonce, "p": None}),
        )
    )
    notes = []
    if preview.loses_discount:
        notes.append(t(N_("No reseller discount: a client user administers this subscription")))
    if preview.tax_lines:
        notes += [f"{t(line.label, **line.params)}: {t.money(line.amount)}" for line in preview.tax_lines]
        notes.append(f"{t(N_('Total today'))}: {t.money(price.per_cycle + preview.tax)}")
    blocks: list[Block] = [
        ui.section("\n".join([text, *notes])),
        ui.actions(*buttons),
        ui.context(t(N_("Prepaid credit is drawn first; the card pays the rest."))),
    ]
    return ui.message(t(N_("Renew {name}"), name=name), blocks)


def renew_clicked(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    req, action = _start(ack, body, context)
    respond(**renew_card(req, str(action.get("value") or "")), replace_original=False)


def renew_confirmed(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
    req, action = _start(ack, body, context)
    try:
        data = json.loads(action.get("value") or "{}")
        name, nonce, profile = str(data["n"]), str(data["k"]), data.get("p")
    except (KeyError, ValueError, TypeError):
        raise InvalidInput(
            N_("This renewal card is out of date: run `/accounts renew <name>` again.")
        ) from None
    payload = {"name": name, "nonce": nonce, "profile": profile if isinstance(profile, int) else None}
    held = approvals.hold(req, "renewal", payload, (body.get("channel") or {}).get("id"))
    if held is not None:
        respond(**ui.notice(held), replace_original=True)
        return
    with req.deps.uow() as uow:
        done = renew(
            uow,
            ports_of(req),
            req.actor,
            name,
            request_key=nonce,
            billing_profile_id=profile if isinstance(profile, int) else None,
        )
    t = req.t
    text = t(
        N_(
            ":white_check_mark: {name} renewed until {end}: {total} (invoice {number}; {credit} from credit, {card} by card)."
        ),
        name=done.name,
        end=done.period_end,
        total=done.total,
        number=done.invoice_number,
        credit=done.credit_used,
        card=done.card_charged,
    )
    respond(**ui.notice(text), replace_original=True)


def menu(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond, client: WebClient) -> None:
    req, action = _start(ack, body, context)
    choice, _, name = str((action.get("selected_option") or {}).get("value") or "").partition(":")
    channel = (body.get("channel") or {}).get("id")
    if choice == "edit":
        from bot.commands.accounts_edit import open_edit_modal

        open_edit_modal(req, client, body["trigger_id"], name, channel)
    elif choice == "branding":
        from bot.commands.accounts_more import open_branding_modal

        open_branding_modal(req, client, body["trigger_id"], name, channel)
    elif choice == "billing":
        respond(**billing_history(req, name), replace_original=False)
    elif choice == "credits":
        respond(**credits_of(req, name), replace_original=False)
    elif choice == "seats":
        respond(
            **ui.notice(req.t(N_("Seats of {name}: `/seats show {name}`."), name=name)),
            replace_original=False,
        )


def billing_history(req: Req, name: str) -> dict[str, Any]:
    t = req.t
    with req.deps.uow() as uow:
        req.actor.require(Permission.READ)
        account = queries.by_name(uow.session, req.actor.agency_id, name)
        lines = [
            f"{t.date(i.created_at.date())} · {i.number} · {human(t, i.kind)} · {t.money(i.total)} · {human(t, i.status)}"
            for i in queries.invoices_of(uow.session, account)
        ]
    body = "\n".join(lines) or t(N_("No invoices yet."))
    return ui.message(
        t(N_("Billing history of {name}"), name=name),
        [ui.header(t(N_("Billing history of {name}"), name=name)), ui.section(body)],
    )


def credits_of(req: Req, name: str) -> dict[str, Any]:
    t = req.t
    with req.deps.uow() as uow:
        req.actor.require(Permission.READ)
        a = queries.by_name(uow.session, req.actor.agency_id, name)
        text = t(
            N_(
                "*{name}*: {prepaid} prepaid earmark · {sms} SMS credits · {preview} inbox previews. `/credits` buys and allocates more."
            ),
            name=name,
            prepaid=ledger.balance(uow.session, a.agency_id, "prepaid", a.id),
            sms=int(ledger.balance(uow.session, a.agency_id, "sms", a.id)),
            preview=int(ledger.balance(uow.session, a.agency_id, "preview", a.id)),
        )
    return ui.notice(text)
