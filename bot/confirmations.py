"""Confirm buttons and confirm steps carry only a pending confirmation's id (`domain.pending`).

`hold` stores what the card shows and returns the id for the button value or the modal metadata;
`confirmed` claims it for the clicker and runs the action once: a second click gets the first answer
("already done"), never a second charge. A refusal raised by the action (a rule re-checked, a price
that moved) leaves the confirmation unused and reaches the person as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import Block

from bot import ui
from bot.context import Req
from bot.i18n import Mrkdwn
from domain import pending
from domain.agency import is_large_charge
from domain.errors import DomainError
from domain.i18n import N_


def hold(
    req: Req,
    kind: str,
    payload: dict[str, Any],
    *,
    amount: Decimal | None = None,
    account_id: int | None = None,
    ttl: timedelta = pending.TTL,
) -> str:
    with req.deps.uow() as uow:
        return pending.create(
            uow, req.deps.clock, req.actor, kind, payload, amount=amount, account_id=account_id, ttl=ttl
        )


def large_charge(req: Req, amount: Decimal | None) -> list[Block]:
    """The extra warning line of a confirm step whose charge is above the agency's large-charge
    amount (issue 14 §2), shown whether four-eyes approval is on or not; none below it."""
    with req.deps.uow() as uow:
        limit = Decimal(uow.agencies.get(req.actor.agency_id).large_charge)
    if not is_large_charge(limit, amount):
        return []
    return [ui.section(large_charge_text(req, amount or Decimal(0), limit))]


def large_charge_text(req: Req, amount: Decimal, limit: Decimal) -> str:
    return req.t(
        N_(
            ":warning: Large charge: {amount} is above your large-charge amount ({limit}). Check it before confirming."
        ),
        amount=amount,
        limit=limit,
    )


def form_id(req: Req, kind: str, raw: Any) -> str:
    """The id a form was opened with, checked: this member's, this agency's, unexpired."""
    with req.deps.uow() as uow:
        return pending.check(uow, req.deps.clock, req.actor, kind, raw)


def confirmed(req: Req, kind: str | tuple[str, ...], raw: Any, run: Callable[[pending.Claimed], str]) -> str:
    """The text to show: the action's own answer, or what the first click did."""
    with req.deps.uow() as uow:
        claimed = pending.claim(uow, req.deps.clock, req.actor, kind, raw)
    if claimed.done is not None:
        return req.t(
            N_(":information_source: Already done with this confirmation, nothing was done again: {done}"),
            # The first click's answer is the app's own text, escaped when it was made.
            done=Mrkdwn(str(claimed.done.get("text") or "")),
        )
    if claimed.busy:
        return req.t(N_(":hourglass: This confirmation is already being carried out: its answer follows."))
    try:
        text = run(claimed)
    except DomainError:
        with req.deps.uow() as uow:
            pending.release(uow, claimed.id)
        raise
    with req.deps.uow() as uow:
        pending.finish(uow, claimed.id, {"text": text})
    return text


def cancelled(req: Req, raw: Any, text: str) -> str:
    """Cancel: the confirmation is used up (a later click on its Confirm answers this text)."""
    with req.deps.uow() as uow:
        pending.cancel(uow, req.deps.clock, req.actor, raw, {"text": text})
    return text
