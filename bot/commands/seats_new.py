"""`/seats new`: the subscription modal, its quote, then the first charge.

Two steps in one modal: the form, then (`response_action: update`) the quote with a Pay button, so
the agency sees the reseller discount and VAT before anything is charged. The quote step holds the
checked form and the amount on the server (`bot.confirmations`); the confirm modal's `private_metadata`
carries only that confirmation's id, which is the subscription's idempotency key.
"""

from __future__ import annotations

from decimal import Decimal
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

from bot import confirmations, ui
from bot.commands.accounts_add_outcome import notify_of
from bot.commands.seats_buy import pay_lines, quote_lines
from bot.context import Req, open_request
from bot.operations import runner_of
from domain import pending
from domain.catalog import Catalog
from domain.errors import DomainError
from domain.i18n import N_
from domain.ledger import Draw
from domain.numbers import row_id
from domain.pricing import Quote
from domain.seats.new_subscription import NewSubscription, clean, read_licenses
from domain.seats.rules import frequency_from_months
from domain.seats.subscribe import (
    Created,
    account_name,
    card_profiles,
    create_subscription,
    draw_new,
    quote_new,
)
from domain.vendor_billing import billing_vendor, vendor_label

FORM = "seats_new"
CONFIRM = "seats_new_confirm"
TRANSFER = "transfer"


def register(app: App) -> None:
    app.view(FORM)(on_form)
    app.view(CONFIRM)(on_confirm)


def _text(block_id: str, label: str, *, optional: bool = False, hint: str | None = None) -> InputBlock:
    element = PlainTextInputElement(action_id="value", max_length=254)
    return InputBlock(block_id=block_id, label=label, element=element, optional=optional, hint=hint)


def new_modal(req: Req, channel: str | None) -> dict[str, Any]:
    t = req.t
    with req.deps.uow() as uow:
        cards = card_profiles(uow, req.actor.agency_id)
        payment = [ui.option(f"{p.label} ({p.brand} •••• {p.last4})", str(p.id)) for p in cards]
    payment.append(ui.option(t(N_("Bank transfer")), TRANSFER))
    months = [ui.option(t(N_("Every month")), "1"), ui.option(t(N_("Every 12 months")), "12")]
    blocks: list[Block] = [
        _text("customer_name", t(N_("Customer name"))),
        _text("email", t(N_("Customer email"))),
        _text("company", t(N_("Company"))),
        _text("country", t(N_("Country")), hint=t(N_("ISO code, like FR, DE or US."))),
        _text(
            "vat",
            t(N_("EU VAT number")),
            optional=True,
            hint=t(N_("A valid number removes VAT (reverse charge).")),
        ),
        InputBlock(
            block_id="licenses",
            label=t(N_("Licenses")),
            element=NumberInputElement(
                action_id="value", is_decimal_allowed=False, min_value="1", initial_value="5"
            ),
        ),
        InputBlock(
            block_id="frequency",
            label=t(N_("Billing")),
            element=StaticSelectElement(action_id="value", options=months, initial_option=months[1]),
        ),
        InputBlock(
            block_id="profile",
            label=t(N_("Pay with")),
            element=StaticSelectElement(action_id="value", options=payment, initial_option=payment[0]),
        ),
    ]
    meta = {"channel": channel}
    return ui.modal(
        t(N_("New subscription")),
        FORM,
        blocks,
        submit=t(N_("See the quote")),
        close=t(N_("Cancel")),
        private_metadata=meta,
    )


