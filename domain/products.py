"""Product models of the catalog: the shapes and consistency rules of each pricing model.

Consistency problems are raised as `FieldProblem` with the path inside the model, so the catalog
loader can name the exact field in its one-line start-up error.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from domain.periods import Frequency


class FieldProblem(ValueError):
    """A consistency problem deeper than the model that found it; `path` is relative to that model."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem


def _decimal(value: object) -> Decimal:
    # TOML floats are converted through their shortest repr, which is the text that was written.
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        msg = 'write an amount as a string, e.g. "29.00"'
        raise ValueError(msg)
    try:
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as exc:
        msg = f"not an amount: {value!r}"
        raise ValueError(msg) from exc
    if not amount.is_finite() or amount < 0:
        msg = f"must be a finite amount of zero or more, got {value!r}"
        raise ValueError(msg)
    return amount


def _percent(value: object) -> Decimal:
    amount = _decimal(value)
    if amount > 100:
        msg = f"a percentage is at most 100, got {value!r}"
        raise ValueError(msg)
    return amount


Money = Annotated[Decimal, BeforeValidator(_decimal)]
Percent = Annotated[Decimal, BeforeValidator(_percent)]
Count = Annotated[int, Field(gt=0, strict=True)]


ProviderName = Literal["simulated", "activecampaign", "manual"]
"""A `RESELLER_PROVIDER` value a product may name when another vendor serves it (SPEC §9)."""


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Price(FrozenModel):
    """A price per billing cycle for each frequency: `annual` is the whole year's cycle."""

    monthly: Money
    annual: Money

    def per_cycle(self, frequency: Frequency) -> Decimal:
        return self.monthly if frequency == "monthly" else self.annual


class TierPlan(FrozenModel):
    included_seats: Annotated[int, Field(ge=0, strict=True)]
    extra_seat: Price
    custom_per_block: Price
    prices: dict[int, Price]


class Addon(Price):
    tiers: tuple[str, ...]


class LimitChoice(Price):
    tiers: tuple[str, ...]


class CustomLimit(Price):
    per: Count
    tiers: tuple[str, ...]
    max_blocks: Count = 1000
    """A custom number is at most `per * max_blocks`: a typo of 999,999,999 is refused, not charged."""

    @property
    def maximum(self) -> int:
        return self.per * self.max_blocks


class Limit(FrozenModel):
    default: str
    choices: dict[str, LimitChoice]
    custom: CustomLimit | None = None

    def choices_on(self, tier: str) -> tuple[str, ...]:
        return tuple(name for name, choice in self.choices.items() if tier in choice.tiers)


class FreeLevel(FrozenModel):
    days: Count | None = None
    brandable: bool = False


class FreeProduct(FrozenModel):
    model: Literal["free"]
    levels: dict[str, FreeLevel]
    provider: ProviderName | None = None
    """The vendor serving this product when not the default one (`RESELLER_PROVIDER`)."""


class ContactsProduct(FrozenModel):
    model: Literal["contacts"]
    taxes: Literal["not_included", "vat"]
    provider: ProviderName | None = None
    brackets: tuple[Count, ...]
    custom_block: Count
    tiers: dict[str, TierPlan]
    addons: dict[str, Addon] = Field(default_factory=dict)
    limits: dict[str, Limit] = Field(default_factory=dict)
    max_seats: Count = 1000
    """User seats one account may hold: a sanity cap like `max_licenses`, so a typo (or a forged
    click) of 99,999,999 seats is refused, not quoted or charged."""
    max_contacts: Count = 5_000_000
    """Contacts one account may hold, above the last bracket ("custom"): the same kind of cap."""

    @model_validator(mode="after")
    def _consistent(self) -> ContactsProduct:
        if not self.brackets or list(self.brackets) != sorted(set(self.brackets)):
            raise FieldProblem("brackets", "needs at least one bracket, in increasing order")
        if not self.tiers:
            raise FieldProblem("tiers", "needs at least one tier")
        if self.max_contacts <= self.brackets[-1]:
            raise FieldProblem("max_contacts", f"must be above the last bracket ({self.brackets[-1]})")
        for name, tier in self.tiers.items():
            missing = [b for b in self.brackets if b not in tier.prices]
            extra = [b for b in tier.prices if b not in self.brackets]
            if missing or extra:
                problem = f"missing bracket {missing[0]}" if missing else f"unknown bracket {extra[0]}"
                raise FieldProblem(f"tiers.{name}.prices", problem)
        for name, addon in self.addons.items():
            self._known_tiers(f"addons.{name}.tiers", addon.tiers)
        for name, limit in self.limits.items():
            self._check_limit(name, limit)
        return self

    def _known_tiers(self, path: str, tiers: tuple[str, ...]) -> None:
        if not tiers:
            raise FieldProblem(path, "lists no tier")
        for tier in tiers:
            if tier not in self.tiers:
                raise FieldProblem(path, f"unknown tier {tier!r}; tiers are {', '.join(self.tiers)}")

    def _check_limit(self, name: str, limit: Limit) -> None:
        for choice_name, choice in limit.choices.items():
            self._known_tiers(f"limits.{name}.choices.{choice_name}.tiers", choice.tiers)
        if limit.custom is not None:
            self._known_tiers(f"limits.{name}.custom.tiers", limit.custom.tiers)
        if "custom" in limit.choices:
            raise FieldProblem(f"limits.{name}.choices.custom", "is reserved; use the `custom` table")
        default = limit.choices.get(limit.default)
        if default is None:
            raise FieldProblem(f"limits.{name}.default", f"{limit.default!r} is not one of its choices")
        if set(default.tiers) != set(self.tiers):
            raise FieldProblem(f"limits.{name}.default", "the default choice must be allowed on every tier")
        if default.monthly or default.annual:
            raise FieldProblem(f"limits.{name}.default", "the default choice must be free")

    def tier(self, name: str) -> TierPlan | None:
        return self.tiers.get(name)

    def bracket_for(self, contacts: int) -> int | None:
        """The smallest bracket that holds `contacts`; None above the last one (custom)."""
        return next((b for b in self.brackets if contacts <= b), None)


class PerSeatProduct(FrozenModel):
    model: Literal["per_seat"]
    taxes: Literal["not_included", "vat"]
    provider: ProviderName | None = None
    license_monthly: Money
    billing_months: tuple[Count, ...]
    min_licenses: Count
    max_licenses: Count = 5000
    """Licenses one subscription may hold: a sanity cap, so a typo (100000) is refused, not charged."""

    @model_validator(mode="after")
    def _consistent(self) -> PerSeatProduct:
        if not self.billing_months or any(m not in (1, 12) for m in self.billing_months):
            raise FieldProblem("billing_months", "must list 1 (monthly), 12 (annual) or both")
        if self.max_licenses < self.min_licenses:
            raise FieldProblem("max_licenses", "must be at least min_licenses")
        return self


Product = Annotated[FreeProduct | ContactsProduct | PerSeatProduct, Field(discriminator="model")]
PaidProduct = ContactsProduct | PerSeatProduct
PRODUCT_MODELS = ("free", "contacts", "per_seat")
