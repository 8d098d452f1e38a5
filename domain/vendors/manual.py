"""A vendor without an API (`RESELLER_PROVIDER=manual`, or a catalog product sold that way).

It can do nothing itself: every action raises `Unsupported`, and the desk records the change and
opens a portal task saying what to do in the vendor's portal (SPEC §9). A name is always free here
(the person creating the account at the vendor sees a clash there).
"""

from __future__ import annotations

from typing import Any

from domain.ports import Capability, Provisioned, ProvisionRequest, Unsupported
from domain.vendors.portal_actions import PortalActions


class ManualProvider(PortalActions):
    key = "manual"
    bills_agency = True
    domain = ""
    capabilities: frozenset[Capability] = frozenset()

    def __init__(self, portal_url: str = "") -> None:
        self.portal_url = portal_url

    def __repr__(self) -> str:
        return f"ManualProvider(portal_url={self.portal_url!r})"

    def provision(self, request: ProvisionRequest) -> Provisioned:
        raise Unsupported(Capability.PROVISION)

    def name_available(self, name: str) -> bool:
        return True

    def snapshot(self, reference: str) -> dict[str, Any]:
        raise Unsupported(Capability.SNAPSHOT)
