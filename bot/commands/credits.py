"""`/credits`: balances, purchases (see `credits_buy`), SMS allocation, inbox previews, history."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot import prepaid_advice, ui
from bot.commands import credits_buy
from bot.context import Req, open_request
from bot.parsing import positive_int, refuse_extra, tokens
from bot.vocabulary import human
from domain import credit_pools, ledger
from domain.cards import refuse_card_numbers
from domain.errors import InvalidInput
from domain.i18n import N_


def register(app: App) -> None:
    app.command("/credits")(credits_command)
    credits_buy.register(app)
    prepaid_advice.register(app)


def credits_command(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    req = open_request(context, command)
    context["translator"] = req.t
    refuse_card_numbers(command.get("text"))
    words = tokens(command.get("text"))
    sub = words[0].lower() if words else "balance"
    if sub in ("balance", "balances"):
        refuse_extra(words, 1 if words else 0, "`/credits`")
        ack(**balances_reply(req))
    elif sub == "buy":
        credits_buy.buy_command(ack, req, words[1:], command, client)
    elif sub in ("allocate", "apply"):
        ack(**move_reply(req, sub, words[1:], command.get("trigger_id") or ""))
    elif sub == "history":
        refuse_extra(words, 2, "`/credits history` or `/credits history acme-shop`")
        ack(**history_reply(req, words[1] if len(words) > 1 else None))
    else:
        ack(**help_reply(req, unknown=None if sub == "help" else words[0]))


def help_reply(req: Req, unknown: str | None = None) -> dict[str, Any]:
    t = req.t
    lines = [
        t(N_("`/credits` — balances: prepaid credit, earmarks, SMS and inbox-preview pools")),
        t(
            N_(
                "`/credits buy prepaid <amount> [for <account>] [profile <id>]` — prepaid credit, optionally earmarked"
            )
        ),
        t(
            N_(
                "`/credits buy sms <pack>` · `/credits buy preview <pack>` — credit packs; `/credits buy` opens a form"
            )
        ),
        t(
            N_(
                "`/credits allocate sms <n> <account>` — give SMS credits to a trial, plus, professional or enterprise account"
            )
        ),
        t(N_("`/credits apply preview <n> <account>` — apply inbox-preview credits to an account")),
        t(N_("`/credits history [account]` — the latest credit transactions")),
    ]
    blocks: list[Block] = []
    if unknown:
        blocks.append(
            ui.section(t(N_(":warning: I don't know `{word}`. Here is what `/credits` does:"), word=unknown))
        )
    blocks += [ui.header(t(N_("Credits"))), ui.section("\n".join(lines))]
    return ui.message(t(N_("Credits help")), blocks)


def balances_reply(req: Req) -> dict[str, Any]:
    t = req.t
    with req.deps.uow() as uow:
        b = credit_pools.balances(uow, req.actor)

    def listing(rows: tuple[tuple[str, Any], ...], money: bool) -> str:
        if not rows:
            return t(N_("none"))
        shown = [f"{ui.escape(name)}: {t.money(v) if money else t.number(int(v))}" for name, v in rows[:30]]
        more = t(N_(" and {n} more"), n=len(rows) - 30) if len(rows) > 30 else ""
        return ", ".join(shown) + more

    blocks: list[Block] = [
        ui.header(t(N_("Credits of {agency}"), agency=req.agency_name)),
        ui.fields(
            [
                (t(N_("Prepaid credit (general)")), t.money(b.prepaid)),
                (t(N_("SMS pool")), t.number(int(b.sms_pool))),
                (t(N_("Inbox-preview pool")), t.number(int(b.preview_pool))),
            ]
        ),
        *prepaid_advice.advice_blocks(req),
        ui.section(t(N_("*Earmarked prepaid credit:* {rows}"), rows=listing(b.earmarks, True))),
        ui.section(t(N_("*SMS allocated:* {rows}"), rows=listing(b.sms_allocated, False))),
        ui.section(t(N_("*Inbox previews applied:* {rows}"), rows=listing(b.preview_applied, False))),
        ui.context(t(N_("Charges draw from an account's earmark, then the general credit, then the card."))),
    ]
    return ui.message(t(N_("Credits of {agency}"), agency=req.agency_name), blocks)


def move_reply(req: Req, verb: str, words: list[str], trigger_id: str) -> dict[str, Any]:
    t = req.t
    pool = "sms" if verb == "allocate" else "preview"
    example = "`/credits allocate sms 500 acme`" if verb == "allocate" else "`/credits apply preview 20 acme`"
    if len(words) != 3 or words[0].lower() != pool:
        raise InvalidInput(N_("Write it as {example}."), example=example)
    units = positive_int(words[1], what=t(N_("The number of credits")), example=example)
    # The trigger id is unique per slash command and the same when Slack redelivers it; the domain
    # adds what is moved (pool, units, account, member) to the key, so a different move is never dropped.
    key = trigger_id or "no-trigger"
    with req.deps.uow() as uow:
        if verb == "allocate":
            moved = credit_pools.allocate_sms(
                uow, req.deps.clock, req.actor, units=units, account_name=words[2], key=key
            )
            text = t(
                N_(
                    ":white_check_mark: {units} SMS credits allocated to {account} (it has {total}); {left} left in the pool."
                ),
                units=units,
                account=moved.account_name,
                total=int(moved.account_total),
                left=int(moved.pool_left),
            )
        else:
            moved = credit_pools.apply_preview(
                uow, req.deps.clock, req.actor, units=units, account_name=words[2], key=key
            )
            text = t(
                N_(
                    ":white_check_mark: {units} inbox-preview credits applied to {account} (it has {total}); {left} left in the pool."
                ),
                units=units,
                account=moved.account_name,
                total=int(moved.account_total),
                left=int(moved.pool_left),
            )
    if moved.repeated:
        text = t(
            N_(
                ":information_source: Already done: this request moved {units} {pool} credits to {account} "
                "once; nothing was moved again ({account} has {total}; {left} left in the pool)."
            ),
            units=units,
            pool=ledger.pool_name(moved.pool),
            account=moved.account_name,
            total=int(moved.account_total),
            left=int(moved.pool_left),
        )
    return ui.notice(text)


def history_reply(req: Req, account: str | None) -> dict[str, Any]:
    t = req.t
    with req.deps.uow() as uow:
        rows = credit_pools.history(uow, req.actor, account)
    title = t(N_("Credit history of {account}"), account=account) if account else t(N_("Credit history"))
    lines = []
    for row in rows:
        if row.pool == "prepaid":
            amount = t.money(row.amount)
        else:
            amount = ("+" if row.amount > 0 else "") + t.number(int(row.amount))
        where = ui.escape(row.account_name) if row.account_name else t(N_("agency pool"))
        who = f"<@{row.actor}>" if row.actor[:1] in ("U", "W") else ui.escape(row.actor)
        lines.append(
            f"{t.format(row.at)} · {t(ledger.pool_name(row.pool))} {amount} · {human(t, row.kind)} · {where} · {who}"
        )
    text = "\n".join(lines) or t(N_("No credit transactions yet."))
    blocks: list[Block] = [ui.header(title), ui.section(ui.clip(text, 2900))]
    return ui.message(title, blocks)
