"""Built-in simulated provider and payment gateway: deterministic, in memory, documented test cards."""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.errors import InvalidInput
from domain.i18n import N_
from domain.ports import (
    CardDetails,
    CardToken,
    ChargeResult,
    PaymentGateway,
    Provider,
    ProviderError,
    Provisioned,
    ProvisionRequest,
)

# Test cards of the simulated gateway (any future expiry, any 3-digit CVC):
TEST_CARDS = {
    "4242424242424242": "success",
    "5555555555554444": "success",
    "4000000000009995": "declined",  # insufficient funds
    "4000000000000119": "network",  # fails like a network error: retryable, never a decline
}


def luhn_ok(number: str) -> bool:
    checksum = 0
    for index, char in enumerate(reversed(number)):
        value = int(char) * (2 if index % 2 else 1)
        checksum += value - 9 if value > 9 else value
    return checksum % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "card"


class SimulatedGateway(PaymentGateway):
    """Tokens name the behaviour of their test card; unknown valid numbers succeed."""

    def __init__(self) -> None:
        self._results: dict[str, ChargeResult] = {}
        self._lock = threading.Lock()
        self.charges: list[tuple[str, Decimal, str]] = []

    def tokenize(self, card: CardDetails) -> CardToken:
        number = "".join(ch for ch in card.number if ch.isdigit())
        if not 12 <= len(number) <= 19 or not luhn_ok(number):
            raise InvalidInput(N_("That card number is not valid. Check the digits."), field="number")
        behaviour = TEST_CARDS.get(number, "success")
        digest = hashlib.sha256(f"{number}:{card.exp_year}:{card.exp_month}".encode()).hexdigest()[:16]
        return CardToken(
            token=f"tok_sim_{behaviour}_{digest}",
            brand=card_brand(number),
            last4=number[-4:],
            exp_month=card.exp_month,
            exp_year=card.exp_year,
        )

    def charge(self, token: str, amount: Decimal, currency: str, idempotency_key: str) -> ChargeResult:
        with self._lock:
            if idempotency_key in self._results:
                return self._results[idempotency_key]
        if "_network_" in token:
            return ChargeResult(ok=False, retryable=True, message="network error talking to the card network")
        if "_declined_" in token:
            result = ChargeResult(ok=False, declined=True, message="insufficient funds")
        else:
            ref = "ch_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
            result = ChargeResult(ok=True, reference=ref)
            with self._lock:
                self.charges.append((token, amount, currency))
        with self._lock:
            self._results[idempotency_key] = result
        return result


class SimulatedProvider(Provider):
    """Accounts live in memory; names taken by other resellers can be simulated with `taken`."""

    def __init__(self, domain: str = "reseller-crm.example") -> None:
        self.domain = domain
        self.accounts: dict[str, dict[str, Any]] = {}
        self.taken: set[str] = {"www", "admin", "api", "app", "mail"}
        self.events: list[tuple[str, str, Any]] = []
        self.locks: dict[str, datetime] = {}
        self._lock = threading.RLock()

    def name_available(self, name: str) -> bool:
        with self._lock:
            return name not in self.taken and name not in {a["name"] for a in self.accounts.values()}

    def provision(self, request: ProvisionRequest) -> Provisioned:
        if not self.name_available(request.name):
            raise ProviderError(f"the name {request.name} is already taken at the provider")
        reference = "acc_" + hashlib.sha256(request.name.encode()).hexdigest()[:12]
        with self._lock:
            self.accounts[reference] = {
                "name": request.name,
                "plan": request.plan,
                "branding": request.branding,
                "snapshot": request.snapshot,
                "password_digest": hashlib.sha256(request.password.encode()).hexdigest(),
                "templates": [],
                "members": [],
            }
            self.events.append(("provision", reference, request.name))
        host = request.custom_domain or f"{request.name}.{self.domain}"
        return Provisioned(reference=reference, login_url=f"https://{host}", username="admin")

    def _get(self, reference: str) -> dict[str, Any]:
        """The simulated vendor knows every account it is asked about: accounts provisioned by another
        process (the shell after `demo-data`, a second server worker) are adopted on first use."""
        if not reference:
            raise ProviderError("the account has no reference at the provider")
        with self._lock:
            account = self.accounts.get(reference)
            if account is None:
                account = {
                    "name": reference,
                    "plan": {},
                    "branding": None,
                    "snapshot": None,
                    "password_digest": "",
                    "templates": [],
                    "members": [],
                }
                self.accounts[reference] = account
        return account

    def sso_link(self, reference: str, user: str) -> str:
        account = self._get(reference)
        token = hashlib.sha256(f"{reference}:{user}".encode()).hexdigest()[:24]
        return f"https://{account['name']}.{self.domain}/sso?token={token}"

    def update(self, reference: str, changes: dict[str, Any]) -> None:
        with self._lock:
            self._get(reference).update(changes)
            self.events.append(("update", reference, changes))

    def snapshot(self, reference: str) -> dict[str, Any]:
        account = self._get(reference)
        return {
            "plan": account["plan"],
            "branding": account["branding"],
            "templates": list(account["templates"]),
        }

    def send_password_reset(self, reference: str, email: str) -> None:
        self._get(reference)
        self.events.append(("password_reset", reference, email))

    def set_password(self, reference: str, password: str) -> None:
        with self._lock:
            self._get(reference)["password_digest"] = hashlib.sha256(password.encode()).hexdigest()
            self.locks.pop(reference, None)
            self.events.append(("set_password", reference, None))

    def locked_until(self, reference: str) -> datetime | None:
        return self.locks.get(reference)

    def import_template(self, reference: str, share_link: str) -> None:
        account = self._get(reference)
        if "broken" in share_link:
            raise ProviderError("the share link has expired")
        with self._lock:
            if share_link not in account["templates"]:
                account["templates"].append(share_link)

    def invite_member(self, reference: str, email: str) -> None:
        with self._lock:
            self._get(reference)["members"].append(email)
            self.events.append(("invite", reference, email))
