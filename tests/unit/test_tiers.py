"""Reseller discount tiers by the count of active paid accounts (SPEC §3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.catalog import DiscountBand, load_catalog
from domain.tiers import discount_tier, tier_after_adding

BANDS = load_catalog().discount_tiers


@pytest.mark.parametrize(
    ("count", "percent", "lower", "next_percent", "to_next"),
    [
        (0, 0, 0, 25, 2),
        (1, 0, 0, 25, 1),
        (2, 25, 2, 35, 23),
        (24, 25, 2, 35, 1),
        (25, 35, 25, 45, 25),
        (49, 35, 25, 45, 1),
        (50, 45, 50, 55, 50),
        (99, 45, 50, 55, 1),
        (100, 55, 100, None, None),
        (1000, 55, 100, None, None),
    ],
)
def test_tier_boundaries(
    count: int, percent: int, lower: int, next_percent: int | None, to_next: int | None
) -> None:
    """0-1: 0%, 2-24: 25%, 25-49: 35%, 50-99: 45%, 100+: 55%, and how many more reach the next tier."""
    tier = discount_tier(BANDS, count)
    assert tier.percent == Decimal(percent)
    assert tier.lower_bound == lower
    assert tier.next_percent == (Decimal(next_percent) if next_percent is not None else None)
    assert tier.accounts_to_next == to_next


def test_tier_index_follows_the_bands() -> None:
    """The index names the band, so a notice can tell a tier change from a count change."""
    assert [discount_tier(BANDS, n).index for n in (0, 1, 2, 25, 50, 100)] == [0, 0, 1, 2, 3, 4]


@pytest.mark.parametrize(("count", "percent"), [(0, 0), (1, 25), (23, 25), (24, 35), (99, 55)])
def test_tier_after_adding_one_account(count: int, percent: int) -> None:
    """The tier the next cycle sees once the account being created counts too."""
    assert tier_after_adding(BANDS, count).percent == Decimal(percent)


def test_agency_bands_are_read_from_the_catalog() -> None:
    """The thresholds are data: another band table gives other tiers."""
    bands = (
        DiscountBand(from_accounts=0, percent=Decimal(0)),
        DiscountBand(from_accounts=10, percent=Decimal(10)),
    )
    assert discount_tier(bands, 9).accounts_to_next == 1
    assert discount_tier(bands, 10).percent == Decimal(10)
    assert discount_tier(bands, 10).accounts_to_next is None


def test_negative_count_is_a_bug() -> None:
    """A negative account count is a programming error, not a user error."""
    with pytest.raises(ValueError, match="negative"):
        discount_tier(BANDS, -1)
