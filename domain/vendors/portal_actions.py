"""The provider actions no published vendor API offers (SPEC §9), in one place.

A real vendor adapter inherits them: each raises `Unsupported`, and the desk records the change and
opens a portal task instead of pretending it happened at the vendor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.ports import Capability, Provider, Unsupported


class PortalActions(Provider):
    def sso_link(self, reference: str, user: str) -> str:
        raise Unsupported(Capability.SIGN_ON)

    def update(self, reference: str, changes: dict[str, Any]) -> None:
        raise Unsupported(Capability.PLAN)

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
