"""The overview's row controls: Login, Renew (with its confirm card), and the Edit/Branding/Billing
history/Credits/Seats menu."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot import confirmations, portal_tasks, ui
from bot.answer import answer
from bot.commands import approvals
from bot.commands.accounts_common import ports_of
from bot.commands.billing import billed_by_text
from bot.context import Req, open_request
from bot.i18n import joined
from bot.vocabulary import human
from domain import ledger, pending
from domain.accounts import queries
from domain.billing.invoices import declined_profiles
from domain.billing.manual_renewal import Renewed, preview_renewal, renew
from domain.errors import Conflict, InvalidInput
from domain.i18n import N_, Word
from domain.ports import Capability
from domain.roles import Permission
from domain.vendor_billing import billing_vendor, vendor_label


def register(app: App) -> None:
    app.action("accounts_login")(login)
    app.action("accounts_renew")(renew_clicked)
    app.action("accounts_renew_confirm")(renew_confirmed)
    app.action("accounts_menu")(menu)


def _start(ack: Ack, body: dict[str, Any], context: BoltContext) -> tuple[Req, str]:
    """Ack, resolve the member, and hand back the clicked value as text."""
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    return req, ui.action_value(body)


def login(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """A single sign-on link for the member who asked; never for cancelled or ended accounts."""
    req, name = _start(ack, body, context)
    with req.deps.uow() as uow:
        req.actor.require(Permission.MANAGE_ACCOUNTS)
        account = queries.by_name(uow.session, req.actor.agency_id, name)
        if account.status not in ("trial", "active", "disabled") or not account.provider_ref:
            raise Conflict(N_("Sign-on is not offered for a {status} account."), status=Word(account.status))
        provider = req.deps.provider_for(account.product)
        if not provider.supports(Capability.SIGN_ON):
            answer(context, body, ui.notice(no_sign_on(req, name, provider.key, provider.portal_url)))
            return
        link = provider.sso_link(account.provider_ref, req.user_id)
    t = req.t
    blocks: list[Block] = [
        ui.section(
            t(N_("Sign in to *{name}* as the agency:"), name=name),
            accessory=ui.button(t(N_("Open")), "accounts_sso_open", url=link),
        ),
        ui.context(t(N_("The link is for you only and expires shortly."))),
    ]
    answer(context, body, ui.message(t(N_("Sign-on link for {name}"), name=name), blocks))


def no_sign_on(req: Req, name: str, provider: str, portal_url: str) -> str:
    """No sign-on link in the vendor's API: said as it is, and no portal task (a sign-on is for the
    person asking, now; a task in the channel would ask someone else to do nothing)."""
    return joined(
        " ",
        [
            req.t(
                N_("{provider}'s API offers no sign-on link, so none was made for {name}."),
                provider=provider,
                name=name,
            ),
            portal_tasks.portal_line(req.t, provider, portal_url),
        ],
    )


def renew_card(req: Req, name: str) -> dict[str, Any]:
    """The charge and the period it buys, with one button per billing profile; or why it is refused.

    A profile declined since the last paid invoice is offered last and says so; a cancelled account's
    card says the cancellation will be undone (with its reason) and so do its buttons."""
    t = req.t
    with req.deps.uow() as uow:
        req.actor.require(Permission.SPEND_MONEY)
        preview = preview_renewal(uow, ports_of(req), req.actor, name)
        account = queries.by_name(uow.session, req.actor.agency_id, name)
        default = account.billing_profile_id
        declined = declined_profiles(uow.session, account)
        profiles = [
            (p.id, p.label, p.last4) for p in queries.billing_profiles(uow.session, req.actor.agency_id)
        ]
    price, cancelled = preview.price, preview.cancellation
    # Never the declining card first: the others, the account's own, then those declined.
    ordered = sorted(profiles, key=lambda p: (p[0] in declined, p[0] != default))[:4]
    # One held confirmation per card; each button names one of its server-held payment choices.
    choices: list[int | None] = [pid for pid, _, _ in ordered] + [None]
    pending_id = confirmations.hold(
        req,
        "renewal",
        {"name": preview.name, "profiles": choices, "undo": cancelled is not None},
        amount=price.per_cycle,
    )
    text = t(
        N_("Renew *{name}*: {amount} for {start} → {end} ({plan} list, {discount} reseller discount)."),
        name=preview.name,
        amount=price.per_cycle,
        start=preview.period_start,
        end=preview.period_end,
        plan=price.plan_value,
        discount=abs(price.reseller),  # the sentence says "discount": the amount it takes off, unsigned
    )
    buttons = [
        ui.button(
            _charge_label(req, label, last4, declined.get(pid), undo=cancelled is not None),
            "accounts_renew_confirm",
            f"{pending_id}:{i}",
            style="primary" if i == 0 and pid not in declined else None,
        )
        for i, (pid, label, last4) in enumerate(ordered)
    ]
    credit_only = (
        t(N_("Undo the cancellation and renew from prepaid credit"))
        if cancelled is not None
        else t(N_("Prepaid credit only"))
    )
    buttons.append(ui.button(credit_only, "accounts_renew_confirm", f"{pending_id}:{len(ordered)}"))
    notes = []
    if cancelled is not None:
        notes.append(
            t(
                N_(
                    ":warning: *{name}* was cancelled on {date} (reason: {reason}). Renewing undoes the "
                    "cancellation: the account is active again and renews by itself from then on."
                ),
                name=preview.name,
                date=cancelled.on,
                reason=cancelled.reason or t(N_("none given")),
            )
        )
    for pid, label, last4 in ordered:
        if pid in declined:
            notes.append(
                t(
                    N_(
                        ":warning: {label} ···{last4} was declined on {date}: choose another billing profile."
                    ),
                    label=label,
                    last4=last4,
                    date=declined[pid],
                )
            )
    if preview.loses_discount:
        notes.append(t(N_("No reseller discount: a client user administers this subscription")))
    if preview.tax_lines:
        notes += [f"{t(line.label, **line.params)}: {t.money(line.amount)}" for line in preview.tax_lines]
        notes.append(f"{t(N_('Total today'))}: {t.money(price.per_cycle + preview.tax)}")
    total = price.per_cycle + preview.tax
    blocks: list[Block] = [
        ui.section("\n".join([text, *notes])),
        *confirmations.large_charge(req, total),
        ui.actions(*buttons),
        ui.context(_paid_how(req, preview.choice.product)),
    ]
    return ui.message(t(N_("Renew {name}"), name=name), blocks)


def _paid_how(req: Req, product: str) -> str:
    vendor = billing_vendor(req.deps.provider, product)
    if vendor is not None:  # SPEC §9: the vendor bills it, the desk charges nothing
        return req.t(
            N_("{vendor} bills this renewal to the chosen billing profile: no card is charged here."),
            vendor=vendor_label(vendor),
        )
    return req.t(N_("Prepaid credit is drawn first; the card pays the rest."))


def _charge_label(req: Req, label: str, last4: str, declined_on: Any, *, undo: bool) -> str:
    """A payment button's words: the profile, whether it was declined, whether it undoes a cancellation."""
    t = req.t
    if undo and declined_on is not None:
        return t(
            N_("Undo the cancellation and renew: {label} ···{last4} (declined on {date})"),
            label=label,
            last4=last4,
            date=declined_on,
        )
    if undo:
        return t(N_("Undo the cancellation and renew: {label} ···{last4}"), label=label, last4=last4)
    if declined_on is not None:
        return t(
            N_("Charge {label} ···{last4} (declined on {date})"), label=label, last4=last4, date=declined_on
        )
    return t(N_("Charge {label} ···{last4}"), label=label, last4=last4)


