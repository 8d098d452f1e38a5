"""The catalog: every price, tier and rate the pricing engine uses, read from a TOML file.

The file is validated when it is loaded, so a mistake in an agency's catalog stops the app at
start-up with one line naming the field, instead of surfacing as a wrong invoice later.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from domain.periods import Frequency

DEFAULT_CATALOG = "catalog.toml"


class CatalogError(Exception):
    """The catalog file cannot be used; the message is one line: `catalog <file>: <field>: <problem>`."""


class _FieldProblem(ValueError):
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


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Price(_Model):
    """A price per billing cycle for each frequency: `annual` is the whole year's cycle."""

    monthly: Money
    annual: Money

    def per_cycle(self, frequency: Frequency) -> Decimal:
        return self.monthly if frequency == "monthly" else self.annual


class TierPlan(_Model):
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


class Limit(_Model):
    default: str
    choices: dict[str, LimitChoice]
    custom: CustomLimit | None = None

    def choices_on(self, tier: str) -> tuple[str, ...]:
        return tuple(name for name, choice in self.choices.items() if tier in choice.tiers)


class FreeLevel(_Model):
    days: Count | None = None
    brandable: bool = False


class FreeProduct(_Model):
    model: Literal["free"]
    levels: dict[str, FreeLevel]


class ContactsProduct(_Model):
    model: Literal["contacts"]
    taxes: Literal["not_included", "vat"]
    brackets: tuple[Count, ...]
    custom_block: Count
    tiers: dict[str, TierPlan]
    addons: dict[str, Addon] = Field(default_factory=dict)
    limits: dict[str, Limit] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> ContactsProduct:
        if not self.brackets or list(self.brackets) != sorted(set(self.brackets)):
            raise _FieldProblem("brackets", "needs at least one bracket, in increasing order")
        if not self.tiers:
            raise _FieldProblem("tiers", "needs at least one tier")
        for name, tier in self.tiers.items():
            missing = [b for b in self.brackets if b not in tier.prices]
            extra = [b for b in tier.prices if b not in self.brackets]
            if missing or extra:
                problem = f"missing bracket {missing[0]}" if missing else f"unknown bracket {extra[0]}"
                raise _FieldProblem(f"tiers.{name}.prices", problem)
        for name, addon in self.addons.items():
            self._known_tiers(f"addons.{name}.tiers", addon.tiers)
        for name, limit in self.limits.items():
            self._check_limit(name, limit)
        return self

    def _known_tiers(self, path: str, tiers: tuple[str, ...]) -> None:
        if not tiers:
            raise _FieldProblem(path, "lists no tier")
        for tier in tiers:
            if tier not in self.tiers:
                raise _FieldProblem(path, f"unknown tier {tier!r}; tiers are {', '.join(self.tiers)}")

    def _check_limit(self, name: str, limit: Limit) -> None:
        for choice_name, choice in limit.choices.items():
            self._known_tiers(f"limits.{name}.choices.{choice_name}.tiers", choice.tiers)
        if limit.custom is not None:
            self._known_tiers(f"limits.{name}.custom.tiers", limit.custom.tiers)
        if "custom" in limit.choices:
            raise _FieldProblem(f"limits.{name}.choices.custom", "is reserved; use the `custom` table")
        default = limit.choices.get(limit.default)
        if default is None:
            raise _FieldProblem(f"limits.{name}.default", f"{limit.default!r} is not one of its choices")
        if set(default.tiers) != set(self.tiers):
            raise _FieldProblem(f"limits.{name}.default", "the default choice must be allowed on every tier")
        if default.monthly or default.annual:
            raise _FieldProblem(f"limits.{name}.default", "the default choice must be free")

    def tier(self, name: str) -> TierPlan | None:
        return self.tiers.get(name)

    def bracket_for(self, contacts: int) -> int | None:
        """The smallest bracket that holds `contacts`; None above the last one (custom)."""
        return next((b for b in self.brackets if contacts <= b), None)


class PerSeatProduct(_Model):
    model: Literal["per_seat"]
    taxes: Literal["not_included", "vat"]
    license_monthly: Money
    billing_months: tuple[Count, ...]
    min_licenses: Count

    @model_validator(mode="after")
    def _consistent(self) -> PerSeatProduct:
        if not self.billing_months or any(m not in (1, 12) for m in self.billing_months):
            raise _FieldProblem("billing_months", "must list 1 (monthly), 12 (annual) or both")
        return self


Product = Annotated[FreeProduct | ContactsProduct | PerSeatProduct, Field(discriminator="model")]
PaidProduct = ContactsProduct | PerSeatProduct
_PRODUCT_MODELS = ("free", "contacts", "per_seat")


class Version(_Model):
    products: dict[str, Product]


class DiscountBand(_Model):
    from_accounts: Annotated[int, Field(ge=0, strict=True)]
    percent: Percent


class Pack(_Model):
    units: Count
    price: Money


class PrepaidRange(_Model):
    min: Money
    max: Money


