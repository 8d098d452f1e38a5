"""Account limits in the live plan builder (SPEC §2: chosen per item; "custom" requires a number).

One select per limit (`plan_limit_<name>`) offers only the choices the catalog allows on the chosen
tier, plus "custom" where the tier allows it; choosing "custom" adds a number input
(`plan_limitn_<name>`). A limit whose only choice on the tier is its default shows no block. The
choice carries non-default limits only, sorted, so an account without limits compares equal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import Block, NumberInputElement, Option, StaticSelectElement

from bot import ui
from bot.i18n import Translator
from domain.catalog import ContactsProduct, Limit
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.numbers import whole_number
from domain.periods import Frequency

CUSTOM = "custom"
SELECT = "plan_limit_"
NUMBER = "plan_limitn_"
MAX_LIMITS = 12
"""At most this many limits get inputs (two blocks each), keeping any modal under 100 blocks."""
MAX_CHOICES = 99
"""A select holds 100 options: the named choices are cut to leave room for "custom"."""

Selections = tuple[tuple[str, str], ...]
Numbers = tuple[tuple[str, int], ...]


def choices_on(limit: Limit, tier: str) -> list[str]:
    """The values a limit's select offers on `tier`: its allowed choices, then "custom" if allowed."""
    names = list(limit.choices_on(tier))[:MAX_CHOICES]
    if limit.custom is not None and tier in limit.custom.tiers:
        names.append(CUSTOM)
    return names


def shown(spec: ContactsProduct, tier: str) -> list[str]:
    """The limits that have something to choose on `tier` (more than their default)."""
    return [name for name, limit in spec.limits.items() if len(choices_on(limit, tier)) > 1][:MAX_LIMITS]


def normalise(
    spec: ContactsProduct, tier: str, selections: Selections, numbers: Numbers
) -> tuple[Selections, Numbers]:
    """Keep the selections the tier allows that differ from the default; numbers only for "custom"."""
    allowed = set(shown(spec, tier))
    kept = tuple(
        sorted(
            (name, value)
            for name, value in dict(selections).items()
            if name in allowed
            and value in choices_on(spec.limits[name], tier)
            and value != spec.limits[name].default
        )
    )
    custom = {name for name, value in kept if value == CUSTOM}
    return kept, tuple(sorted((n, v) for n, v in dict(numbers).items() if n in custom and v > 0))


def from_choice(limits: tuple[tuple[str, str | int], ...]) -> tuple[Selections, Numbers]:
    """A stored plan's limits as the builder's selections and numbers."""
    selections = tuple((name, CUSTOM if isinstance(v, int) else str(v)) for name, v in limits)
    return selections, tuple((name, v) for name, v in limits if isinstance(v, int))


def to_choice(
    spec: ContactsProduct, selections: Selections, numbers: Numbers
) -> tuple[tuple[str, str | int], ...]:
    """The PlanChoice limits; a "custom" without its number asks for the number on its own input."""
    given = dict(numbers)
    limits: list[tuple[str, str | int]] = []
    for name, value in selections:
        if value != CUSTOM:
            limits.append((name, value))
            continue
        number = given.get(name)
        if number is None:
            custom = spec.limits[name].custom
            raise InvalidInput(
                N_("Enter the exact number for the {limit} limit, for example {example}."),
                field=NUMBER + name,
                limit=name,
                example=(custom.per if custom else 1) * 10,
            )
        limits.append((name, number))
    return tuple(limits)


def blocks(
    t: Translator,
    spec: ContactsProduct,
    *,
    tier: str,
    frequency: Frequency,
    selections: Selections,
    numbers: Numbers,
    make_input: Any,
) -> list[Block]:
    """The limit inputs for the chosen tier; `make_input(block_id, label, element, hint=)` as the builder."""
    chosen, typed = dict(selections), dict(numbers)
    result: list[Block] = []
    for name in shown(spec, tier):
        limit = spec.limits[name]
        options = [_option(t, limit, value, frequency) for value in choices_on(limit, tier)]
        value = chosen.get(name, limit.default)
        initial = next((o for o in options if o.value == value), options[0])
        select = StaticSelectElement(action_id="plan_update", options=options, initial_option=initial)
        result.append(make_input(SELECT + name, t(N_("Limit: {limit}"), limit=name), select))
        if value == CUSTOM and limit.custom is not None:
            number = NumberInputElement(
                action_id="plan_update",
                is_decimal_allowed=False,
                min_value="1",
                max_value=str(limit.custom.maximum),
                initial_value=str(typed[name]) if name in typed else None,
            )
            hint = t(
                N_("Charged {price} per cycle for every started block of {per}."),
                price=limit.custom.per_cycle(frequency),
                per=limit.custom.per,
            )
            label = t(N_("Custom {limit}: exact number"), limit=name)
            result.append(make_input(NUMBER + name, label, number, hint=hint))
    return result


def _option(t: Translator, limit: Limit, value: str, frequency: Frequency) -> Option:
    if value == CUSTOM:
        return ui.option(t(N_("custom (enter a number)")), CUSTOM)
    price = limit.choices[value].per_cycle(frequency)
    if price == Decimal(0):
        return ui.option(value, value)
    return ui.option(t(N_("{choice} (+{price} per cycle)"), choice=value, price=price), value)


def read(view: dict[str, Any]) -> tuple[Selections, Numbers]:
    """The limit selections and numbers the view holds, whatever limits it shows."""
    values = ui.state_values(view)
    selections: list[tuple[str, str]] = []
    numbers: list[tuple[str, int]] = []
    for block_id in values:
        value = ui.state_value(view, block_id)
        if not value:
            continue
        if block_id.startswith(SELECT):
            selections.append((block_id.removeprefix(SELECT), value))
        elif block_id.startswith(NUMBER) and (number := whole_number(value)):
            numbers.append((block_id.removeprefix(NUMBER), number))
    return tuple(selections), tuple(numbers)


def has_inputs(view: dict[str, Any]) -> bool:
    values = ui.state_values(view)
    return any(block_id.startswith(SELECT) for block_id in values)
