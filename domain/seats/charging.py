"""What the two seat services that charge share (`subscribe`, `topup`): the invoice lines of a
confirmed quote, and the stored result that answers the same request again (a double click or a
Slack retry) without a second charge."""

from __future__ import annotations

from typing import Any

from domain.billing.charges import InvoiceLine
from domain.clock import Clock
from domain.pricing import Quote
from domain.store.models import ProcessedRequest
from domain.store.uow import SqlUnitOfWork

_CHARGED_LINES = ("plan_value", "migration_discount", "reseller_discount")
_TAX_LINES = ("vat", "vat_reverse_charge", "no_vat")
"""Kept on the invoice too, as renewals keep them: an EU reverse-charge invoice names the VAT number."""


def invoice_lines(quote: Quote, today_only: bool = False) -> tuple[InvoiceLine, ...]:
    """The quote's lines as the invoice keeps them, so the invoice reads like what was confirmed."""
    kinds = (("today",) if today_only else _CHARGED_LINES) + _TAX_LINES
    return tuple(
        InvoiceLine(line.label, line.amount, dict(line.params))
        for line in quote.lines
        if line.kind in kinds and line.amount is not None
    )


def recall(uow: SqlUnitOfWork, agency_id: int, key: str) -> dict[str, Any] | None:
    """The stored result of a request already done: a double click or a Slack retry answers it."""
    row = uow.requests.get(agency_id, key)
    return dict(row.result) if row is not None else None


def remember(uow: SqlUnitOfWork, clock: Clock, agency_id: int, key: str, result: dict[str, Any]) -> None:
    uow.requests.add(ProcessedRequest(agency_id=agency_id, key=key, result=result, at=clock.now()))
