"""The live plan builder shared by the quote modal and the add-account modal.

Every plan input dispatches `plan_update` when it changes; the modal that owns the view (by its
`callback_id`) rebuilds itself from the current state, so only options valid for the choices made so
far are offered (add-ons of the chosen tier, brackets of the chosen product) and the price is live.
Block ids are fixed — `plan_product`, `plan_tier`, `plan_contacts`, `plan_custom_contacts`,
`plan_frequency`, `plan_seats`, `plan_addons`, `plan_licenses` — and a domain error about a plan
field (`field="contacts"`) is shown on `plan_contacts`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    InputBlock,
    NumberInputElement,
    Option,
    StaticSelectElement,
)

from bot import ui
from bot.i18n import Translator
from domain.catalog import Catalog, ContactsProduct, FreeProduct, PerSeatProduct
from domain.errors import DomainError
from domain.i18n import N_
from domain.plans import MAX_QUANTITY
from domain.pricing import PlanChoice, validate_choice

ACTION = "plan_update"
CUSTOM = "custom"
FREQUENCIES = {"monthly": N_("Monthly"), "annual": N_("Annual")}
Rebuilder = Callable[..., dict[str, Any]]
REBUILDERS: dict[str, Rebuilder] = {}
"""callback_id → function(req, view, state) returning the updated view; each modal registers itself."""


@dataclass(frozen=True)
class PlanState:
    product: str = "V3:marketing"
    tier: str | None = None
    contacts: str | None = None
    custom_contacts: int | None = None
    frequency: str = "monthly"
    seats: int | None = None
    addons: tuple[str, ...] = ()
    licenses: int | None = None

    @property
    def version(self) -> str:
        return self.product.split(":", 1)[0]

    @property
    def product_name(self) -> str:
        return self.product.split(":")[1]


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


def normalise(catalog: Catalog, state: PlanState) -> PlanState:
    """Drop choices the product or tier no longer allows, and fill the defaults."""
    names = {name for version in catalog.versions for name in catalog.product_names(version)}
    if len(state.product.split(":")) < 2 or state.product_name not in names:
        state = PlanState()
    spec = catalog.product(state.product_name)
    if isinstance(spec, ContactsProduct):
        tier = state.tier if state.tier in spec.tiers else list(spec.tiers)[min(1, len(spec.tiers) - 1)]
        allowed = {name for name, addon in spec.addons.items() if tier in addon.tiers}
        contacts = state.contacts if state.contacts in {*(str(b) for b in spec.brackets), CUSTOM} else None
        contacts = contacts or str(spec.brackets[min(1, len(spec.brackets) - 1)])
        included = spec.tiers[tier].included_seats
        seats = state.seats if state.seats is not None and state.seats >= included else included
        addons = tuple(a for a in state.addons if a in allowed)
        return replace(state, tier=tier, contacts=contacts, seats=seats, addons=addons, licenses=None)
    if isinstance(spec, PerSeatProduct):
        licenses = state.licenses if state.licenses and state.licenses > 0 else max(5, spec.min_licenses)
        return replace(state, tier=None, contacts=None, seats=None, addons=(), licenses=licenses)
    return replace(state, tier=None, contacts=None, seats=None, addons=(), licenses=None)


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
                        max_value=str(MAX_QUANTITY),
                        initial_value=str(state.custom_contacts) if state.custom_contacts else None,
                    ),
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
                    max_value=str(MAX_QUANTITY),
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
        return blocks
    blocks += [
        _input(
            "plan_licenses",
            t(N_("Licenses")),
            NumberInputElement(
                action_id=ACTION,
                is_decimal_allowed=False,
                min_value=str(spec.min_licenses),
                max_value=str(MAX_QUANTITY),
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


def read_state(view: dict[str, Any], fallback: PlanState | None = None) -> PlanState:
    """The plan as the modal currently holds it (the submitted or dispatched state)."""
    base = fallback or PlanState()

    def number(block_id: str) -> int | None:
        raw = ui.state_value(view, block_id)
        if raw is None or raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            return None

    addons_raw = ui.state_value(view, "plan_addons")
    return PlanState(
        product=ui.state_value(view, "plan_product") or base.product,
        tier=ui.state_value(view, "plan_tier") or base.tier,
        contacts=ui.state_value(view, "plan_contacts") or base.contacts,
        custom_contacts=number("plan_custom_contacts") or base.custom_contacts,
        frequency=ui.state_value(view, "plan_frequency") or base.frequency,
        seats=number("plan_seats") or base.seats,
        addons=tuple(a for a in (addons_raw.split(",") if addons_raw else ()) if a)
        if _has_block(view, "plan_addons")
        else base.addons,
        licenses=number("plan_licenses") or base.licenses,
    )


def _has_block(view: dict[str, Any], block_id: str) -> bool:
    return block_id in ((view.get("state") or {}).get("values") or {})


def to_choice(catalog: Catalog, state: PlanState) -> PlanChoice:
    """The validated PlanChoice; an invalid field is reported on its plan block."""
    state = normalise(catalog, state)
    parts = state.product.split(":")
    if state.version == "V1":
        choice = PlanChoice(version="V1", product=parts[1], level=parts[2] if len(parts) > 2 else None)
    elif state.licenses is not None:
        choice = PlanChoice(
            version="V3", product=parts[1], frequency=_freq(state.frequency), licenses=state.licenses
        )
    else:
        contacts = state.custom_contacts if state.contacts == CUSTOM else int(state.contacts or 0)
        choice = PlanChoice(
            version="V3",
            product=parts[1],
            tier=state.tier,
            contacts=contacts,
            frequency=_freq(state.frequency),
            seats=state.seats,
            addons=state.addons,
        )
    with on_plan_fields():
        validate_choice(catalog, choice)
    return choice


def state_of(choice: PlanChoice) -> PlanState:
    """The builder's state for an existing choice (pre-filling a modal from a quote or an account)."""
    if choice.version == "V1":
        return PlanState(product=f"V1:{choice.product}:{choice.level}")
    return PlanState(
        product=f"{choice.version}:{choice.product}",
        tier=choice.tier,
        contacts=None if choice.contacts is None else str(choice.contacts),
        frequency=choice.frequency,
        seats=choice.seats,
        addons=choice.addons,
        licenses=choice.licenses,
    )


def _freq(value: str) -> Any:
    return "annual" if value == "annual" else "monthly"


@contextmanager
def on_plan_fields() -> Iterator[None]:
    """Re-home a pricing error about `contacts` to the modal block `plan_contacts`."""
    try:
        yield
    except DomainError as error:
        if error.field and not error.field.startswith("plan_"):
            error.field = f"plan_{error.field}" if error.field in PLAN_FIELDS else error.field
        raise


PLAN_FIELDS = {
    "version",
    "product",
    "level",
    "tier",
    "contacts",
    "frequency",
    "seats",
    "addons",
    "limits",
    "licenses",
}
