"""A quote as Block Kit: the SPEC §3 lines in order, the discount tier, and what happens next."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import Block

from bot import ui
from bot.i18n import Translator
from bot.vocabulary import product_label, tier_label
from domain.i18n import N_
from domain.plans import choice_from_json
from domain.pricing import PlanChoice, Quote
from domain.quotes import Note

CREATE_ACTION = "accounts_add_with_plan"
EMPHASISED = {"per_cycle", "total_today"}
SUBTRACTED = "Minus "
"""Message ids of lines that take their amount off ("Minus migration discount (…)")."""


def describe(t: Translator, choice: PlanChoice) -> str:
    """`marketing plus · 2,500 contacts · annual · 3 seats · sms` in the reader's language."""
    product = product_label(t, choice.product)
    if choice.version == "V1":
        return t(
            N_("{product} {level} (free)"),
            product=product,
            level=tier_label(t, choice.level) if choice.level else "",
        )
    parts = [product]
    if choice.licenses is not None:
        parts.append(t.plural(N_("{n} license"), N_("{n} licenses"), choice.licenses))
    else:
        parts.append(tier_label(t, choice.tier) if choice.tier else "")
        parts.append(t(N_("{contacts} contacts"), contacts=choice.contacts or 0))
    parts.append(t(N_("annual")) if choice.frequency == "annual" else t(N_("monthly")))
    if choice.seats is not None:
        parts.append(t.plural(N_("{n} seat"), N_("{n} seats"), choice.seats))
    if choice.addons:
        parts.append(", ".join(choice.addons))
    for name, value in choice.limits:
        shown = t.number(value) if isinstance(value, int) else value
        parts.append(t(N_("{limit}: {value}"), limit=name, value=shown))
    return " · ".join(parts)


def line_amount(t: Translator, label: str, amount: Decimal, currency: str | None = None) -> str:
    """A line's amount beside its label (quotes, confirms, invoices). A discount is stored negative;
    where its label already says so ("Minus reseller discount", in every language: "Moins la remise…",
    "Meno lo sconto…") the amount is shown unsigned, so no line reads as a double negative."""
    shown = abs(amount) if label.startswith(SUBTRACTED) else amount
    return t.money(shown, currency)


def line_fields(t: Translator, quote: Quote) -> list[Block]:
    pairs: list[tuple[str, str]] = []
    for line in quote.lines:
        label = t(line.label, **dict(line.params))
        amount = "" if line.amount is None else line_amount(t, line.label, line.amount)
        if line.kind in EMPHASISED:
            label, amount = f"*{label}*", f"*{amount}*"
        pairs.append((label, amount))
    blocks: list[Block] = []
    for start in range(0, len(pairs), 5):
        chunk = pairs[start : start + 5]
        blocks.append(
            ui.section("\n".join(f"{label}  →  {amount}" if amount else label for label, amount in chunk))
        )
    return blocks


def tier_lines(t: Translator, quote: Quote, count: int) -> list[str]:
    tier = quote.tier
    lines = [
        t.plural(
            N_("The agency has {n} active paid account: a reseller discount of {percent}%."),
            N_("The agency has {n} active paid accounts: a reseller discount of {percent}%."),
            count,
            percent=tier.percent,
        )
    ]
    if tier.accounts_to_next is not None and tier.next_percent is not None:
        lines.append(
            t.plural(
                N_("{n} more account reaches {percent}%."),
                N_("{n} more accounts reach {percent}%."),
                tier.accounts_to_next,
                percent=tier.next_percent,
            )
        )
    following = quote.tier_next_cycle
    if following is not None and following.percent != tier.percent:
        lines.append(
            t(
                N_("With this account the agency moves to {percent}% at the next cycle."),
                percent=following.percent,
            )
        )
    return lines


def quote_blocks(t: Translator, quote: Quote, count: int, *, with_create: bool = True) -> list[Block]:
    blocks: list[Block] = [ui.header(t(N_("Quote: {plan}"), plan=describe(t, quote.choice)))]
    blocks += line_fields(t, quote)
    # tier_lines already says how far the next tier is and where a new account moves the agency
    told = ("accounts", "count")
    notes = [note_text(t, n, n.params) for n in quote.notes if not any(k in n.params for k in told)]
    blocks.append(ui.context(*tier_lines(t, quote, count), *notes))
    if with_create and quote.effect == "new":
        blocks.append(
            ui.actions(
                ui.button(
                    t(N_("Create account with this plan")),
                    CREATE_ACTION,
                    plan_value(quote.choice),
                    style="primary",
                )
            )
        )
    return blocks


def quote_message(t: Translator, quote: Quote, count: int) -> dict[str, Any]:
    summary = t(N_("{plan}: {amount} per cycle"), plan=describe(t, quote.choice), amount=quote.per_cycle)
    return ui.message(summary, quote_blocks(t, quote, count))


def plan_value(choice: PlanChoice) -> str:
    """The plan as a button value (JSON, well under Slack's 2,000 characters)."""
    data = {
        k: v
        for k, v in {
            "version": choice.version,
            "product": choice.product,
            "level": choice.level,
            "tier": choice.tier,
            "contacts": choice.contacts,
            "frequency": choice.frequency,
            "seats": choice.seats,
            "addons": list(choice.addons),
            "licenses": choice.licenses,
            "limits": [[name, value] for name, value in choice.limits],
        }.items()
        if v not in (None, [])
    }
    return json.dumps(data, separators=(",", ":"))


def plan_from_value(value: str) -> PlanChoice:
    return choice_from_json(json.loads(value))


def note_text(t: Translator, note: Note, params: Mapping[str, object]) -> str:
    """A quote note in the reader's words, in the plural form its count asks for."""
    forms = note.forms()
    if forms is None:
        return t(note.message, **dict(params))
    singular, plural, n = forms
    return t.plural(singular, plural, n, **{k: v for k, v in params.items() if k != "n"})
