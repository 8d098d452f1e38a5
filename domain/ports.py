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

from domain.errors import InvalidInput
from domain.i18n import N_


@dataclass(frozen=True)
class TestCard:
    """A documented test card of a simulated gateway, picked by its label (SPEC §7, §10).

    `outcome` is what charging it does: `success`, `declined` (insufficient funds) or `network`
    (fails like a network error: retryable, never a decline). No card number: only what is shown.
    """

    __test__ = False  # not a pytest test class, whatever its name

    key: str
    outcome: str
    brand: str
    last4: str


@dataclass(frozen=True)
class CardToken:
    """A billing profile's reference at the gateway, with what is shown of the card."""

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
    """Charges billing profiles by their reference. No card number ever reaches it from Slack.

    A gateway with `test_cards` (the simulated one) lets a person pick one of them; any other
    gateway (a vendor that bills the agency) takes the vendor's billing-profile id as the reference.
    """

    test_cards: tuple[TestCard, ...] = ()

    def test_card_reference(self, key: str, exp_month: int, exp_year: int) -> CardToken:
        """A new, random reference to the test card `key`; InvalidInput when there is no such card."""
        raise InvalidInput(N_("This payment gateway has no test cards."), field="test_card")

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
