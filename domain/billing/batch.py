"""One batch of the billing run: up to a few hundred due accounts renewed in one transaction.

Why a batch and not one transaction per account: at 1,000,000 accounts a day has ~20,000 renewals,
and the per-account path (a dozen round trips, a commit, a balance SUM per draw) cost ~10 ms each.
Here the agency is locked once, the balances, cards and already-written invoices are read once for
the batch, each charge is computed in memory with `charges.settle` (the same rules as
`charges.charge`), and invoices, ledger debits, audit rows and account updates go out in bulk when
the batch commits.

What keeps it correct:
- No overdraft: the agency lock is held for the whole batch, so the balances read at its start
  change only by this batch's own draws, which are subtracted as they are planned.
- Idempotency: every renewal keeps its key `renewal:{account}:{period_end}`. A batch that dies is
  rolled back whole; run again, it charges the same keys, and the gateway answers a known key with
  its first result, so no card is charged twice. An invoice already recorded for a key is reused.
- Anything that must name an invoice (audit, report line, charge-failed notice) waits until the
  invoices are inserted and numbered, then runs in the order the accounts were processed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import select

from domain import audit, ledger, outbox
from domain.billing.charges import ChargeRequest, draw_entries, settle
from domain.billing.renewal import NextCharge, apply_renewal, describe_plan, next_charge
from domain.billing.retry import first_failure
from domain.billing.run_state import Balances, RunState
from domain.errors import InvalidInput, NotFound, PaymentUnavailable
from domain.i18n import N_
from domain.jobs import JobReport
from domain.money import ZERO
from domain.portfolio import PAID_STATUSES
from domain.store.invoice_numbers import invoice_number, reserve
from domain.store.models import Account, BillingProfile, Invoice, LedgerEntry
from domain.store.uow import SqlUnitOfWork
from domain.vendor_billing import billing_vendor


def renewal_key(account: Account) -> str:
    return f"renewal:{account.id}:{account.period_end.isoformat()}"


def still_due(account: Account, day: date) -> bool:
    """The run's due filter, in memory: after a renewal, is another cycle already owed?"""
    return (
        account.period_end <= day
        and account.status in PAID_STATUSES
        and account.pricing_version == "V3"
        and not account.is_commission
        and not account.plan_to_confirm
    )


