"""A plan choice, the rules it must follow, and its list price per billing cycle.

One type serves both pricing models (contact-tiered and per-seat) and the free V1 levels, so it can
be stored and compared as is; `validate_choice` is what ties each field to the product's model.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.catalog import Catalog, ContactsProduct, FreeProduct, PerSeatProduct
from domain.errors import InvalidInput
from domain.i18n import N_, Count
from domain.money import ZERO
from domain.numbers import MAX_ID
from domain.periods import FREQUENCIES, Frequency, cycle_months, frequency_of

MAX_QUANTITY = 1_000_000_000
"""Input sanity, not pricing: contacts, seats, licenses and custom limits above this are typing
mistakes, and would overflow the database's integer columns and the money arithmetic's precision."""


@dataclass(frozen=True)
class PlanChoice:
    version: str
    product: str
    level: str | None = None
    """V1 only: trial or sandbox."""
    tier: str | None = None
    contacts: int | None = None
    frequency: Frequency = "monthly"
    """For per-seat products too: monthly bills every month, annual every 12 months."""
    seats: int | None = None
    """Total user seats; None means the seats the tier includes."""
    addons: tuple[str, ...] = ()
    limits: tuple[tuple[str, str | int], ...] = ()
    """(limit, named choice) or (limit, number) for a custom limit; unlisted limits use the default."""
    licenses: int | None = None

    @property
    def months(self) -> int:
        return cycle_months(self.frequency)


def choice_from_json(data: Any) -> PlanChoice:
    """A plan choice carried through Slack (a button value, modal metadata, an approval's payload)
    back as a PlanChoice. Raises KeyError or TypeError when the data is not one: every field is
    checked for its type (and counts for the 64-bit range) before anything prices it."""
    if not isinstance(data, dict):
        raise TypeError(type(data).__name__)
    text, count = (str,), (int,)
    _typed(data, "version", text, required=True)
    _typed(data, "product", text, required=True)
    for key in ("level", "tier", "frequency"):
        _typed(data, key, text)
    for key in ("contacts", "seats", "licenses"):
        _typed(data, key, count)
    addons, limits = data.get("addons") or [], data.get("limits") or []
    if not isinstance(addons, list) or not all(isinstance(a, str) for a in addons):
        raise TypeError("addons")
    if not isinstance(limits, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], str | int) for pair in limits
    ):
        raise TypeError("limits")
    return PlanChoice(
        version=str(data["version"]),
        product=str(data["product"]),
        level=data.get("level"),
        tier=data.get("tier"),
        contacts=data.get("contacts"),
        frequency="annual" if data.get("frequency") == "annual" else "monthly",
        seats=data.get("seats"),
        addons=tuple(addons),
        licenses=data.get("licenses"),
        limits=tuple((str(name), value) for name, value in limits),
    )


def _typed(data: dict[str, Any], key: str, kinds: tuple[type, ...], *, required: bool = False) -> None:
    value = data[key] if required else data.get(key)
    if value is None and not required:
        return
    if not isinstance(value, kinds) or isinstance(value, bool):
        raise TypeError(key)
    if isinstance(value, int) and not 0 <= value <= MAX_ID:
        raise TypeError(key)


def _ceil_div(amount: int, block: int) -> int:
    return -(-amount // block)


def _refuse(message: str, field: str, **params: Any) -> InvalidInput:
    return InvalidInput(message, field=field, **params)


def _example(catalog: Catalog, product: str) -> str:
    """A choice that is valid in this catalog, so error messages never show a stale example."""
    spec = catalog.product(product)
    if isinstance(spec, ContactsProduct):
        tiers = list(spec.tiers)
        tier = tiers[1] if len(tiers) > 1 else tiers[0]
        return f"{product} {tier} {spec.brackets[min(1, len(spec.brackets) - 1)]} annual"
    if isinstance(spec, PerSeatProduct):
        return f"{product} {max(5, spec.min_licenses)} licenses monthly"
    return f"{product} {next(iter(spec.levels))}"


def validate_choice(catalog: Catalog, choice: PlanChoice) -> None:
    """Raise InvalidInput naming the first thing wrong with `choice`, with a valid example."""
    if choice.version not in catalog.versions:
        raise _refuse(
            N_("Unknown pricing version {version}. Use one of: {choices}."),
            "version",
            version=choice.version,
            choices=", ".join(catalog.versions),
        )
    products = catalog.product_names(choice.version)
    if choice.product not in products:
        raise _refuse(
            N_("Unknown product {product} in {version}. Use one of: {choices}."),
            "product",
            product=choice.product,
            version=choice.version,
            choices=", ".join(products),
        )
    if choice.frequency not in FREQUENCIES:
        raise _refuse(
            N_("Billing frequency is `monthly` or `annual`, not {frequency}."),
            "frequency",
            frequency=choice.frequency,
        )
    spec = catalog.product(choice.product)
    example = _example(catalog, choice.product)
    _not_too_big(choice)
    if isinstance(spec, FreeProduct):
        _validate_free(spec, choice)
    elif isinstance(spec, PerSeatProduct):
        _validate_per_seat(spec, choice, example)
    else:
        _validate_contacts(spec, choice, example)


def _not_too_big(choice: PlanChoice) -> None:
    numbers = [("contacts", choice.contacts), ("seats", choice.seats), ("licenses", choice.licenses)]
    numbers += [("limits", value) for _, value in choice.limits if isinstance(value, int)]
    for field, value in numbers:
        if value is not None and value > MAX_QUANTITY:
            raise _refuse(
                N_("That is too many {option}: write at most {maximum}."),
                field,
                option=field,
                maximum=MAX_QUANTITY,
            )


def _not_applicable(choice: PlanChoice, fields: tuple[str, ...]) -> None:
    for field in fields:
        if getattr(choice, field) not in (None, ()):
            raise _refuse(
                N_("{option} does not apply to {product}; remove it."),
                field,
                option=field,
                product=choice.product,
            )


def _validate_free(spec: FreeProduct, choice: PlanChoice) -> None:
    if choice.level not in spec.levels:
        raise _refuse(
            N_("{product} needs a level: one of {choices}. Example: {example}"),
            "level",
            product=choice.product,
            choices=", ".join(spec.levels),
            example=f"{choice.version} {choice.product} {next(iter(spec.levels))}",
        )
    _not_applicable(choice, ("tier", "contacts", "seats", "addons", "limits", "licenses"))


def _validate_per_seat(spec: PerSeatProduct, choice: PlanChoice, example: str) -> None:
    _not_applicable(choice, ("level", "tier", "contacts", "seats", "addons", "limits"))
    if choice.licenses is None or choice.licenses < spec.min_licenses:
        raise _refuse(
            N_("{product} needs at least {minimum}; you asked for {licenses}. Example: {example}"),
            "licenses",
            product=choice.product,
            minimum=Count(spec.min_licenses, N_("{n} license"), N_("{n} licenses")),
            licenses=choice.licenses if choice.licenses is not None else 0,
            example=example,
        )
    if choice.licenses > spec.max_licenses:
        raise _refuse(
            N_(
                "A {product} subscription holds at most {maximum} licenses; this would make {licenses}. "
                "Check the number of licenses."
            ),
            "licenses",
            product=choice.product,
            maximum=spec.max_licenses,
            licenses=choice.licenses,
        )
    if choice.months not in spec.billing_months:
        allowed = ", ".join(frequency_of(m) for m in spec.billing_months)
        raise _refuse(
            N_("{product} is billed {choices}, not {frequency}."),
            "frequency",
            product=choice.product,
            choices=allowed,
            frequency=choice.frequency,
        )


def _validate_contacts(spec: ContactsProduct, choice: PlanChoice, example: str) -> None:
    _not_applicable(choice, ("level", "licenses"))
    if choice.tier is None or choice.tier not in spec.tiers:
        raise _refuse(
            N_("Unknown tier {tier}. Use one of: {choices}. Example: {example}"),
            "tier",
            tier=choice.tier or "",
            choices=", ".join(spec.tiers),
            example=example,
        )
    tier = spec.tiers[choice.tier]
    if choice.contacts is None or choice.contacts <= 0:
        raise _refuse(
            N_("Contacts must be a whole number above 0, such as {brackets}. Example: {example}"),
            "contacts",
            brackets=", ".join(str(b) for b in spec.brackets),
            example=example,
        )
    if choice.contacts > spec.max_contacts:
        raise _refuse(
            N_("Contacts: at most {maximum}; you asked for {contacts}. Check the number."),
            "contacts",
            maximum=spec.max_contacts,
            contacts=choice.contacts,
        )
    if choice.seats is not None and choice.seats < max(1, tier.included_seats):
        raise _refuse(
            N_("The {tier} tier includes {included}; ask for {count} or more."),
            "seats",
            tier=choice.tier,
            included=Count(max(1, tier.included_seats), N_("{n} user seat"), N_("{n} user seats")),
            count=max(1, tier.included_seats),
        )
    if choice.seats is not None and choice.seats > spec.max_seats:
        raise _refuse(
            N_("An account holds at most {maximum} user seats; this would make {seats}. Check the number."),
            "seats",
            maximum=spec.max_seats,
            seats=choice.seats,
        )
    _validate_addons(spec, choice)
    _validate_limits(spec, choice)


def _validate_addons(spec: ContactsProduct, choice: PlanChoice) -> None:
    for position, name in enumerate(choice.addons):
        addon = spec.addons.get(name)
        if addon is None:
            raise _refuse(
                N_("Unknown add-on {addon}. Use one of: {choices}."),
                "addons",
                addon=name,
                choices=", ".join(spec.addons) or "-",
            )
        if choice.tier not in addon.tiers:
            raise _refuse(
                N_("The {addon} add-on is not available on {tier}; it needs one of: {tiers}."),
                "addons",
                addon=name,
                tier=choice.tier,
                tiers=", ".join(addon.tiers),
            )
        if name in choice.addons[:position]:
            raise _refuse(N_("The {addon} add-on is listed twice."), "addons", addon=name)


def _validate_limits(spec: ContactsProduct, choice: PlanChoice) -> None:
    tier = choice.tier or ""
    seen: set[str] = set()
    for name, value in choice.limits:
        limit = spec.limits.get(name)
        if limit is None:
            raise _refuse(
                N_("Unknown account limit {limit}. Use one of: {choices}."),
                "limits",
                limit=name,
                choices=", ".join(spec.limits) or "-",
            )
        if name in seen:
            raise _refuse(N_("The {limit} limit is set twice."), "limits", limit=name)
        seen.add(name)
        custom = limit.custom
        if isinstance(value, str) and value != "custom":
            if tier not in (limit.choices[value].tiers if value in limit.choices else ()):
                raise _refuse(
                    N_("{choice} is not available for the {limit} limit on {tier}. Use one of: {choices}."),
                    "limits",
                    choice=value,
                    limit=name,
                    tier=tier,
                    choices=", ".join(
                        [*limit.choices_on(tier), *(["custom"] if custom and tier in custom.tiers else [])]
                    ),
                )
            continue
        if custom is None or tier not in custom.tiers:
            raise _refuse(
                N_("A custom {limit} limit is available on: {tiers}."),
                "limits",
                limit=name,
                tiers=", ".join(custom.tiers) if custom else "-",
            )
        if isinstance(value, str) or value <= 0:
            raise _refuse(
                N_("A custom {limit} limit needs a number above 0, for example {example}."),
                "limits",
                limit=name,
                example=custom.per * 10,
            )
        if value > custom.maximum:
            raise _refuse(
                N_("A custom {limit} limit is at most {maximum}; you asked for {value}. Check the number."),
                "limits",
                limit=name,
                maximum=custom.maximum,
                value=value,
            )


def list_price(catalog: Catalog, choice: PlanChoice) -> Decimal:
    """List price of one billing cycle, unrounded: the quote rounds it once, as its first line.

    Expects a choice that passed `validate_choice`.
    """
    spec = catalog.product(choice.product)
    if isinstance(spec, FreeProduct):
        return ZERO
    if isinstance(spec, PerSeatProduct):
        return spec.license_monthly * (choice.licenses or 0) * choice.months
    tier = spec.tiers[choice.tier or ""]
    contacts = choice.contacts or 0
    bracket = spec.bracket_for(contacts)
    if bracket is None:
        top = spec.brackets[-1]
        blocks = _ceil_div(contacts - top, spec.custom_block)
        price = tier.prices[top].per_cycle(choice.frequency)
        price += blocks * tier.custom_per_block.per_cycle(choice.frequency)
    else:
        price = tier.prices[bracket].per_cycle(choice.frequency)
    extra_seats = max(0, (choice.seats or tier.included_seats) - tier.included_seats)
    price += extra_seats * tier.extra_seat.per_cycle(choice.frequency)
    for name in choice.addons:
        price += spec.addons[name].per_cycle(choice.frequency)
    for name, value in choice.limits:
        limit = spec.limits[name]
        if isinstance(value, int) and limit.custom is not None:
            price += _ceil_div(value, limit.custom.per) * limit.custom.per_cycle(choice.frequency)
        elif isinstance(value, str) and value in limit.choices:
            price += limit.choices[value].per_cycle(choice.frequency)
    return price
