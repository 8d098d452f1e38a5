"""Built-in simulated provider and payment gateway: in memory, documented test cards (SPEC §7)."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.errors import InvalidInput
from domain.i18n import N_
from domain.ports import (
    CardToken,
    ChargeResult,
    CloningStatus,
    PaymentGateway,
    Provider,
    ProviderError,
    Provisioned,
    ProvisionRequest,
    TestCard,
    VendorAccount,
    VendorPage,
    VendorSnapshot,
)

TEST_CARDS = (
    TestCard(key="4242", outcome="success", brand="visa", last4="4242"),
    TestCard(key="4444", outcome="success", brand="mastercard", last4="4444"),
    TestCard(key="9995", outcome="declined", brand="visa", last4="9995"),  # insufficient funds
    TestCard(key="0119", outcome="network", brand="visa", last4="0119"),  # retryable, never a decline
)
"""The simulated gateway's documented test cards, picked by their label: no number is ever typed."""

OUTCOMES = ("success", "declined", "network")
_REFERENCE = re.compile(r"^tok_sim_(success|declined|network)_[0-9a-z]+$")


def reference_outcome(token: str) -> str | None:
    """Which test-card outcome a simulated reference names (`tok_sim_<outcome>_<random>`), if any."""
    match = _REFERENCE.match(token or "")
    return match.group(1) if match else None


class SimulatedGateway(PaymentGateway):
    """References are random and name the outcome of the test card they were made for."""

    test_cards = TEST_CARDS

    def __init__(self) -> None:
        self._results: dict[str, ChargeResult] = {}
        self._lock = threading.Lock()
        self.charges: list[tuple[str, Decimal, str]] = []
        self.refunds: list[tuple[str, Decimal]] = []

    def test_card_reference(self, key: str, exp_month: int, exp_year: int) -> CardToken:
        card = next((c for c in self.test_cards if c.key == key), None)
        if card is None:
            raise InvalidInput(N_("Pick one of the test cards in the list."), field="test_card")
        return CardToken(
            token=f"tok_sim_{card.outcome}_{secrets.token_hex(16)}",
            brand=card.brand,
            last4=card.last4,
            exp_month=exp_month,
            exp_year=exp_year,
        )

    def charge(self, token: str, amount: Decimal, currency: str, idempotency_key: str) -> ChargeResult:
        with self._lock:
            if idempotency_key in self._results:
                return self._results[idempotency_key]
        outcome = reference_outcome(token)
        if outcome == "network":
            return ChargeResult(ok=False, retryable=True, message="network error talking to the card network")
        if outcome == "declined":
            result = ChargeResult(ok=False, declined=True, message="insufficient funds")
        elif outcome is None:
            result = ChargeResult(ok=False, declined=True, message="unknown billing profile reference")
        else:
            ref = "ch_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
            result = ChargeResult(ok=True, reference=ref)
            with self._lock:
                self.charges.append((token, amount, currency))
        with self._lock:
            self._results[idempotency_key] = result
        return result

    def refund(self, reference: str, amount: Decimal, idempotency_key: str) -> ChargeResult:
        """Refunds always succeed, once per key; `refunds` lists them for tests."""
        with self._lock:
            if idempotency_key in self._results:
                return self._results[idempotency_key]
            result = ChargeResult(
                ok=True, reference="re_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
            )
            self._results[idempotency_key] = result
            self.refunds.append((reference, amount))
        return result


class SimulatedProvider(Provider):
    """Accounts live in memory; names taken by other resellers can be simulated with `taken`."""

    def __init__(self, domain: str = "reseller-crm.example") -> None:
        self.domain = domain
        self.accounts: dict[str, dict[str, Any]] = {}
        self.taken: set[str] = {"www", "admin", "api", "app", "mail"}
        self.events: list[tuple[str, str, Any]] = []
        self.locks: dict[str, datetime] = {}
        self.vendor_snapshots: dict[str, VendorSnapshot] = {}
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

    def _listed(self, reference: str, account: dict[str, Any]) -> VendorAccount:
        return VendorAccount(reference=reference, name=account["name"], plan=account["plan"] or None)

    def find_account(self, name: str) -> VendorAccount | None:
        with self._lock:
            found = [(r, a) for r, a in self.accounts.items() if a["name"] == name]
        return self._listed(*found[0]) if found else None

    def list_accounts(self, page: int, limit: int) -> VendorPage:
        with self._lock:
            everything = sorted(self.accounts.items(), key=lambda item: item[1]["name"])
        total_pages = max(1, -(-len(everything) // limit))
        chosen = everything[(page - 1) * limit : page * limit]
        return VendorPage(
            accounts=tuple(self._listed(r, a) for r, a in chosen),
            page=page,
            total_pages=total_pages,
            total=len(everything),
        )

    def create_snapshot(self, reference: str, name: str) -> VendorSnapshot:
        """A simulated snapshot is complete at once."""
        self._get(reference)
        with self._lock:
            snapshot = VendorSnapshot(
                id=str(len(self.vendor_snapshots) + 1),
                name=name,
                source_reference=reference,
                status="success",
            )
            self.vendor_snapshots[snapshot.id] = snapshot
        return snapshot

    def list_snapshots(self) -> list[VendorSnapshot]:
        with self._lock:
            return list(self.vendor_snapshots.values())

    def delete_snapshot(self, snapshot_id: str) -> None:
        with self._lock:
            if self.vendor_snapshots.pop(snapshot_id, None) is None:
                raise ProviderError(f"there is no snapshot {snapshot_id} at the provider")

    def cloning_status(self) -> list[CloningStatus]:
        """Simulated accounts are copied at once: nothing is ever in progress."""
        return []
