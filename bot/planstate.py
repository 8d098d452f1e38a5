"""The plan builder's state: what the modal holds, read from a view, checked, and made a PlanChoice.

Kept apart from the blocks (`bot.planbuilder`) so reading and validating a plan does not depend on
how it is drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from typing import Any

from bot import planlimits, ui
from domain.catalog import Catalog, ContactsProduct, PerSeatProduct
from domain.errors import DomainError, InvalidInput
from domain.i18n import N_
from domain.numbers import whole_number
from domain.pricing import PlanChoice, validate_choice

CUSTOM = "custom"


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
    limits: planlimits.Selections = ()
    """(limit, selected choice or "custom"); defaults are left out."""
    limit_numbers: planlimits.Numbers = ()
    """(limit, number) for the limits set to "custom"."""
    unreadable: tuple[str, ...] = ()
    """Number blocks whose typed value is no whole number (`-3`, `abc`): refused, never defaulted."""

    @property
    def version(self) -> str:
        return self.product.split(":", 1)[0]

    @property
    def product_name(self) -> str:
        return self.product.split(":")[1]


def normalise(catalog: Catalog, state: PlanState) -> PlanState:
    """Drop choices the product or tier no longer allows, and fill the defaults."""
    names = {name for version in catalog.versions for name in catalog.product_names(version)}
    if len(state.product.split(":")) < 2 or state.product_name not in names:
        state = PlanState()
    spec = catalog.product(state.product_name)
    if isinstance(spec, ContactsProduct):
        tier = state.tier if state.tier in spec.tiers else list(spec.tiers)[min(1, len(spec.tiers) - 1)]
        allowed = {name for name, addon in spec.addons.items() if tier in addon.tiers}
        state = _bracketed(spec, state)
        contacts = state.contacts if state.contacts in {*(str(b) for b in spec.brackets), CUSTOM} else None
        contacts = contacts or str(spec.brackets[min(1, len(spec.brackets) - 1)])
        included = spec.tiers[tier].included_seats
        seats = state.seats if state.seats is not None and state.seats >= included else included
        addons = tuple(a for a in state.addons if a in allowed)
        limits, numbers = planlimits.normalise(spec, tier, state.limits, state.limit_numbers)
        return replace(
            state,
            tier=tier,
            contacts=contacts,
            seats=seats,
            addons=addons,
            licenses=None,
            limits=limits,
            limit_numbers=numbers,
        )
    empty = replace(state, tier=None, contacts=None, seats=None, addons=(), limits=(), limit_numbers=())
    if isinstance(spec, PerSeatProduct):
        licenses = state.licenses if state.licenses and state.licenses > 0 else max(5, spec.min_licenses)
        return replace(empty, licenses=licenses)
    return replace(empty, licenses=None)


def _bracketed(spec: ContactsProduct, state: PlanState) -> PlanState:
    """A stored contacts count that is no bracket (3,000, 120,000) as the bracket it is priced at, or
    as "custom" with its number above the last bracket, instead of silently falling to the default."""
    count = whole_number(state.contacts or "")
    if count is None or count in spec.brackets:
        return state
    bracket = spec.bracket_for(count)
    if bracket is None:
        return replace(state, contacts=CUSTOM, custom_contacts=count)
    return replace(state, contacts=str(bracket))


def read_state(view: dict[str, Any], fallback: PlanState | None = None) -> PlanState:
    """The plan as the modal currently holds it (the submitted or dispatched state)."""
    base = fallback or PlanState()

    unreadable: list[str] = []

    def number(block_id: str) -> int | None:
        raw = ui.state_value(view, block_id)
        value = whole_number(raw)
        if value is None and raw is not None and str(raw).strip():
            unreadable.append(block_id)
        return value

    addons_raw = ui.state_value(view, "plan_addons")
    limits, numbers = planlimits.read(view)
    if not planlimits.has_inputs(view):
        limits, numbers = base.limits, base.limit_numbers
    custom_contacts, seats, licenses = (
        number("plan_custom_contacts"),
        number("plan_seats"),
        number("plan_licenses"),
    )
    return PlanState(
        product=ui.state_value(view, "plan_product") or base.product,
        tier=ui.state_value(view, "plan_tier") or base.tier,
        contacts=ui.state_value(view, "plan_contacts") or base.contacts,
        custom_contacts=base.custom_contacts if custom_contacts is None else custom_contacts,
        frequency=ui.state_value(view, "plan_frequency") or base.frequency,
        seats=base.seats if seats is None else seats,
        addons=tuple(a for a in (addons_raw.split(",") if addons_raw else ()) if a)
        if _has_block(view, "plan_addons")
        else base.addons,
        licenses=base.licenses if licenses is None else licenses,
        limits=limits,
        limit_numbers=numbers,
        unreadable=tuple(unreadable),
    )


def _has_block(view: dict[str, Any], block_id: str) -> bool:
    return block_id in ui.state_values(view)


def to_choice(catalog: Catalog, state: PlanState) -> PlanChoice:
    """The validated PlanChoice; an invalid field is reported on its plan block.

    A number that cannot be read (`-3`, `abc`) or a custom contacts count within the listed brackets
    is refused on its field, never replaced by a default (only empty fields take the defaults; seats
    below the tier's included ones read as the included ones, which cost nothing more)."""
    _refuse_unreadable(catalog, state)
    state = normalise(catalog, state)
    parts = state.product.split(":")
    if state.version == "V1":
        choice = PlanChoice(version="V1", product=parts[1], level=parts[2] if len(parts) > 2 else None)
    elif state.licenses is not None:
        choice = PlanChoice(
            version="V3", product=parts[1], frequency=as_frequency(state.frequency), licenses=state.licenses
        )
    else:
        if state.contacts == CUSTOM and state.custom_contacts is None:
            spec = catalog.product(parts[1])
            top = spec.brackets[-1] if isinstance(spec, ContactsProduct) else 0
            raise InvalidInput(
                N_("Enter the exact number of contacts: more than {contacts}."),
                field="plan_custom_contacts",
                contacts=top,
            )
        spec = catalog.product(parts[1])
        if state.contacts == CUSTOM and isinstance(spec, ContactsProduct):
            _custom_above_brackets(spec, state.custom_contacts or 0)
        contacts = state.custom_contacts if state.contacts == CUSTOM else int(state.contacts or 0)
        limits = (
            planlimits.to_choice(spec, state.limits, state.limit_numbers)
            if isinstance(spec, ContactsProduct)
            else ()
        )
        choice = PlanChoice(
            version="V3",
            product=parts[1],
            tier=state.tier,
            contacts=contacts,
            frequency=as_frequency(state.frequency),
            seats=state.seats,
            addons=state.addons,
            limits=limits,
        )
    try:
        with on_plan_fields():
            validate_choice(catalog, choice)
    except DomainError as error:
        if error.field == "plan_contacts" and state.contacts == CUSTOM:
            error.field = "plan_custom_contacts"  # the number typed is the one to fix
        raise
    return choice


def _refuse_unreadable(catalog: Catalog, state: PlanState) -> None:
    if not state.unreadable:
        return
    block_id = state.unreadable[0]
    spec = catalog.product(state.product_name) if ":" in state.product else None
    if block_id == "plan_seats" and isinstance(spec, ContactsProduct):
        tier = spec.tiers.get(state.tier or "")
        raise InvalidInput(
            N_("User seats: from {minimum} to {maximum}, as a whole number."),
            field=block_id,
            minimum=max(1, tier.included_seats if tier else 1),
            maximum=spec.max_seats,
        )
    if block_id == "plan_licenses" and isinstance(spec, PerSeatProduct):
        raise InvalidInput(
            N_("Licenses: from {minimum} to {maximum}, as a whole number."),
            field=block_id,
            minimum=spec.min_licenses,
            maximum=spec.max_licenses,
        )
    if block_id == "plan_custom_contacts" and isinstance(spec, ContactsProduct):
        raise InvalidInput(
            N_("Contacts: a whole number above {contacts} and at most {maximum}."),
            field=block_id,
            contacts=spec.brackets[-1],
            maximum=spec.max_contacts,
        )
    raise InvalidInput(N_("Write a whole number here."), field=block_id)


def _custom_above_brackets(spec: ContactsProduct, count: int) -> None:
    """A custom contacts count is above the largest listed bracket: 2 under "more than 100,000" is
    refused, not quoted as the smallest bracket."""
    top = spec.brackets[-1]
    if count <= top:
        raise InvalidInput(
            N_(
                "Contacts: a custom number must be above {contacts}, the largest listed bracket; "
                "for {count} choose its bracket."
            ),
            field="plan_custom_contacts",
            contacts=top,
            count=count,
        )


def state_of(choice: PlanChoice) -> PlanState:
    """The builder's state for an existing choice (pre-filling a modal from a quote or an account)."""
    if choice.version == "V1":
        return PlanState(product=f"V1:{choice.product}:{choice.level}")
    limits, numbers = planlimits.from_choice(choice.limits)
    return PlanState(
        product=f"{choice.version}:{choice.product}",
        tier=choice.tier,
        contacts=None if choice.contacts is None else str(choice.contacts),
        frequency=choice.frequency,
        seats=choice.seats,
        addons=choice.addons,
        licenses=choice.licenses,
        limits=limits,
        limit_numbers=numbers,
    )


def as_frequency(value: str) -> Any:
    return "annual" if value == "annual" else "monthly"


@contextmanager
def on_plan_fields() -> Iterator[None]:
    """Re-home a pricing error about `contacts` to the modal block `plan_contacts`."""
    try:
        yield
    except DomainError as error:
        if error.field == "limits" and error.params.get("limit"):
            error.field = planlimits.SELECT + str(error.params["limit"])
        elif error.field and not error.field.startswith("plan_"):
            error.field = f"plan_{error.field}" if error.field in PLAN_FIELDS else error.field
        raise


PLAN_FIELDS = frozenset(f.name for f in fields(PlanChoice))
