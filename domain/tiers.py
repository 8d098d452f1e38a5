"""Reseller discount tiers: which discount an agency's count of active paid accounts earns.

A charge uses the tier of the count when it is computed, not counting the account the charge creates
(SPEC §3), so callers pass the count as it stands; `tier_after_adding` answers "and after this one?".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.catalog import DiscountBand


@dataclass(frozen=True)
class DiscountTier:
    index: int
    percent: Decimal
    lower_bound: int
    next_percent: Decimal | None
    accounts_to_next: int | None


def discount_tier(tiers: Sequence[DiscountBand], active_paid_count: int) -> DiscountTier:
    """The tier that `active_paid_count` accounts reach (the catalog guarantees a band from 0)."""
    if active_paid_count < 0:
        msg = f"an account count cannot be negative: {active_paid_count}"
        raise ValueError(msg)
    index = max(i for i, band in enumerate(tiers) if band.from_accounts <= active_paid_count)
    band = tiers[index]
    following = tiers[index + 1] if index + 1 < len(tiers) else None
    return DiscountTier(
        index=index,
        percent=band.percent,
        lower_bound=band.from_accounts,
        next_percent=following.percent if following else None,
        accounts_to_next=following.from_accounts - active_paid_count if following else None,
    )


def tier_after_adding(tiers: Sequence[DiscountBand], count: int, added: int = 1) -> DiscountTier:
    """The tier once `added` more accounts are active and paid: what the next cycles will see."""
    return discount_tier(tiers, count + added)
