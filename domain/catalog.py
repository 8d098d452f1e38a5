"""The catalog: every price, tier and rate the pricing engine uses, read from a TOML file.

The file is validated when it is loaded, so a mistake in an agency's catalog stops the app at
start-up with one line naming the field, instead of surfacing as a wrong invoice later.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, model_validator

from domain.money import MAX_AMOUNT
from domain.products import (
    PRODUCT_MODELS,
    Addon,
    ContactsProduct,
    Count,
    CustomLimit,
    FieldProblem,
    FreeLevel,
    FreeProduct,
    FrozenModel,
    Limit,
    LimitChoice,
    Money,
    PaidProduct,
    Percent,
    PerSeatProduct,
    Price,
    Product,
    TierPlan,
)

DEFAULT_CATALOG = "catalog.toml"


class CatalogError(Exception):
    """The catalog file cannot be used; the message is one line: `catalog <file>: <field>: <problem>`."""


class Version(FrozenModel):
    products: dict[str, Product]


class DiscountBand(FrozenModel):
    from_accounts: Annotated[int, Field(ge=0, strict=True)]
    percent: Percent


class Pack(FrozenModel):
    units: Count
    price: Money


class PrepaidRange(FrozenModel):
    min: Money
    max: Money


class Credits(FrozenModel):
    prepaid: PrepaidRange
    sms_packs: tuple[Pack, ...]
    inbox_preview_packs: tuple[Pack, ...]


_WEB = r"^https://[^\s<>|]{1,300}$"
_EMAIL = r"^[^\s@<>|]{1,64}@[^\s@<>|]{1,190}\.[A-Za-z]{2,}$"


class Vendor(FrozenModel):
    """Where the agency finds the vendor's own help (seed 000, items 8, 17 and 20): its partner
    portal, its agency FAQ and its customer-experience team (an address, a page, or both)."""

    name: Annotated[str, Field(min_length=1, max_length=80)]
    portal_url: Annotated[str, Field(pattern=_WEB)]
    faq_url: Annotated[str, Field(pattern=_WEB)]
    support_email: Annotated[str | None, Field(pattern=_EMAIL)] = None
    support_url: Annotated[str | None, Field(pattern=_WEB)] = None

    @model_validator(mode="after")
    def _reachable(self) -> Vendor:
        if not self.support_email and not self.support_url:
            raise FieldProblem("support_email", "give support_email, support_url or both")
        return self


DEFAULT_VENDOR = "default"
"""The `[vendors.default]` entry: the desk's own links, for a provider key the catalog does not name."""


class Catalog(FrozenModel):
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    commission_percent: Percent
    renewal_retry_days: Annotated[int, Field(ge=1, strict=True)] = 3
    """Days a renewal is retried while the payment network is unreachable before it counts as failed."""
    discount_tiers: tuple[DiscountBand, ...]
    vat_rates: dict[Annotated[str, Field(pattern=r"^[A-Z]{2}$")], Percent]
    credits: Credits
    versions: dict[str, Version]
    vendor_codes: dict[str, str] = Field(default_factory=dict)
    """The vendor's product code for a catalog product (`products[].code` of ActiveCampaign's create
    call); a product not listed is sent under its own catalog name."""
    vendors: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,39}$")], Vendor] = Field(
        default_factory=dict
    )
    """The vendor's links per provider key (`RESELLER_PROVIDER`: simulated, activecampaign, manual…)."""

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        bands = self.discount_tiers
        if not bands or bands[0].from_accounts != 0:
            raise FieldProblem("discount_tiers", "the first tier must start at 0 accounts")
        for i in range(1, len(bands)):
            if bands[i].from_accounts <= bands[i - 1].from_accounts:
                raise FieldProblem(
                    f"discount_tiers.{i}.from_accounts", "tiers must start in increasing order"
                )
            if bands[i].percent < bands[i - 1].percent:
                raise FieldProblem(
                    f"discount_tiers.{i}.percent", "a bigger tier cannot give a smaller discount"
                )
        if self.credits.prepaid.min > self.credits.prepaid.max:
            raise FieldProblem("credits.prepaid.min", "is above credits.prepaid.max")
        if self.credits.prepaid.min <= 0:
            raise FieldProblem("credits.prepaid.min", "must be above zero")
        if self.credits.prepaid.max >= MAX_AMOUNT:
            raise FieldProblem("credits.prepaid.max", f"must be below {MAX_AMOUNT:,}")
        seen: dict[str, str] = {}
        for version, spec in self.versions.items():
            for name, product in spec.products.items():
                where = f"versions.{version}.products.{name}"
                if name in seen:
                    raise FieldProblem(where, f"product name already used in {seen[name]}")
                seen[name] = version
                if getattr(product, "taxes", None) == "vat" and not self.vat_rates:
                    raise FieldProblem("vat_rates", f"{name} charges VAT but no rate is given")
        for name in self.vendor_codes:
            if name not in seen:
                raise FieldProblem(f"vendor_codes.{name}", "is not a product of the catalog")
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

    def provider_of(self, product: str | None) -> str | None:
        """The provider the catalog names for `product`, or None (the default serves it)."""
        if not product:
            return None
        try:
            return self.product(product).provider
        except KeyError:
            return None

    def brackets(self, product: str) -> tuple[int, ...]:
        spec = self.product(product)
        return spec.brackets if isinstance(spec, ContactsProduct) else ()

    def vendor(self, provider_key: str) -> Vendor | None:
        """The links of the vendor behind `provider_key`, else the desk's default, else None.
        Portal tasks link `vendor(key).portal_url` (or the provider's own `portal_url`)."""
        return self.vendors.get(provider_key) or self.vendors.get(DEFAULT_VENDOR)

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
        if not (part in PRODUCT_MODELS and i >= 2 and loc[i - 2] == "products")
    ]
    return ".".join(parts)


def _one_line(error: Mapping[str, Any]) -> tuple[str, str]:
    path = _dotted(tuple(error["loc"]))
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldProblem):
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
    "FreeLevel",
    "FreeProduct",
    "Limit",
    "LimitChoice",
    "PaidProduct",
    "PerSeatProduct",
    "Price",
    "TierPlan",
    "load_catalog",
    "parse_catalog",
]
