"""How a plan change is told apart: refused, an upgrade now, or a reduction at the next renewal.

SPEC §3 charges upgrades now and defers downgrades without refund; a change that shrinks any part
(fewer contacts, seats, licenses, add-ons, a lower tier) is deferred even if the total still grows,
so nothing the client already has is taken away mid-cycle.
"""

from __future__ import annotations

from domain.catalog import Catalog, ContactsProduct, PerSeatProduct
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.plans import PlanChoice


def check_change(
    catalog: Catalog, spec: ContactsProduct | PerSeatProduct, old: PlanChoice, new: PlanChoice
) -> None:
    """Refuse a change between pricing models, or one that changes nothing."""
    if type(catalog.product(old.product)) is not type(spec):
        raise InvalidInput(
            N_("{current} and {product} are priced differently: a plan cannot change between them."),
            field="product",
            current=old.product,
            product=new.product,
        )
    if old == new:
        raise InvalidInput(N_("That is already the plan: nothing would change."), field="plan")


def shrinks(catalog: Catalog, old: PlanChoice, new: PlanChoice) -> bool:
    """Whether any part of the plan gets smaller."""
    if (new.licenses or 0) < (old.licenses or 0) or (new.contacts or 0) < (old.contacts or 0):
        return True
    if set(old.addons) - set(new.addons):
        return True
    old_spec, new_spec = catalog.product(old.product), catalog.product(new.product)
    if not isinstance(old_spec, ContactsProduct) or not isinstance(new_spec, ContactsProduct):
        return False
    old_tier, new_tier = old_spec.tiers[old.tier or ""], new_spec.tiers[new.tier or ""]
    tiers = list(new_spec.tiers)
    if old.tier in tiers and tiers.index(new.tier or "") < tiers.index(old.tier or ""):
        return True
    return (new.seats or new_tier.included_seats) < (old.seats or old_tier.included_seats)
