"""The domain's outside world: the SaaS provider and the payment gateway.

Each is a small typed interface with a built-in simulated implementation (`domain/simulated.py`),
so the app runs complete on one machine; a real adapter implements the same interface.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
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

    def refund(self, reference: str, amount: Decimal, idempotency_key: str) -> ChargeResult:
        """Give back `amount` of the charge `reference` once per key (voiding a charge whose account
        the vendor did not create). A gateway that cannot refund answers not ok: nothing is voided."""
        return ChargeResult(ok=False, message="this gateway does not refund")


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
    password: str = field(repr=False)
    custom_domain: str | None = None
    branding: dict[str, Any] | None = None
    snapshot: dict[str, Any] | None = None
    client_email: str = ""
    currency: str = ""
    billing_interval: int = 1
    """Months per billing cycle (1 or 12), as vendors bill."""
    products: tuple[dict[str, Any], ...] = ()
    """The plan as the vendor's products: `{code, tier, entitlements}` from the catalog plan."""
    billing_profile: str | None = None
    """The billing profile's id at the vendor (a vendor that bills the agency charges it)."""
    vendor_snapshot_id: int | None = None


@dataclass(frozen=True)
class Provisioned:
    reference: str
    login_url: str
    username: str


class Capability(StrEnum):
    """What a vendor's API can do. Anything a provider does not support is never pretended: the desk
    records the change and opens a portal task saying what to do at the vendor (SPEC §9)."""

    PROVISION = "provision"
    NAME_CHECK = "name_check"
    LIST_ACCOUNTS = "list_accounts"
    SIGN_ON = "sign_on"
    PLAN = "plan"
    STATUS = "status"
    BRANDING = "branding"
    NOTIFICATION_EMAIL = "notification_email"
    SNAPSHOT = "snapshot"
    PASSWORD = "password"  # noqa: S105 (the capability, not a secret)
    TEMPLATES = "templates"
    MEMBERS = "members"
    LOCALES = "locales"


@dataclass(frozen=True)
class VendorAccount:
    """A child account as the vendor lists it. `plan` is None when the desk cannot read it."""

    reference: str
    name: str
    owner_name: str = ""
    email: str = ""
    created_at: datetime | None = None
    archived: bool = False
    plan: dict[str, Any] | None = None


@dataclass(frozen=True)
class VendorPage:
    accounts: tuple[VendorAccount, ...]
    page: int
    total_pages: int
    total: int


@dataclass(frozen=True)
class VendorSnapshot:
    """A snapshot the vendor holds (`status`: in_progress, success, failed or cancelled)."""

    id: str
    name: str
    source_reference: str
    status: str
    created_at: datetime | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class CloningStatus:
    """How the copy of a snapshot into a new account is going (`status` as for VendorSnapshot)."""

    target_reference: str
    target_name: str
    source_reference: str
    status: str
    snapshot_id: str | None = None
    error: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Locales:
    """The vendor's values to send back on writes, each with its label."""

    languages: dict[str, str]
    timezones: dict[str, str]


class Provider(abc.ABC):
    """The SaaS vendor's reseller API: accounts, sign-on, branding, snapshots, templates, members."""

    domain: str
    key: str = "simulated"
    """The `RESELLER_PROVIDER` value that selects this provider."""
    portal_url: str = ""
    """Where a person does at the vendor what the API does not offer (linked from portal tasks)."""
    capabilities: frozenset[Capability] = frozenset(Capability)
    bills_agency: bool = False
    """True for a vendor that bills the agency itself (SPEC §9 "Money moves once"): the desk never
    charges a card for the accounts it serves, it records each charge as an invoice billed by the
    vendor (`domain/vendor_billing.py`). False for the simulated provider, whose gateway stands in."""
    vendor_name: str = ""
    """How people name the vendor in what the desk says ("ActiveCampaign will bill …"); empty reads
    "the vendor"."""

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def find_account(self, name: str) -> VendorAccount | None:
        """The vendor's account with exactly this name, if any (finds an account a crash left behind)."""
        raise Unsupported(Capability.LIST_ACCOUNTS)

    def list_accounts(self, page: int, limit: int) -> VendorPage:
        """One page (from 1) of every child account the vendor holds for the agency."""
        raise Unsupported(Capability.LIST_ACCOUNTS)

    def locales(self) -> Locales | None:
        """The vendor's languages and time zones, or None when it has no catalog (the desk's own)."""
        return None

    def create_snapshot(self, reference: str, name: str) -> VendorSnapshot:
        """Ask the vendor to snapshot the account `reference` under `name` (it completes later)."""
        raise Unsupported(Capability.SNAPSHOT)

    def list_snapshots(self) -> list[VendorSnapshot]:
        """Every snapshot the vendor holds for the agency."""
        raise Unsupported(Capability.SNAPSHOT)

    def delete_snapshot(self, snapshot_id: str) -> None:
        raise Unsupported(Capability.SNAPSHOT)

    def cloning_status(self) -> list[CloningStatus]:
        """How the accounts being created from snapshots are coming along."""
        raise Unsupported(Capability.SNAPSHOT)

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
    """The provider refused or failed; the message is safe to show.

    `field` names the desk's field the vendor objected to (a modal shows the error there);
    `retryable` is True for a failure worth trying again later (timeout, 429, 5xx), never for a refusal.
    A message written as an `N_()` id with `{named}` placeholders and `params` can be translated by
    the caller (`t(error.message, **error.params)`); `str(error)` is always the English text.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        retryable: bool = False,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.message = message
        self.params = dict(params or {})
        try:
            text = message.format(**self.params) if self.params else message
        except (KeyError, IndexError, ValueError):
            text = message
        super().__init__(text)
        self.field = field
        self.retryable = retryable


class Unsupported(ProviderError):
    """The vendor's API does not offer this: the caller opens a portal task instead (SPEC §9)."""

    def __init__(self, capability: Capability) -> None:
        super().__init__(f"the vendor's API does not offer {capability.value}")
        self.capability = capability