def renew_clicked(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    req, name = _start(ack, body, context)
    answer(context, body, renew_card(req, name))


def renew_confirmed(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    req, value = _start(ack, body, context)
    pending_id, _, index = value.partition(":")
    index = index if index.isascii() and index.isdigit() and len(index) <= 2 else ""
    origin = (body.get("channel") or {}).get("id")

    def run(held: pending.Claimed) -> str:
        name, choices = str(held.payload["name"]), list(held.payload["profiles"])
        undo = held.payload.get("undo") is True
        if not index or int(index) >= len(choices):
            raise InvalidInput(N_("This renewal card is out of date: run `/accounts renew <name>` again."))
        profile = choices[int(index)]
        with req.deps.uow() as uow:
            pending.same_amount(
                held.amount, preview_renewal(uow, ports_of(req), req.actor, name).price.per_cycle
            )
        payload = {"name": name, "nonce": held.id, "profile": profile, "undo": undo}
        waiting = approvals.hold(req, "renewal", payload, origin)
        if waiting is not None:
            return waiting
        with req.deps.uow() as uow:
            done = renew(
                uow,
                ports_of(req),
                req.actor,
                name,
                request_key=held.id,
                billing_profile_id=profile,
                undo_cancellation=undo,
            )
        said = _renewed_text(req, done)
        said = joined(" ", [said, req.t(N_("Its cancellation is undone."))]) if undo else said
        return portal_tasks.noted(req.t, uow, said)

    answer(context, body, ui.notice(confirmations.confirmed(req, "renewal", pending_id, run)), replace=True)


def _renewed_text(req: Req, done: Renewed) -> str:
    if done.vendor is not None:  # SPEC §9: the vendor bills it, nothing was charged here
        return req.t(
            N_(
                ":white_check_mark: {name} renewed until {end}: {total} (invoice {number}), billed by {vendor}."
            ),
            name=done.name,
            end=done.period_end,
            total=done.total,
            number=done.invoice_number,
            vendor=vendor_label(done.vendor),
        )
    return req.t(
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


def menu(ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    req, chosen = _start(ack, body, context)
    choice, _, name = chosen.partition(":")
    channel = (body.get("channel") or {}).get("id")
    if choice == "edit":
        from bot.commands.accounts_edit import open_edit_modal

        open_edit_modal(req, client, body["trigger_id"], name, channel)
    elif choice == "branding":
        from bot.commands.accounts_more import open_branding_modal

        open_branding_modal(req, client, body["trigger_id"], name, channel)
    elif choice == "billing":
        answer(context, body, billing_history(req, name))
    elif choice == "credits":
        answer(context, body, credits_of(req, name))
    elif choice == "seats":
        answer(context, body, ui.notice(req.t(N_("Seats of {name}: `/seats show {name}`."), name=name)))


def billing_history(req: Req, name: str) -> dict[str, Any]:
    t = req.t
    with req.deps.uow() as uow:
        req.actor.require(Permission.READ)
        account = queries.by_name(uow.session, req.actor.agency_id, name)
        lines = [
            f"{t.date(i.created_at.date())} · {i.number} · {human(t, i.kind)} · {t.money(i.total)} · {human(t, i.status)}{billed_by_text(t, i)}"
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