class Batch:
    def __init__(self, run: RunState, uow: SqlUnitOfWork, accounts: Sequence[Account]) -> None:
        self.run, self.uow, self.session = run, uow, uow.session
        agency_id = run.agency.id
        self.balances = Balances(uow, agency_id, [a.id for a in accounts])
        profile_ids = {a.billing_profile_id for a in accounts if a.billing_profile_id is not None}
        self.profiles = {
            p.id: p
            for p in self.session.scalars(select(BillingProfile).where(BillingProfile.id.in_(profile_ids)))
        }
        keys = [renewal_key(a) for a in accounts]
        self.looked_up = set(keys)
        self.invoices: dict[str, Invoice] = {
            i.idempotency_key: i
            for i in self.session.scalars(
                select(Invoice).where(Invoice.agency_id == agency_id, Invoice.idempotency_key.in_(keys))
            )
        }
        self.new: list[tuple[Invoice, ChargeRequest, ledger.Draw]] = []
        self.after: list[Callable[[], None]] = []

    def existing(self, key: str) -> Invoice | None:
        """The invoice already recorded for a key: preloaded for first cycles, queried for catch-ups."""
        if key in self.invoices or key in self.looked_up:
            return self.invoices.get(key)
        return self.session.scalars(
            select(Invoice).where(Invoice.agency_id == self.run.agency.id, Invoice.idempotency_key == key)
        ).first()

    def profile(self, profile_id: int | None) -> BillingProfile | None:
        """`charges.active_profile` over the batch's preloaded cards."""
        if profile_id is None:
            return None
        profile = self.profiles.get(profile_id)
        if profile is None or profile.agency_id != self.run.agency.id or profile.deleted_at is not None:
            raise NotFound(
                N_("That billing profile does not exist. `/billing profiles` lists them."), field="profile"
            )
        return profile

    def bill(self, accounts: Sequence[Account], report: JobReport, max_cycles: int) -> None:
        for account in accounts:
            for _ in range(max_cycles):
                if self.renew(account, report) != "charged" or not still_due(account, self.run.day):
                    break
        self.finish()

    def renew(self, account: Account, report: JobReport) -> str:
        """One account, one cycle; what needs the invoice number is queued for `finish`."""
        run = self.run
        vendor = billing_vendor(run.provider, account.product)
        nxt = next_charge(
            self.session,
            run.catalog,
            account,
            active_paid_count=run.count,
            # A vendor that bills the agency draws no credit of the desk (SPEC §9).
            balances=(ZERO, ZERO) if vendor is not None else self.balances.of(account.id),
        )
        request = ChargeRequest(
            agency_id=run.agency.id,
            kind="renewal",
            lines=nxt.lines,
            subtotal=nxt.per_cycle,
            tax=nxt.tax,
            idempotency_key=renewal_key(account),
            actor="system",
            currency=run.agency.currency,
            account_id=account.id,
            billing_profile_id=account.billing_profile_id,
            payment_method="transfer" if account.payment_method == "transfer" else "card",
            period_start=nxt.period_start,
            period_end=nxt.period_end,
            vendor=vendor,
        )
        invoice = self.existing(request.idempotency_key)
        if invoice is None:
            try:
                invoice = settle(
                    run.gateway, request, self.profile(account.billing_profile_id), nxt.draw, run.clock.now()
                )
            except PaymentUnavailable:
                return self.unavailable(account, nxt, report)
            except (InvalidInput, NotFound) as exc:
                self.expire(account, nxt, str(exc), None)
                self.later(report, "expired", f"{account.name}: {exc}; account expired")
                return "expired"
            invoice.number = f"pending-{uuid.uuid4().hex[:24]}"
            self.session.add(invoice)
            self.invoices[request.idempotency_key] = invoice
            self.new.append((invoice, request, nxt.draw))
            if invoice.status != "failed" and vendor is None:
                self.balances.spend(account.id, nxt.draw)
        if invoice.status == "failed":
            self.expire(account, nxt, invoice.failure or "declined", invoice)
            failed = invoice
            self.after.append(
                lambda: self.line(
                    report, "expired", f"{account.name}: declined ({failed.failure}), account expired"
                )
            )
            return "expired"
        before = apply_renewal(account, nxt)
        after = {
            "period_end": account.period_end.isoformat(),
            "price_per_cycle": str(account.price_per_cycle),
        }
        self.after.append(lambda: self.renewed(report, account, invoice, before, after))
        return "charged" if invoice.status != "awaiting_transfer" else "awaiting_transfer"

    def renewed(
        self,
        report: JobReport,
        account: Account,
        invoice: Invoice,
        before: dict[str, object],
        after: dict[str, str],
    ) -> None:
        audit.record(
            self.uow,
            self.run.clock,
            agency_id=self.run.agency.id,
            actor="system",
            action="account.renewed",
            target=account.name,
            before=before,
            after={**after, "invoice": invoice.number},
        )
        outcome = "awaiting_transfer" if invoice.status == "awaiting_transfer" else "charged"
        self.line(
            report,
            outcome,
            f"{account.name}: {invoice.number} {invoice.total} {invoice.currency} "
            f"(billed by {invoice.vendor_name or 'the vendor'})"
            if invoice.billed_by == "vendor"
            else f"(credit {invoice.credit_used}, card {invoice.card_charged}, {invoice.status})",
        )

    def unavailable(self, account: Account, nxt: NextCharge, report: JobReport) -> str:
        """The gateway could not be reached: retried on the next run, until `renewal_retry_days`."""
        run = self.run
        since = first_failure(self.session, account, run.day, run.clock.now())
        days = (run.day - since).days
        if days < run.catalog.renewal_retry_days:
            self.later(
                report, "retry", f"{account.name}: payment network unavailable, retried on the next run"
            )
            return "retry"
        unreachable = {"unavailable_since": since.isoformat(), "unavailable_days": days}
        self.expire(account, nxt, f"payment network unavailable since {since.isoformat()}", None, unreachable)
        self.later(
            report, "expired", f"{account.name}: payment network unavailable for {days} days, account expired"
        )
        return "expired"

    def expire(
        self,
        account: Account,
        nxt: NextCharge,
        reason: str,
        invoice: Invoice | None,
        extra: dict[str, object] | None = None,
    ) -> None:
        """The renewal failed: the account expires now; its notice and audit row follow the numbering."""
        run = self.run
        now = run.clock.now()
        before = {"status": account.status}
        account.status = "expired"
        account.status_changed_at = now
        account.status_reason = f"renewal charge failed: {reason}"
        run.count = max(0, run.count - 1)
        payload = {
            "account": account.name,
            "amount": str(nxt.total),
            "currency": run.agency.currency,
            "reason": reason,
            "invoice": None,
            "billing_profile_id": account.billing_profile_id,
            "period_start": nxt.period_start.isoformat(),
            "period_end": nxt.period_end.isoformat(),
            "plan": describe_plan(nxt.choice),
            **(extra or {}),
        }

        def record() -> None:
            payload["invoice"] = invoice.number if invoice is not None else None
            outbox.enqueue(
                self.session,
                agency_id=account.agency_id,
                kind="charge_failed",
                due_on=run.day,
                now=now,
                account_id=account.id,
                payload=payload,
            )
            audit.record(
                self.uow,
                run.clock,
                agency_id=account.agency_id,
                actor="system",
                action="account.expired",
                target=account.name,
                before=before,
                after={"status": "expired"},
                reason=account.status_reason,
            )

        self.after.append(record)

    def later(self, report: JobReport, outcome: str, text: str) -> None:
        self.after.append(lambda: self.line(report, outcome, text))

    def line(self, report: JobReport, outcome: str, text: str) -> None:
        report.count(outcome)
        self.run.line(report, text)

    def finish(self) -> None:
        """Insert the invoices (one multi-row INSERT), number them, then write what names them."""
        if self.new:
            self.session.flush()
            numbered: dict[tuple[int, int], list[Invoice]] = {}
            for invoice, _, _ in sorted(self.new, key=lambda item: item[0].id):
                numbered.setdefault((invoice.agency_id, invoice.created_at.year), []).append(invoice)
            for (agency_id, year), invoices in numbered.items():
                for invoice, n in zip(
                    invoices, reserve(self.session, agency_id, year, len(invoices)), strict=True
                ):
                    invoice.number = invoice_number(year, n)
            for invoice, request, draw in self.new:
                if invoice.status == "failed":
                    continue
                for entry in draw_entries(request, draw, invoice.id, invoice.created_at):
                    at = entry.pop("at")
                    self.session.add(LedgerEntry(**entry, unit=ledger.UNITS["prepaid"], created_at=at))
        for step in self.after:
            step()
        self.session.flush()
