"""The vendor's half of adding an account, run after the ack by `domain.operations` (SPEC §9).

`execute` creates the account at the vendor (or, when an earlier attempt may have created it before a
crash or a timeout, adopts the account the vendor already holds under that name: one account, never
two), then marks it created. The password is generated here, handed to the vendor and returned to
the runner to show once: never stored, never logged. An adopted account gets a fresh password
through the vendor's password API when it offers one.

`fail` undoes the submission after a definitive refusal: the first cycle's charge is VOIDED (the card
refunded through the gateway, prepaid credit given back to the ledger, the invoice marked `void`),
the account row is removed so the name can be used again, and both are audited.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from domain import audit, ledger, operations
from domain.accounts.common import AccountPorts, facts, strong_password
from domain.accounts.service import CREATING, PROVISION, AddAccount, AddedAccount, add_account
from domain.agency import Actor
from domain.money import ZERO
from domain.ports import Capability, Provider, ProviderError, Provisioned, ProvisionRequest, Unsupported
from domain.seats.subscribe import PROVISION_SEATS
from domain.store.models import (
    Account,
    Agency,
    BillingProfile,
    Invoice,
    LedgerEntry,
    Snapshot,
    VendorOperation,
)
from domain.store.uow import SqlUnitOfWork
from domain.vendors import tasks

BY_HAND = "portal:"
"""The reference of an account a person creates in the vendor's portal (a vendor without an account
API, SPEC §9): later changes to it become portal tasks too."""


class NameTaken(ProviderError):
    def __init__(self, name: str) -> None:
        super().__init__(f"the name {name} is already taken at the provider", field="name")


class ProvisionAccount:
    audit_action = "account.added"
    shows_password = True
    """False where the agency administers the account itself (a per-seat subscription)."""

    def call(
        self, sessions: sessionmaker[Session], ports: AccountPorts, op_id: int, progress: operations.Progress
    ) -> tuple[Provisioned, str | None]:
        with sessions() as session:
            op = session.get(VendorOperation, op_id)
            account = session.get(Account, op.account_id) if op and op.account_id else None
            if op is None or account is None or account.status != CREATING:
                raise ProviderError("the account to create is no longer waiting to be created")
            name, attempts = account.name, op.attempts
            fresh = strong_password()
            request = self._request(session, account, op, fresh)
            provider = ports.provider_for(account.product)
        if not provider.supports(Capability.PROVISION):  # a portal task creates it (in `record`)
            return Provisioned(reference=BY_HAND + name, login_url="", username=request.client_email), None
        adopted = self._adopt(provider, name) if attempts > 1 else None
        if adopted is not None:
            return adopted, self._new_password(provider, adopted.reference, fresh)
        if attempts <= 1 and not provider.name_available(name):
            raise NameTaken(name)
        return provider.provision(request), fresh

    def record(
        self, uow: SqlUnitOfWork, ports: AccountPorts, op: VendorOperation, called: Any
    ) -> tuple[dict[str, Any], str | None]:
        done, password = called
        session = uow.session
        account = session.get(Account, op.account_id) if op.account_id else None
        if account is None:  # pragma: no cover - only a failed operation removes it
            raise RuntimeError("the account row is gone")
        now = ports.clock.now()
        account.provider_ref = done.reference
        account.status = str(op.payload.get("status") or "active")
        account.status_changed_at = now
        invoice = self._invoice_number(session, op)
        task = self._portal_task(uow, ports, op, account) if done.reference.startswith(BY_HAND) else None
        audit.record(
            uow,
            ports.clock,
            agency_id=op.agency_id,
            actor=op.requested_by,
            action=self.audit_action,
            target=account.name,
            after={**facts(account), "invoice": invoice, "operation": op.id},
        )
        result = {
            "account_id": account.id,
            "name": account.name,
            "status": account.status,
            "login_url": done.login_url,
            "username": done.username,
            "period_end": account.period_end.isoformat(),
            "invoice": invoice,
            "portal_task": task.id if task else None,
            "portal_url": task.portal_url if task else None,
        }
        return result, password if self.shows_password else None

    @staticmethod
    def _portal_task(
        uow: SqlUnitOfWork, ports: AccountPorts, op: VendorOperation, account: Account
    ) -> tasks.TaskView:
        """What to type in the vendor's portal to create the account the desk recorded."""
        plan = dict(op.payload.get("plan") or {})
        values = {
            "client_name": account.client_name,
            "client_email": account.client_email,
            "notification_email": account.notification_email,
            "country": account.country,
            "language": account.language,
            "timezone": account.timezone,
            "product": account.product,
            "tier": account.tier or plan.get("level") or "",
            "contacts": account.contacts,
            "licenses": account.seats if account.tier == "licenses" else None,
            "frequency": account.frequency,
        }
        return tasks.open_task(
            uow,
            uow.session,
            ports.clock,
            agency_id=op.agency_id,
            account=account,
            account_name=account.name,
            action=Capability.PROVISION,
            values={k: v for k, v in values.items() if v not in (None, "")},
            provider=ports.provider_for(account.product),
            actor=op.requested_by,
        )

    def _adopt(self, provider: Provider, name: str) -> Provisioned | None:
        """The account an earlier attempt created before it crashed or timed out, if the vendor has it."""
        try:
            found = provider.find_account(name)
        except Unsupported:
            return None
        if found is None:
            return None
        host = f"{name}.{provider.domain}"
        return Provisioned(reference=found.reference, login_url=f"https://{host}", username="admin")

    def _new_password(self, provider: Provider, reference: str, password: str) -> str | None:
        try:
            provider.set_password(reference, password)
        except ProviderError:
            return None  # the creator is told to send a password reset instead
        return password

    def _request(
        self, session: Any, account: Account, op: VendorOperation, password: str
    ) -> ProvisionRequest:
        agency = session.get(Agency, account.agency_id)
        snapshot = session.get(Snapshot, account.snapshot_id) if account.snapshot_id else None
        profile = (
            session.get(BillingProfile, account.billing_profile_id) if account.billing_profile_id else None
        )
        vendor_snapshot = (snapshot.config or {}).get("vendor_snapshot_id") if snapshot else None
        return ProvisionRequest(
            name=account.name,
            client_name=account.client_name,
            notification_email=account.notification_email,
            country=account.country,
            region=account.region,
            language=account.language,
            timezone=account.timezone,
            plan=dict(op.payload.get("plan") or {}),
            password=password,
            custom_domain=account.custom_domain,
            branding=account.branding,
            snapshot=snapshot.config if snapshot else None,
            client_email=account.client_email,
            currency=agency.currency if agency else "",
            billing_interval=12 if account.frequency == "annual" else 1,
            billing_profile=profile.token if profile else None,
            vendor_snapshot_id=vendor_snapshot if isinstance(vendor_snapshot, int) else None,
        )

    @staticmethod
    def _invoice_number(session: Any, op: VendorOperation) -> str | None:
        invoice_id = op.payload.get("invoice_id")
        invoice = session.get(Invoice, invoice_id) if invoice_id else None
        return invoice.number if invoice else None

    def fail(
        self, uow: SqlUnitOfWork, ports: AccountPorts, op: VendorOperation, error: ProviderError
    ) -> None:
        session = uow.session
        voided = void_invoice(uow, ports, op)
        account = session.get(Account, op.account_id) if op.account_id else None
        if account is not None and account.status == CREATING:
            session.execute(
                update(VendorOperation)
                .where(VendorOperation.account_id == account.id)
                .values(account_id=None)
            )
            session.execute(update(Invoice).where(Invoice.account_id == account.id).values(account_id=None))
            session.delete(account)
            session.flush()
        audit.record(
            uow,
            ports.clock,
            agency_id=op.agency_id,
            actor=op.requested_by,
            action="account.add_failed",
            target=op.target,
            after={"reason": str(error)[:500], "invoice_voided": voided, "operation": op.id},
        )


