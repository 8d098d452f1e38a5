"""The live plan builder shared by the quote modal and the add-account modal.

Every plan input dispatches `plan_update` when it changes; the modal that owns the view (by its
`callback_id`) rebuilds itself from the current state, so only options valid for the choices made so
far are offered (add-ons of the chosen tier, brackets of the chosen product) and the price is live.
Block ids are fixed — `plan_product`, `plan_tier`, `plan_contacts`, `plan_custom_contacts`,
`plan_frequency`, `plan_seats`, `plan_addons`, `plan_licenses`, and per account limit
`plan_limit_<name>` / `plan_limitn_<name>` (`bot.planlimits`) — and a domain error about a plan field
(`field="contacts"`) is shown on `plan_contacts`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    InputBlock,
    NumberInputElement,
    Option,
    StaticSelectElement,
)

from bot import planlimits, ui
from bot.i18n import Translator
from bot.planstate import (
    CUSTOM,
    PLAN_FIELDS,
    PlanState,
    as_frequency,
    normalise,
    on_plan_fields,
    read_state,
    state_of,
    to_choice,
)
from domain.catalog import Catalog, ContactsProduct, FreeProduct, PerSeatProduct
from domain.i18n import N_

ACTION = "plan_update"
FREQUENCIES = {"monthly": N_("Monthly"), "annual": N_("Annual")}
Rebuilder = Callable[..., dict[str, Any]]
REBUILDERS: dict[str, Rebuilder] = {}
"""callback_id → function(req, view, state) returning the updated view; each modal registers itself."""


def product_options(t: Translator, catalog: Catalog) -> list[Option]:
    options: list[Option] = []
    for version in sorted(catalog.versions):
        for name in catalog.product_names(version):
            spec = catalog.product(name)
            if isinstance(spec, FreeProduct):
                for level in spec.levels:
                    options.append(
                        ui.option(
                            t(N_("{product} {level} (free)"), product=name, level=level),
                            f"{version}:{name}:{level}",
                        )
                    )
            elif isinstance(spec, PerSeatProduct):
                options.append(ui.option(t(N_("{product} (per license)"), product=name), f"{version}:{name}"))
            else:
                options.append(ui.option(t(N_("{product} (by contacts)"), product=name), f"{version}:{name}"))
    return options


def plan_blocks(t: Translator, catalog: Catalog, state: PlanState) -> list[Block]:
    state = normalise(catalog, state)
    products = product_options(t, catalog)
    chosen = next((o for o in products if o.value == state.product), products[0])
    blocks: list[Block] = [
        _input(
            "plan_product",
            t(N_("Product")),
            StaticSelectElement(action_id=ACTION, options=products, initial_option=chosen),
        ),
    ]
    spec = catalog.product(state.product_name)
    if isinstance(spec, FreeProduct):
        return blocks
    frequencies = [ui.option(t(label), value) for value, label in FREQUENCIES.items()]
    frequency = next(o for o in frequencies if o.value == state.frequency)
    if isinstance(spec, ContactsProduct):
        tiers = [ui.option(t(name), name) for name in spec.tiers]
        brackets = [ui.option(t(N_("{contacts} contacts"), contacts=b), str(b)) for b in spec.brackets]
        brackets.append(ui.option(t(N_("More than {contacts} (custom)"), contacts=spec.brackets[-1]), CUSTOM))
        blocks += [
            _input(
                "plan_tier",
                t(N_("Tier")),
                StaticSelectElement(
                    action_id=ACTION,
                    options=tiers,
                    initial_option=next(o for o in tiers if o.value == state.tier),
                ),
            ),
            _input(
                "plan_contacts",
                t(N_("Contacts")),
                StaticSelectElement(
                    action_id=ACTION,
                    options=brackets,
                    initial_option=next(o for o in brackets if o.value == state.contacts),
                ),
            ),
        ]
        if state.contacts == CUSTOM:
            blocks.append(
                _input(
                    "plan_custom_contacts",
                    t(N_("Exact number of contacts")),
                    NumberInputElement(
                        action_id=ACTION,
                        is_decimal_allowed=False,
                        min_value=str(spec.brackets[-1] + 1),
                        max_value=str(spec.max_contacts),
                        initial_value=str(state.custom_contacts) if state.custom_contacts else None,
                    ),
                    hint=t(N_("More than {contacts}: type the exact number."), contacts=spec.brackets[-1]),
                )
            )
        blocks.append(
            _input(
                "plan_frequency",
                t(N_("Billing frequency")),
                StaticSelectElement(action_id=ACTION, options=frequencies, initial_option=frequency),
            )
        )
        included = spec.tiers[state.tier or ""].included_seats
        blocks.append(
            _input(
                "plan_seats",
                t(N_("User seats")),
                NumberInputElement(
                    action_id=ACTION,
                    is_decimal_allowed=False,
                    min_value=str(included),
                    max_value=str(spec.max_seats),
                    initial_value=str(state.seats),
                ),
                hint=t(N_("{n} included with this tier; more are charged per seat."), n=included),
            )
        )
        allowed = [
            ui.option(t(name), name) for name, addon in spec.addons.items() if state.tier in addon.tiers
        ]
        if allowed:
            initial = [o for o in allowed if o.value in state.addons]
            blocks.append(
                _input(
                    "plan_addons",
                    t(N_("Add-ons")),
                    CheckboxesElement(action_id=ACTION, options=allowed, initial_options=initial or None),
                    optional=True,
                )
            )
        blocks += planlimits.blocks(
            t,
            spec,
            tier=state.tier or "",
            frequency=as_frequency(state.frequency),
            selections=state.limits,
            numbers=state.limit_numbers,
            make_input=_input,
        )
        return blocks
    blocks += [
        _input(
            "plan_licenses",
            t(N_("Licenses")),
            NumberInputElement(
                action_id=ACTION,
                is_decimal_allowed=False,
                min_value=str(spec.min_licenses),
                max_value=str(spec.max_licenses),
                initial_value=str(state.licenses),
            ),
        ),
        _input(
            "plan_frequency",
            t(N_("Billing")),
            StaticSelectElement(action_id=ACTION, options=frequencies, initial_option=frequency),
        ),
    ]
    return blocks


def _input(
    block_id: str, label: str, element: Any, *, optional: bool = False, hint: str | None = None
) -> InputBlock:
    return InputBlock(
        block_id=block_id, label=label, element=element, dispatch_action=True, optional=optional, hint=hint
    )


__all__ = [
    "ACTION",
    "CUSTOM",
    "PLAN_FIELDS",
    "PlanState",
    "normalise",
    "on_plan_fields",
    "plan_blocks",
    "product_options",
    "read_state",
    "state_of",
    "to_choice",
]
