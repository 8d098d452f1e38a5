"""The domain's outside world: the SaaS provider and the payment gateway.

Each is a small typed interface with a built-in simulated implementation (`domain/simulated.py`),
so the app runs complete on one machine; a real adapter implements the same interface.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class CardDetails:
    """What a person types into the add-card modal. It goes to the gateway and is never stored."""

    number: str
    holder: str
    exp_month: int
    exp_year: int
    cvc: str


@dataclass(frozen=True)
class CardToken:
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class ChargeResult:
    ok: bool
    reference: str | None = None
    declined: bool = False
    retryable: bool = False
    message: str = ""


class PaymentGateway(abc.ABC):
    @abc.abstractmethod
    def tokenize(self, card: CardDetails) -> CardToken:
        """Exchange card details for a token; raises InvalidInput when the card cannot be used."""

    @abc.abstractmethod
    def charge(self, token: str, amount: Decimal, currency: str, idempotency_key: str) -> ChargeResult:
        """Charge once per idempotency key: the same key again returns the first result."""


@dataclass(frozen=True)
class ProvisionRequest:
    name: str
    client_name: str
    notification_email: str
    country: str
    region: str
    language: str
    timezone: str
    plan: dict[str, Any]
    password: str
    custom_domain: str | None = None
    branding: dict[str, Any] | None = None
    snapshot: dict[str, Any] | None = None


@dataclass(frozen=True)
class Provisioned:
    reference: str
    login_url: str
    username: str


class Provider(abc.ABC):
    """The SaaS vendor's reseller API: accounts, sign-on, branding, snapshots, templates, members."""

    domain: str

    @abc.abstractmethod
    def provision(self, request: ProvisionRequest) -> Provisioned: ...

    @abc.abstractmethod
    def name_available(self, name: str) -> bool: ...

    @abc.abstractmethod
    def sso_link(self, reference: str, user: str) -> str: ...

    @abc.abstractmethod
    def update(self, reference: str, changes: dict[str, Any]) -> None:
        """Plan, status (with the login-page message), branding or notification email changes."""

    @abc.abstractmethod
    def snapshot(self, reference: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    def send_password_reset(self, reference: str, email: str) -> None: ...

    @abc.abstractmethod
    def set_password(self, reference: str, password: str) -> None: ...

    @abc.abstractmethod
    def locked_until(self, reference: str) -> datetime | None:
        """When the client's login unlocks after too many failed attempts, or None."""

    @abc.abstractmethod
    def import_template(self, reference: str, share_link: str) -> None:
        """Raises ProviderError with a reason when the template cannot be imported."""

    @abc.abstractmethod
    def invite_member(self, reference: str, email: str) -> None: ...


class ProviderError(Exception):
    """The provider refused or failed; the message is safe to show."""