def _form_data(view: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    licenses = read_licenses(catalog, ui.state_value(view, "licenses") or "")
    paid_with = ui.state_value(view, "profile") or TRANSFER
    return {
        "customer_name": ui.state_value(view, "customer_name") or "",
        "email": ui.state_value(view, "email") or "",
        "company": ui.state_value(view, "company") or "",
        "country": ui.state_value(view, "country") or "",
        "vat_number": ui.state_value(view, "vat"),
        "licenses": licenses,
        "frequency": frequency_from_months(ui.state_value(view, "frequency") or "12"),
        "payment_method": TRANSFER if paid_with == TRANSFER else "card",
        "billing_profile_id": None if paid_with == TRANSFER else (row_id(paid_with) or 0),
    }


def on_form(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    meta = ui.metadata(view)
    data = clean(NewSubscription(**_form_data(view, req.deps.catalog), nonce=""))
    with req.deps.uow() as uow:
        offer = quote_new(uow, req.deps.catalog, req.deps.clock, req.actor, data)
        draw = draw_new(uow, req.actor, data, offer)
        name = account_name(uow, req.actor.agency_id, data)
    ack(
        response_action="update",
        view=_confirm_modal(req, data, offer, draw, name, channel=meta.get("channel")),
    )


def _confirm_modal(
    req: Req, data: NewSubscription, offer: Quote, draw: Draw, name: str, *, channel: object
) -> dict[str, Any]:
    """The confirm step: who, what it costs, how it is paid; the form is held server-side."""
    t = req.t
    summary = t.plural(
        N_("{n} license for {customer} ({company}, {country})."),
        N_("{n} licenses for {customer} ({company}, {country})."),
        data.licenses,
        customer=data.customer_name,
        company=data.company or "-",
        country=data.country,
    )
    summary += " " + t(
        N_("The account will be named {name} (https://{name}.{domain})."),
        name=name,
        domain=req.deps.provider.domain,
    )
    blocks: list[Block] = [
        ui.section(summary),
        ui.section("\n".join(quote_lines(req, offer))),
        ui.context(
            *pay_lines(
                req, draw, data.payment_method, vendor=billing_vendor(req.deps.provider, offer.choice.product)
            )
        ),
        *confirmations.large_charge(req, offer.total_today),
    ]
    form = {k: v for k, v in data.__dict__.items() if k != "nonce"}
    held = confirmations.hold(req, "seats-new", form, amount=offer.total_today)
    stored = {"pending": held, "channel": channel}
    return ui.modal(
        t(N_("Confirm subscription")),
        CONFIRM,
        blocks,
        submit=t(N_("Pay")),
        close=t(N_("Cancel")),
        private_metadata=stored,
    )


def on_confirm(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    """Errors here have no input to sit on, so they are shown in the modal itself."""
    req = open_request(context, body)
    context["translator"] = req.t
    t = req.t
    meta = ui.metadata(view)
    started: list[int] = []
    try:
        text = confirmations.confirmed(
            req, "seats-new", meta.get("pending"), lambda held: _create(req, view, meta, held, started)
        )
    except DomainError as error:
        text = f":warning: {t(error.message, **error.params)}"
        ack(response_action="update", view=_done_modal(req, t(N_("Not created")), text))
        return
    ack(response_action="update", view=_done_modal(req, t(N_("Subscription created")), text))
    for op_id in started:  # provisioned at the vendor after the answer; the creator is told
        runner_of(req.deps).submit(op_id, client)


def _create(
    req: Req, view: dict[str, Any], meta: dict[str, Any], held: pending.Claimed, started: list[int]
) -> str:
    """Create the held subscription once, at the price shown; its vendor operation, when one starts,
    goes in `started` to run after the answer."""
    data = clean(NewSubscription(**{**held.payload, "nonce": held.id}))
    deps = req.deps
    with deps.uow() as uow:
        pending.same_amount(
            held.amount, quote_new(uow, deps.catalog, deps.clock, req.actor, data).total_today
        )
    with deps.uow() as uow:
        done = create_subscription(
            uow,
            deps.catalog,
            deps.clock,
            deps.provider,
            deps.gateway,
            actor=req.actor,
            data=data,
            notify=notify_of(req, view, meta.get("channel")),
        )
    if done.operation_id is not None and not done.repeated:
        started.append(done.operation_id)
    return _created_text(req, done)


def _done_modal(req: Req, title: str, text: str) -> dict[str, Any]:
    return ui.modal(title, "seats_done", [ui.section(text)], close=req.t(N_("Close")))


def _created_text(req: Req, done: Created) -> str:
    """What the invoice drew, as the confirm step showed it: prepaid credit, then the card (or the
    bank transfer the invoice waits for)."""
    t = req.t
    status = t(done.invoice_status.replace("_", " "))
    total, credit = Decimal(done.total), Decimal(done.credit_used)
    if done.vendor is not None:  # SPEC §9: the vendor bills it, nothing was charged here
        return t(
            N_(
                ":white_check_mark: Subscription {account} is created. Invoice {invoice} of {total}, billed by "
                "{vendor} (nothing charged here). Add its members with `/seats add {account} <emails>`; "
                "`/seats {account}` shows it."
            ),
            account=done.account,
            invoice=done.invoice_number,
            total=total,
            vendor=vendor_label(done.vendor),
        )
    if done.payment_method == TRANSFER:
        message = N_(
            ":white_check_mark: Subscription {account} is created. Invoice {invoice} of {total} ({status}): "
            "{credit} from credit, {rest} by bank transfer. Add its members with `/seats add {account} "
            "<emails>`; `/seats {account}` shows it."
        )
    else:
        message = N_(
            ":white_check_mark: Subscription {account} is created. Invoice {invoice} of {total} ({status}): "
            "{credit} from credit, {rest} by card. Add its members with `/seats add {account} <emails>`; "
            "`/seats {account}` shows it."
        )
    return t(
        message,
        account=done.account,
        invoice=done.invoice_number,
        total=total,
        status=status,
        credit=credit,
        rest=total - credit,
    )