def void_invoice(uow: SqlUnitOfWork, ports: AccountPorts, op: VendorOperation) -> str | None:
    """Void the operation's charge: card refunded once, prepaid credit given back; its number."""
    session = uow.session
    invoice_id = op.payload.get("invoice_id")
    invoice = session.get(Invoice, invoice_id) if invoice_id else None
    if invoice is None or invoice.status == "void":
        return None
    ledger.lock_agency(session, op.agency_id)
    if invoice.status == "paid" and invoice.card_charged > ZERO:
        result = ports.gateway.refund(
            invoice.gateway_ref or "", invoice.card_charged, f"void:{invoice.idempotency_key}"
        )
        if not result.ok:  # nothing is voided: the operation is tried again at the next sweep
            raise RuntimeError("the gateway did not refund the charge")
    drawn = session.scalars(
        select(LedgerEntry).where(LedgerEntry.invoice_id == invoice.id, LedgerEntry.amount < ZERO)
    ).all()
    now = ports.clock.now()
    for entry in drawn:
        ledger.append(
            session,
            agency_id=entry.agency_id,
            pool=entry.pool,  # type: ignore[arg-type]
            amount=-entry.amount,
            kind="refund",
            actor=op.requested_by,
            at=now,
            account_id=None,
            reason="void",
            idempotency_key=f"{entry.idempotency_key or entry.id}:void",
            invoice_id=invoice.id,
        )
    invoice.status = "void"
    invoice.failure = "voided: the vendor did not create the account"
    return invoice.number


class ProvisionSeats(ProvisionAccount):
    """A per-seat subscription (`domain.seats.subscribe`): the password is the vendor's requirement
    only; the agency administers it, so it is never shown."""

    audit_action = "seats.subscription_provisioned"
    shows_password = False


operations.HANDLERS[PROVISION] = ProvisionAccount()
operations.HANDLERS[PROVISION_SEATS] = ProvisionSeats()


def add_account_now(
    uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, cmd: AddAccount
) -> tuple[AddedAccount, operations.Outcome | None]:
    """Record the account, then run its vendor operation in this thread (demo data, scripts, tests).

    The result carries the one-time password when this call created the account; the outcome says
    what the vendor did (None when another runner holds the operation)."""
    added = add_account(uow, ports, actor, cmd)
    uow.rollback()  # ends the read transaction the result opened (SQLite: frees the write lock)
    if added.operation_id is None:
        return added, None
    outcome = operations.run(uow.session_factory, ports, added.operation_id)
    if outcome is None or outcome.state != "succeeded":
        return added, outcome
    r = outcome.result
    done = replace(
        added,
        status=str(r["status"]),
        login_url=str(r["login_url"]),
        username=str(r["username"]),
        password=outcome.secret,
    )
    return done, outcome
