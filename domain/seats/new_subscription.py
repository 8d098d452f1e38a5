"""The new-subscription form (SPEC §6), checked field by field before anything is quoted or charged.

Plain data and pure checks over the catalog, so each error lands on its modal field and is tested
without a database; `subscribe` quotes, charges and provisions what this returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import pycountry

from domain.catalog import Catalog, PerSeatProduct
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.numbers import whole_number
from domain.periods import Frequency
from domain.seats.rules import normalise_email


@dataclass(frozen=True)
class NewSubscription:
    customer_name: str
    email: str
    company: str
    country: str
    vat_number: str | None
    licenses: int
    frequency: Frequency
    payment_method: str
    """card (then `billing_profile_id` names the card) or transfer."""
    billing_profile_id: int | None
    nonce: str


def per_seat_product(catalog: Catalog) -> str:
    for name in catalog.product_names("V3"):
        if isinstance(catalog.product(name), PerSeatProduct):
            return name
    raise InvalidInput(N_("The catalog sells no per-seat product."))


def read_licenses(catalog: Catalog, text: object, *, field: str = "licenses") -> int:
    """A number of licenses typed in a form: refused, naming the field and the product's bounds, when
    it is not a whole number from 1 (`-3`, `five`, `0`); above the product's cap the plan's validation
    refuses it, naming the cap and the number asked for."""
    spec = catalog.product(per_seat_product(catalog))
    assert isinstance(spec, PerSeatProduct)
    value = whole_number(text)
    if value is None or value < 1:
        raise InvalidInput(
            N_("Licenses: from {minimum} to {maximum}, as a whole number."),
            field=field,
            minimum=1,
            maximum=spec.max_licenses,
        )
    return value


def clean(data: NewSubscription) -> NewSubscription:
    """Field by field, so each error lands on its modal field."""
    name = data.customer_name.strip()
    if not 1 <= len(name) <= 120:
        raise InvalidInput(N_("Give the customer's name (1 to 120 characters)."), field="customer_name")
    company = data.company.strip()
    if len(company) > 120:
        raise InvalidInput(N_("The company name is at most 120 characters."), field="company")
    country = data.country.strip().upper()
    if pycountry.countries.get(alpha_2=country) is None:
        raise InvalidInput(
            N_("{country} is not an ISO 3166 country code. Write it like FR, DE or US."),
            field="country",
            country=data.country,
        )
    if data.payment_method not in ("card", "transfer"):
        raise InvalidInput(N_("Choose a billing profile or bank transfer."), field="profile")
    if data.payment_method == "card" and data.billing_profile_id is None:
        raise InvalidInput(N_("Choose a billing profile or bank transfer."), field="profile")
    try:
        email = normalise_email(data.email)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="email", **exc.params) from None
    vat = (data.vat_number or "").strip() or None
    return NewSubscription(
        name,
        email,
        company,
        country,
        vat,
        data.licenses,
        data.frequency,
        data.payment_method,
        data.billing_profile_id,
        data.nonce,
    )
