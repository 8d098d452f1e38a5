"""A simulated vendor holding an existing portfolio: `seed_vendor` fills `SimulatedProvider.accounts`,
`FlakyProvider` fails once on a chosen page, as a real vendor's 503 would."""

from __future__ import annotations

from typing import Any

from domain.ports import ProviderError, VendorPage
from domain.simulated import SimulatedProvider

PLUS = {
    "version": "V3",
    "product": "marketing",
    "level": None,
    "tier": "plus",
    "contacts": 2500,
    "frequency": "monthly",
    "seats": None,
    "addons": [],
    "licenses": None,
    "limits": [],
}
UNREADABLE = {"products": [{"code": "mystery-suite", "tier": "gold"}]}
"""A plan the desk cannot map to the catalog: imported as "plan to confirm"."""


def seed_vendor(
    provider: SimulatedProvider, count: int, *, unreadable_every: int = 0, prefix: str = "vend"
) -> None:
    """`count` accounts at the vendor, named `<prefix>-00001`…; every `unreadable_every`-th one with a
    plan the desk cannot read."""
    for n in range(1, count + 1):
        plan: dict[str, Any] = dict(UNREADABLE if unreadable_every and n % unreadable_every == 0 else PLUS)
        provider.accounts[f"acc_{prefix}_{n:05d}"] = {
            "name": f"{prefix}-{n:05d}",
            "plan": plan,
            "branding": None,
            "snapshot": None,
            "password_digest": "",
            "templates": [],
            "members": [],
        }


class FlakyProvider(SimulatedProvider):
    """Fails like a vendor's 503 (retryable) on `fail_page`, `failures` times, then answers again."""

    def __init__(self, fail_page: int, failures: int = 1) -> None:
        super().__init__()
        self.fail_page, self.failures = fail_page, failures
        self.pages: list[int] = []

    def list_accounts(self, page: int, limit: int) -> VendorPage:
        self.pages.append(page)
        if page == self.fail_page and self.failures > 0:
            self.failures -= 1
            raise ProviderError("the vendor answered 503 Service Unavailable", retryable=True)
        return super().list_accounts(page, limit)
