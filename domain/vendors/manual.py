"""A vendor without an API (`RESELLER_PROVIDER=manual`, or a catalog product sold that way).

It can do nothing itself: every action raises `Unsupported`, and the desk records the change and
opens a portal task saying what to do in the vendor's portal (SPEC §9). A name is always free here
(the person creating the account at the vendor sees a clash there).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.ports import Capability, Provider, Provisioned, ProvisionRequest, Unsupported


class ManualProvider(Provider):
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

    def sso_link(self, reference: str, user: str) -> str:
        raise Unsupported(Capability.SIGN_ON)

    def update(self, reference: str, changes: dict[str, Any]) -> None:
        raise Unsupported(Capability.PLAN)

    def snapshot(self, reference: str) -> dict[str, Any]:
        raise Unsupported(Capability.SNAPSHOT)

    def send_password_reset(self, reference: str, email: str) -> None:
        raise Unsupported(Capability.PASSWORD)

    def set_password(self, reference: str, password: str) -> None:
        raise Unsupported(Capability.PASSWORD)

    def locked_until(self, reference: str) -> datetime | None:
        return None

    def import_template(self, reference: str, share_link: str) -> None:
        raise Unsupported(Capability.TEMPLATES)

    def invite_member(self, reference: str, email: str) -> None:
        raise Unsupported(Capability.MEMBERS)
