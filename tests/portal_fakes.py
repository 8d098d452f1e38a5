"""Vendors without some API (SPEC §9), as the tests' stand-ins: the simulated provider with fewer
capabilities, recording every call that reaches it, so a test proves nothing was sent."""

from __future__ import annotations

from domain.ports import Capability
from domain.simulated import SimulatedProvider

PORTAL = "https://partners.vendor.example/portal"


class NoApiProvider(SimulatedProvider):
    """A vendor with no API at all (what the `manual` provider is): every action is a portal task."""

    key = "manual"
    portal_url = PORTAL
    capabilities: frozenset[Capability] = frozenset()


class PartialProvider(SimulatedProvider):
    """A vendor whose API creates, lists and snapshots accounts, and nothing else (ActiveCampaign's
    published partner API)."""

    key = "activecampaign"
    portal_url = PORTAL
    capabilities = frozenset(
        {
            Capability.PROVISION,
            Capability.NAME_CHECK,
            Capability.LIST_ACCOUNTS,
            Capability.SNAPSHOT,
            Capability.LOCALES,
        }
    )
