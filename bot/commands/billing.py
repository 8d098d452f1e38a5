"""`/billing`: profiles (see `billing_profiles`), invoice history, one invoice, transfers marked paid."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks import Block

from bot import ui
from bot.commands import billing_profiles
from bot.context import Req, open_request
from bot.i18n import Translator
from bot.parsing import tokens
from bot.quote_render import line_amount
from bot.vocabulary import human, reason_text
from domain import books_export
from domain.billing import invoices as service
from domain.cards import refuse_card_numbers
from domain.errors import InvalidInput
from domain.i18n import N_, revived
from domain.store.models import Invoice
from domain.vendor_billing import VENDOR, vendor_label

log = logging.getLogger(__name__)
STATUS_ICON = {"paid": ":white_check_mark:", "awaiting_transfer": ":hourglass:", "failed": ":x:"}


def register(app: App) -> None:
    app.command("/billing")(billing_command)
    billing_profiles.register(app)


def billing_command(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    req = open_request(context, command)
    context["translator"] = req.t
    refuse_card_numbers(command.get("text"))
    words = tokens(command.get("text"))
    sub = words[0].lower() if words else "help"
    if sub == "profiles":
        billing_profiles.profiles_reply(ack, req, words[1:], command, client)
    elif sub == "history" and len(words) > 1 and words[-1].lower() == "csv":
        ack(**history_csv_reply(req, words[1:-1], client))
    elif sub == "history":
        ack(**history_reply(req, words[1:]))
    elif sub == "invoice":
        if len(words) != 2:
            raise InvalidInput(N_("Write it as {example}."), example="`/billing invoice INV-2026-000001`")
        with req.deps.uow() as uow:
            reply = invoice_reply(req, service.get_invoice(uow, req.actor, words[1]))
        ack(**reply)
    elif sub == "paid":
        if len(words) != 2:
            raise InvalidInput(N_("Write it as {example}."), example="`/billing paid INV-2026-000001`")
        with req.deps.uow() as uow:
            number = service.mark_paid(uow, req.deps.clock, req.actor, words[1]).invoice.number
        ack(
            **ui.notice(
                req.t(
                    N_(":white_check_mark: Invoice {number} is paid (bank transfer received)."),
                    number=number,
                )
            )
        )
    else:
        ack(**help_reply(req, unknown=None if sub == "help" else words[0]))


def help_reply(req: Req, unknown: str | None = None) -> dict[str, Any]:
    t = req.t
    lines = [
        t(N_("`/billing profiles` — the agency's cards and the accounts each one pays for")),
        t(
            N_(
                "`/billing profiles add` — add a billing profile · `/billing profiles delete <id>` — remove an unused one"
            )
        ),
        t(N_("`/billing profiles edit <id>` — change a profile's label or its card's expiry")),
        t(N_("`/billing history [account] [YYYY-MM]` — invoices, latest first")),
        t(N_("`/billing history [YYYY-MM] csv` — the invoices as a CSV file, sent to you privately")),
        t(N_("`/billing invoice <number>` — one invoice with its lines")),
        t(N_("`/billing paid <number>` — record a bank transfer for an invoice awaiting it")),
    ]
    blocks: list[Block] = []
    if unknown:
        blocks.append(
            ui.section(t(N_(":warning: I don't know `{word}`. Here is what `/billing` does:"), word=unknown))
        )
    blocks += [ui.header(t(N_("Billing"))), ui.section("\n".join(lines))]
    return ui.message(t(N_("Billing help")), blocks)


def history_csv_reply(req: Req, words: list[str], client: WebClient) -> dict[str, Any]:
    """The invoices file of `reseller-bot export` (all, or one month) sent to the requester's DM."""
    t = req.t
    if len(words) > 1 or (words and not service.is_month(words[0])):
        raise InvalidInput(N_("Write it as {example}."), example="`/billing history 2026-11 csv`")
    month = service.parse_month(words[0]) if words else None
    with req.deps.read_uow() as uow:
        text = books_export.invoices_csv(uow, req.actor, month)
    name = books_export.file_name("invoices", month)
    try:
        channel = client.conversations_open(users=req.user_id)["channel"]["id"]
        client.files_upload_v2(channel=channel, content=text, filename=name, title=name, snippet_type="csv")
    except (SlackApiError, SlackRequestError, KeyError, TypeError):
        log.warning("the invoices file could not be sent to %s", req.user_id, exc_info=True)
        return ui.notice(
            t(N_(":warning: Slack did not take the file {name}. Try again in a minute."), name=name)
        )
    return ui.notice(t(N_(":page_facing_up: I sent you {name} in a direct message from the app."), name=name))


