"""`/seats buy`, `/seats reduce`, `/seats admin`: the steps that cost money, each confirmed first.

Confirm buttons carry only the id of a pending confirmation held by the server (`bot.confirmations`):
the account, the count and the amount shown stay on the server, a click re-checks them, and the id is
the charge's idempotency key, so a double click or a Slack retry charges once and grows the licenses
once.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk.models.blocks import Block

from bot import confirmations, ui
from bot.answer import answer
from bot.commands import approvals
from bot.context import Req, open_request
from bot.quote_render import line_amount, note_text
from domain import pending
from domain.i18n import N_
from domain.ledger import Draw
from domain.pricing import Quote
from domain.seats.members import make_admin
from domain.seats.rules import ADMIN_WARNING
from domain.seats.topup import Bought, TopUp, confirm_topup, quote_reduce, quote_topup, reduce_seats
from domain.vendor_billing import vendor_label

CONFIRM_BUY = "seats_buy_confirm"
CONFIRM_ADMIN = "seats_admin_confirm"
CONFIRM_REDUCE = "seats_reduce_confirm"
CANCEL = "seats_cancel"
_PERCENT_KEYS = ("percent", "rate")
_TEXT_ONLY = ("vat_reverse_charge", "no_vat")


def register(app: App) -> None:
    app.action(CONFIRM_BUY)(on_confirm_buy)
    app.action(CONFIRM_ADMIN)(on_confirm_admin)
    app.action(CONFIRM_REDUCE)(on_confirm_reduce)
    app.action(CANCEL)(on_cancel)


def _params(req: Req, params: Mapping[str, object]) -> dict[str, object]:
    """Quote params as the translator should format them: a percentage (its label has the % sign)
    is a plain number, not money."""
    return {
        k: req.t.number(v) if k in _PERCENT_KEYS and isinstance(v, Decimal) else v for k, v in params.items()
    }


def quote_lines(req: Req, quote: Quote) -> list[str]:
    t = req.t
    lines = []
    for line in quote.lines:
        label = t(line.label, **_params(req, line.params))
        if line.amount is None or line.kind in _TEXT_ONLY:
            lines.append(label)
        else:
            lines.append(f"{label}: *{line_amount(t, line.label, line.amount)}*")
    lines += [note_text(t, note, _params(req, note.params)) for note in quote.notes]
    return lines


def topup_blocks(req: Req, offer: TopUp) -> list[Block]:
    t = req.t
    what = (
        t.plural(
            N_("Buy {n} license for {account}"),
            N_("Buy {n} licenses for {account}"),
            offer.extra,
            account=offer.account,
        )
        if offer.per_seat
        else t.plural(
            N_("Add {n} user seat to {account}"),
            N_("Add {n} user seats to {account}"),
            offer.extra,
            account=offer.account,
        )
    )
    pay = pay_lines(req, offer.draw, offer.payment_method, vendor=offer.vendor)
    return [
        ui.header(what),
        ui.section("\n".join(quote_lines(req, offer.quote))),
        *confirmations.large_charge(req, offer.quote.total_today),
        ui.context(*pay),
    ]


def pay_lines(req: Req, draw: Draw, payment_method: str, *, vendor: str | None = None) -> list[str]:
    """How a charge is paid, in the ledger's draw order: prepaid credit first, then the card (or the
    bank transfer) for the rest; or billed by the vendor itself (SPEC §9), nothing drawn here."""
    t = req.t
    if vendor is not None:
        amount = draw.from_credit + draw.from_card
        return [
            t(
                N_("{vendor} bills {amount} itself: nothing is drawn or charged here."),
                vendor=vendor_label(vendor),
                amount=amount,
            )
        ]
    pay = [t(N_("From prepaid credit: {amount}"), amount=draw.from_credit)]
    if payment_method == "transfer":
        pay.append(
            t(
                N_("By bank transfer (the invoice waits as awaiting transfer): {amount}"),
                amount=draw.from_card,
            )
        )
    else:
        pay.append(t(N_("From the card: {amount}"), amount=draw.from_card))
    return pay


def buy_reply(req: Req, account: str, extra: int) -> dict[str, Any]:
    offer = quote_topup_of(req, account, extra)
    pending_id = hold_topup(req, offer)
    blocks = topup_blocks(req, offer)
    blocks.append(
        ui.actions(
            ui.button(
                req.t(N_("Confirm and pay {amount}"), amount=offer.quote.total_today),
                CONFIRM_BUY,
                pending_id,
                style="primary",
            ),
            ui.button(req.t(N_("Cancel")), CANCEL, pending_id),
        )
    )
    return ui.message(req.t(N_("Confirm the purchase")), blocks)


def bought_text(req: Req, done: Bought) -> str:
    t = req.t
    if done.invoice_status == "failed":
        return t(
            N_(":x: The card was declined (invoice {invoice}); {account} keeps {total} licenses."),
            invoice=done.invoice_number,
            account=done.account,
            total=done.total_after,
        )
    status = t(done.invoice_status.replace("_", " "))
    return t(
        N_(
            ":white_check_mark: {account} has {total} in all after this purchase: invoice {invoice} of "
            "{amount} ({status})."
        ),
        account=done.account,
        total=done.total_after,
        invoice=done.invoice_number,
        amount=Decimal(done.total),
        status=status,
    )


def quote_topup_of(req: Req, account: str, extra: int) -> TopUp:
    with req.deps.uow() as uow:
        deps = req.deps
        return quote_topup(
            uow, deps.catalog, deps.clock, req.actor, name=account, extra=extra, provider=deps.provider
        )


def hold_topup(req: Req, offer: TopUp) -> str:
    """The server keeps the account, the count and the amount shown; the button carries the id."""
    payload = {"name": offer.account, "extra": offer.extra}
    return confirmations.hold(req, "topup", payload, amount=offer.quote.total_today)


def confirm_buy(req: Req, raw: Any, origin: str | None) -> str:
    """Claim the held top-up, re-quote it (account, status, bounds, price) and charge it once."""

    def run(held: pending.Claimed) -> str:
        name, extra = str(held.payload["name"]), int(held.payload["extra"])
        offer = quote_topup_of(req, name, extra)
        pending.same_amount(held.amount, offer.quote.total_today)
        waiting = approvals.hold(req, "topup", {"name": name, "extra": extra, "nonce": held.id}, origin)
        if waiting is not None:
            return waiting
        with req.deps.uow() as uow:
            done = confirm_topup(
                uow,
                req.deps.catalog,
                req.deps.clock,
                req.deps.gateway,
                req.actor,
                name=name,
                extra=extra,
                nonce=held.id,
                provider=req.deps.provider,
            )
        return bought_text(req, done)

    return confirmations.confirmed(req, "topup", raw, run)


def on_confirm_buy(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    text = confirm_buy(req, ui.action_value(body), (body.get("channel") or {}).get("id"))
    answer(context, body, ui.notice(text), replace=True)


def reduce_reply(req: Req, account: str, fewer: int, reason: str | None) -> dict[str, Any]:
    """The downgrade's quote and a Confirm button (SPEC §3): nothing is scheduled before the click.
    The server holds the account, the count, the reason and the per-cycle amount shown."""
    t = req.t
    with req.deps.uow() as uow:
        offer = quote_reduce(uow, req.deps.catalog, req.deps.clock, req.actor, name=account, fewer=fewer)
    payload = {"name": account, "fewer": fewer, "reason": reason}
    pending_id = confirmations.hold(req, "seats-reduce", payload, amount=offer.per_cycle)
    what = t(
        N_("Reduce {account} to {seats} user seats at its renewal on {date}"),
        account=account,
        seats=offer.choice.seats or 0,
        date=offer.renewal,
    )
    blocks: list[Block] = [
        ui.header(what),
        ui.section("\n".join(quote_lines(req, offer))),
        ui.context(
            t(
                N_(
                    "From the renewal on {date} you pay {amount} per cycle. Nothing is charged today; no refund."
                ),
                date=offer.renewal,
                amount=offer.per_cycle,
            )
        ),
        ui.actions(
            ui.button(t(N_("Confirm the downgrade")), CONFIRM_REDUCE, pending_id, style="primary"),
            ui.button(t(N_("Cancel")), CANCEL, pending_id),
        ),
    ]
    return ui.message(what, blocks)


def confirm_reduce(req: Req, raw: Any) -> str:
    """Claim the held reduction, re-quote it (a moved price is said, not scheduled) and schedule it."""

    def run(held: pending.Claimed) -> str:
        name, fewer = str(held.payload["name"]), int(held.payload["fewer"])
        reason = held.payload.get("reason")
        with req.deps.uow() as uow:
            offer = quote_reduce(uow, req.deps.catalog, req.deps.clock, req.actor, name=name, fewer=fewer)
        pending.same_amount(held.amount, offer.per_cycle)
        with req.deps.uow() as uow:
            offer = reduce_seats(
                uow,
                req.deps.catalog,
                req.deps.clock,
                req.actor,
                name=name,
                fewer=fewer,
                reason=None if reason is None else str(reason),
            )
        return req.t(
            N_(
                ":white_check_mark: {account} goes to {seats} user seats at its renewal on {date}; no refund."
            ),
            account=name,
            seats=offer.choice.seats or 0,
            date=offer.renewal,
        )

    return confirmations.confirmed(req, "seats-reduce", raw, run)


def on_confirm_reduce(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    text = confirm_reduce(req, ui.action_value(body))
    answer(context, body, ui.notice(text), replace=True)


def admin_reply(req: Req, account: str, email: str, next_renewal: Any) -> dict[str, Any]:
    t = req.t
    warning = t(ADMIN_WARNING, email=email, date=next_renewal)
    pending_id = confirmations.hold(req, "admin", {"account": account, "email": email})
    blocks: list[Block] = [
        ui.section(f":warning: {warning}"),
        ui.actions(
            ui.button(t(N_("Make administrator")), CONFIRM_ADMIN, pending_id, style="danger"),
            ui.button(t(N_("Cancel")), CANCEL, pending_id),
        ),
    ]
    return ui.message(warning, blocks)


def on_confirm_admin(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = open_request(context, body)
    context["translator"] = req.t

    def run(held: pending.Claimed) -> str:
        account, email = str(held.payload["account"]), str(held.payload["email"])
        with req.deps.uow() as uow:
            row = make_admin(uow, req.deps.clock, req.actor, account, email)
            renewal = row.period_end
        return req.t(
            N_(
                ":white_check_mark: {email} administers {account}. From the renewal on {date} it is charged "
                "without the reseller discount."
            ),
            email=email,
            account=account,
            date=renewal,
        )

    text = confirmations.confirmed(req, "admin", ui.action_value(body), run)
    answer(context, body, ui.notice(text), replace=True)


def on_cancel(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = open_request(context, body)
    text = req.t(N_("Cancelled: nothing was changed."))
    answer(
        context,
        body,
        ui.notice(confirmations.cancelled(req, ui.action_value(body), text)),
        replace=True,
    )
