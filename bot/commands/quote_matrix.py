"""`/quote matrix`: the catalog's list prices next to the agency's price at its current tier (SPEC §2)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import Block

from bot import ui
from bot.context import Req
from bot.quote_text import Said
from domain.catalog import ContactsProduct, PerSeatProduct
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.money import round_money
from domain.periods import Frequency
from domain.portfolio import count_active_paid
from domain.tiers import discount_tier

FREQUENCIES: dict[str, Frequency] = {"monthly": "monthly", "annual": "annual", "yearly": "annual"}


def matrix_reply(req: Req, words: list[str]) -> dict[str, Any]:
    t, catalog = req.t, req.deps.catalog
    paid = [
        n
        for v in sorted(catalog.versions)
        for n in catalog.product_names(v)
        if not isinstance(catalog.product(n), dict) and n in _paid_products(req)
    ]
    product = paid[0]
    frequency: Frequency = "monthly"
    said = Said("`/quote matrix marketing annual`")
    for word in (w.lower() for w in words):
        if word in paid:
            product = word
            said.once("product", word, product)
        elif word in FREQUENCIES:
            frequency = FREQUENCIES[word]
            said.once("frequency", word, frequency)
        elif word in ("licenses", "license"):
            product = next((n for n in paid if isinstance(catalog.product(n), PerSeatProduct)), product)
            said.once("product", word, product)
        else:
            raise InvalidInput(
                N_(
                    "I don't understand {word}. Example: `/quote matrix {product} annual` (products: {choices})."
                ),
                word=word,
                product=paid[0],
                choices=", ".join(paid),
            )
    with req.deps.uow() as uow:
        count = count_active_paid(uow.session, req.actor.agency_id)
    tier = discount_tier(catalog.discount_tiers, count)
    percent = tier.percent
    title = t(N_("Price matrix: {product}, {frequency}"), product=product, frequency=t(frequency))
    blocks: list[Block] = [
        ui.header(title),
        ui.context(
            t(
                N_(
                    "List price → your price at your current reseller discount of {percent}% (active paid accounts: {n})."
                ),
                percent=percent,
                n=count,
            )
        ),
    ]
    spec = catalog.product(product)
    if isinstance(spec, ContactsProduct):
        for name, plan in spec.tiers.items():
            lines = []
            for bracket in spec.brackets:
                price = plan.prices[bracket].per_cycle(frequency)
                lines.append(
                    f"`{t.number(bracket):>8}`  {t.money(price)}  →  *{t.money(_yours(price, percent))}*"
                )
            custom = plan.custom_per_block.per_cycle(frequency)
            lines.append(
                t(
                    N_("Above {contacts}: + {price} per {block} contacts"),
                    contacts=spec.brackets[-1],
                    price=custom,
                    block=spec.custom_block,
                )
            )
            seats = t.plural(
                N_("{n} seat included; extra seat {price}"),
                N_("{n} seats included; extra seat {price}"),
                plan.included_seats,
                price=plan.extra_seat.per_cycle(frequency),
            )
            blocks += [ui.section(f"*{t(name)}*\n" + "\n".join(lines)), ui.context(seats)]
        addons = [
            t(
                N_("{addon}: {price} ({tiers})"),
                addon=t(name),
                price=a.per_cycle(frequency),
                tiers=", ".join(t(tier) for tier in a.tiers),
            )
            for name, a in spec.addons.items()
        ]
        if addons:
            blocks.append(ui.context(t(N_("Add-ons: {addons}"), addons=" · ".join(addons))))
    elif isinstance(spec, PerSeatProduct):
        months = 12 if frequency == "annual" else 1
        price = spec.license_monthly * months
        blocks.append(
            ui.section(
                t(N_("Per license per cycle: {price} → *{yours}*"), price=price, yours=_yours(price, percent))
            )
        )
    return ui.message(title, blocks)


def _yours(price: Decimal, percent: Decimal) -> Decimal:
    return price - round_money(price * percent / Decimal(100))


def _paid_products(req: Req) -> set[str]:
    catalog = req.deps.catalog
    return {
        n
        for v in catalog.versions
        for n in catalog.product_names(v)
        if isinstance(catalog.product(n), ContactsProduct | PerSeatProduct)
    }