class Credits(_Model):
    prepaid: PrepaidRange
    sms_packs: tuple[Pack, ...]
    inbox_preview_packs: tuple[Pack, ...]


class Catalog(_Model):
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    commission_percent: Percent
    discount_tiers: tuple[DiscountBand, ...]
    vat_rates: dict[Annotated[str, Field(pattern=r"^[A-Z]{2}$")], Percent]
    credits: Credits
    versions: dict[str, Version]

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        bands = self.discount_tiers
        if not bands or bands[0].from_accounts != 0:
            raise _FieldProblem("discount_tiers", "the first tier must start at 0 accounts")
        for i in range(1, len(bands)):
            if bands[i].from_accounts <= bands[i - 1].from_accounts:
                raise _FieldProblem(
                    f"discount_tiers.{i}.from_accounts", "tiers must start in increasing order"
                )
            if bands[i].percent < bands[i - 1].percent:
                raise _FieldProblem(
                    f"discount_tiers.{i}.percent", "a bigger tier cannot give a smaller discount"
                )
        if self.credits.prepaid.min > self.credits.prepaid.max:
            raise _FieldProblem("credits.prepaid.min", "is above credits.prepaid.max")
        seen: dict[str, str] = {}
        for version, spec in self.versions.items():
            for name, product in spec.products.items():
                where = f"versions.{version}.products.{name}"
                if name in seen:
                    raise _FieldProblem(where, f"product name already used in {seen[name]}")
                seen[name] = version
                if getattr(product, "taxes", None) == "vat" and not self.vat_rates:
                    raise _FieldProblem("vat_rates", f"{name} charges VAT but no rate is given")
        return self

    def product_names(self, version: str | None = None) -> tuple[str, ...]:
        """Product names of one version, or of all versions when `version` is None."""
        chosen = self.versions.values() if version is None else [self.versions.get(version)]
        return tuple(name for spec in chosen if spec is not None for name in spec.products)

    def version_of(self, product: str) -> str | None:
        return next((v for v, spec in self.versions.items() if product in spec.products), None)

    def product(self, name: str) -> FreeProduct | ContactsProduct | PerSeatProduct:
        """The product named `name` in any version; KeyError if there is none."""
        for spec in self.versions.values():
            if name in spec.products:
                return spec.products[name]
        raise KeyError(name)

    def tier_names(self, product: str) -> tuple[str, ...]:
        spec = self.product(product)
        return tuple(spec.tiers) if isinstance(spec, ContactsProduct) else ()

    def brackets(self, product: str) -> tuple[int, ...]:
        spec = self.product(product)
        return spec.brackets if isinstance(spec, ContactsProduct) else ()

    def vat_rate(self, country: str) -> Decimal | None:
        return self.vat_rates.get(country.upper())

    @property
    def trial_days(self) -> int:
        """The length of the first free level with a length (the V1 trial)."""
        for spec in self.versions.values():
            for product in spec.products.values():
                if isinstance(product, FreeProduct):
                    days = next((lvl.days for lvl in product.levels.values() if lvl.days), None)
                    if days:
                        return days
        msg = "the catalog has no trial level with days"
        raise LookupError(msg)


def _dotted(loc: tuple[int | str, ...]) -> str:
    # Pydantic puts the discriminator's value after a product's name; readers never wrote it.
    parts = [
        str(part)
        for i, part in enumerate(loc)
        if not (part in _PRODUCT_MODELS and i >= 2 and loc[i - 2] == "products")
    ]
    return ".".join(parts)


def _one_line(error: Mapping[str, Any]) -> tuple[str, str]:
    path = _dotted(tuple(error["loc"]))
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, _FieldProblem):
        return ".".join(p for p in (path, cause.path) if p), cause.problem
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown field"
    elif error["type"] == "missing":
        message = "missing field"
    return path or "(top level)", message


def parse_catalog(data: Mapping[str, Any], source: str) -> Catalog:
    try:
        return Catalog.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        path, problem = _one_line(errors[0])
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        msg = f"catalog {source}: {path}: {problem}{more}"
        raise CatalogError(msg) from None


def load_catalog(path: Path | None = None) -> Catalog:
    """Read and validate a catalog file; None reads the one packaged with the app."""
    if path is None:
        resource = resources.files("domain.data").joinpath(DEFAULT_CATALOG)
        source, raw = str(resource), resource.read_bytes()
    else:
        source = str(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            msg = f"catalog {source}: (file): {exc.strerror or exc}"
            raise CatalogError(msg) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"catalog {source}: (syntax): {exc}"
        raise CatalogError(msg) from None
    return parse_catalog(data, source)


__all__ = [
    "Addon",
    "Catalog",
    "CatalogError",
    "ContactsProduct",
    "CustomLimit",
    "DiscountBand",
    "FreeProduct",
    "Limit",
    "PaidProduct",
    "PerSeatProduct",
    "Price",
    "TierPlan",
    "load_catalog",
    "parse_catalog",
]