def history_reply(req: Req, words: list[str]) -> dict[str, Any]:
    t = req.t
    account = month = None
    for word in words[:2]:
        if service.is_month(word):
            month = service.parse_month(word)
        elif account is None:
            account = word
        else:
            raise InvalidInput(N_("Write it as {example}."), example="`/billing history acme 2026-11`")
    if len(words) > 2:
        raise InvalidInput(N_("Write it as {example}."), example="`/billing history acme 2026-11`")
    with req.deps.uow() as uow:
        rows = service.history(uow, req.actor, account_name=account, month=month)
        lines = [
            f"{STATUS_ICON.get(r.invoice.status, '')} *{r.invoice.number}* · {t.format(r.invoice.created_at.date())} · "
            f"{ui.escape(r.account_name) if r.account_name else t(N_('agency'))} · {human(t, r.invoice.kind)} · {t.money(r.invoice.total, r.invoice.currency)} · "
            f"{human(t, r.invoice.status)}{billed_by_text(t, r.invoice)}{_reverse_charge(t, r)}"
            for r in rows
        ]
    title = t(N_("Invoices"))
    if account:
        title = t(N_("Invoices of {account}"), account=account)
    blocks: list[Block] = [
        ui.header(title),
        ui.section(ui.clip("\n".join(lines) or t(N_("No invoices yet.")), 2900)),
    ]
    blocks.append(ui.context(t(N_("`/billing invoice <number>` shows one with its lines."))))
    return ui.message(title, blocks)


def billed_by_text(t: Translator, invoice: Invoice) -> str:
    """` · billed by ActiveCampaign` for an invoice the vendor billed itself (SPEC §9), else nothing."""
    if invoice.billed_by != VENDOR:
        return ""
    return " · " + t(N_("billed by {vendor}"), vendor=vendor_label(invoice.vendor_name))


def _paid_with(t: Translator, invoice: Invoice) -> list[tuple[str, str]]:
    """How the invoice was paid: credit and card, or the vendor that billed it (nothing here)."""
    if invoice.billed_by == VENDOR:
        vendor = t(
            N_("{vendor}, to its billing profile (no card charged here)"),
            vendor=vendor_label(invoice.vendor_name),
        )
        return [(t(N_("Billed by")), vendor)]
    return [
        (t(N_("From prepaid credit")), t.money(invoice.credit_used, invoice.currency)),
        (t(N_("On the card")), t.money(invoice.card_charged, invoice.currency)),
    ]


def invoice_reply(req: Req, row: service.InvoiceRow) -> dict[str, Any]:
    t = req.t
    invoice: Invoice = row.invoice
    lines = [
        f"{t(line['label'], **{k: revived(v) for k, v in (line.get('params') or {}).items()})}: {line_amount(t, str(line['label']), _dec(line['amount']), invoice.currency)}"
        for line in invoice.lines
    ]
    facts = [
        (t(N_("Status")), f"{STATUS_ICON.get(invoice.status, '')} {human(t, invoice.status)}"),
        (t(N_("Account")), row.account_name or t(N_("agency"))),
        (t(N_("Total")), t.money(invoice.total, invoice.currency)),
        *_paid_with(t, invoice),
        (t(N_("Date")), t.format(invoice.created_at)),
    ]
    if invoice.tax:
        facts.append((t(N_("Tax")), t.money(invoice.tax, invoice.currency)))
    vat_number = row.reverse_charge_vat_number
    if vat_number is not None:  # EU invoices: the mention and the customer's VAT number
        facts.append((t(N_("VAT")), t(N_("Reverse charge (no VAT charged)"))))
        facts.append((t(N_("Customer VAT number")), vat_number or "–"))
    if invoice.failure:
        facts.append((t(N_("Failure")), reason_text(t, invoice.failure)))
    blocks: list[Block] = [
        ui.header(t(N_("Invoice {number}"), number=invoice.number)),
        ui.fields(facts),
        ui.section(ui.clip("\n".join(lines) or "–", 2900)),
    ]
    return ui.message(t(N_("Invoice {number}"), number=invoice.number), blocks)


def _reverse_charge(t: Translator, row: service.InvoiceRow) -> str:
    """A history line's mention of an EU reverse charge, with the customer's VAT number."""
    number = row.reverse_charge_vat_number
    return (
        "" if number is None else " · " + t(N_("reverse charge, VAT number {vat_number}"), vat_number=number)
    )


def _dec(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)
