"""Pending confirmations (SPEC §10): the server holds what a confirm button or step will do.

A confirm card or a confirm modal stores its parsed request here (`create`) and carries only the
row's id: 192 random bits (`secrets.token_hex`, 48 hex digits), so an id cannot be guessed or made up. A click
`claim`s it: the id must exist, be of the expected kind, belong to the clicker's agency and to the
member who was shown the card, be unexpired (`TTL`, from the injected clock) and unused. Claiming
marks it used with one conditional UPDATE, so of two clicks (a double click, Slack's retry, two
instances) exactly one proceeds; the other gets the stored result ("already done") or, while the
first is still running, "already being done". The action then re-checks every rule server-side
through its own domain service, with a charge key derived from the id, and `finish` stores what was
done. A refusal after the claim (`release`) leaves the confirmation usable again: nothing was done.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from domain.agency import Actor
from domain.clock import Clock
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.i18n import N_
from domain.store.models import PendingConfirmation
from domain.store.uow import SqlUnitOfWork

TTL = timedelta(minutes=30)
"""How long a confirm card or confirm step stays valid: long enough to read a quote, short enough
that a forgotten card does not charge yesterday's decision."""
FORM_TTL = timedelta(hours=2)
"""A form's id (the Add account modal): it only names the submission, whose fields are all checked
again, so it may stay open while the person fills it in."""
ID_BYTES = 24
"""192 bits of randomness: 48 hex digits, a valid charge-key nonce everywhere."""

_STALE = N_("This confirmation is not valid any more: nothing was done. Start again.")


@dataclass(frozen=True)
class Claimed:
    """A confirmation this member may act on now (`done` is None), or one already used (`done`)."""

    id: str
    kind: str
    payload: dict[str, Any]
    amount: Decimal | None
    account_id: int | None
    done: dict[str, Any] | None = None
    busy: bool = False


def create(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Actor,
    kind: str,
    payload: dict[str, Any],
    *,
    amount: Decimal | None = None,
    account_id: int | None = None,
    ttl: timedelta = TTL,
) -> str:
    """Hold what the card shows; the returned id is all the button or the modal carries."""
    now = clock.now()
    pending_id = secrets.token_hex(ID_BYTES)
    uow.session.add(
        PendingConfirmation(
            id=pending_id,
            agency_id=actor.agency_id,
            kind=kind,
            account_id=account_id,
            amount=amount,
            payload=payload,
            created_by=actor.user_id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    uow.commit()
    return pending_id


def _aware(moment: datetime, like: datetime) -> datetime:
    """SQLite returns naive datetimes; they are stored in UTC."""
    return moment.replace(tzinfo=like.tzinfo) if moment.tzinfo is None else moment


def check(uow: SqlUnitOfWork, clock: Clock, actor: Actor, kind: str, raw: Any) -> str:
    """A form's id is this member's, of this kind and unexpired (it is not used up: the domain's own
    key, built from it, makes a resubmission answer the first result)."""
    pending_id = raw if isinstance(raw, str) else ""
    row = uow.session.get(PendingConfirmation, pending_id) if 16 <= len(pending_id) <= 64 else None
    if row is None or row.agency_id != actor.agency_id or row.kind != kind or row.created_by != actor.user_id:
        raise InvalidInput(N_("This form is not valid any more: nothing was done. Open it again."))
    now = clock.now()
    if now >= _aware(row.expires_at, now):
        raise Conflict(
            N_("This form expired at {when}: nothing was done. Open it again."),
            when=_aware(row.expires_at, now),
        )
    return row.id


def claim(uow: SqlUnitOfWork, clock: Clock, actor: Actor, kind: str | tuple[str, ...], raw: Any) -> Claimed:
    """Mark the confirmation used for this member, once; refuse anything else (nothing is written)."""
    kinds = (kind,) if isinstance(kind, str) else kind
    pending_id = raw if isinstance(raw, str) else ""
    if not 16 <= len(pending_id) <= 64:
        raise InvalidInput(_STALE)
    row = uow.session.get(PendingConfirmation, pending_id)
    # Another agency's id answers exactly like an unknown one: nothing about it is revealed.
    if row is None or row.agency_id != actor.agency_id or row.kind not in kinds:
        raise InvalidInput(_STALE)
    if row.created_by != actor.user_id:
        raise Forbidden(
            N_("This confirmation was shown to <@{user}>: only they can confirm it."), user=row.created_by
        )
    now = clock.now()
    if row.used_at is not None:
        return _used(row)
    if now >= _aware(row.expires_at, now):
        raise Conflict(
            N_("This confirmation expired at {when}: nothing was done. Start again to see today's price."),
            when=_aware(row.expires_at, now),
        )
    marked = uow.session.execute(
        update(PendingConfirmation)
        .where(PendingConfirmation.id == pending_id, PendingConfirmation.used_at.is_(None))
        .values(used_at=now, used_by=actor.user_id)
    )
    uow.commit()
    if getattr(marked, "rowcount", 0) != 1:  # another click claimed it between the read and the write
        uow.session.expire_all()
        row = uow.session.get(PendingConfirmation, pending_id)
        assert row is not None
        return _used(row)
    return Claimed(
        row.id,
        row.kind,
        dict(row.payload),
        None if row.amount is None else Decimal(row.amount),
        row.account_id,
    )


def _used(row: PendingConfirmation) -> Claimed:
    amount = None if row.amount is None else Decimal(row.amount)
    if row.result is None:
        return Claimed(row.id, row.kind, dict(row.payload), amount, row.account_id, busy=True)
    return Claimed(row.id, row.kind, dict(row.payload), amount, row.account_id, done=dict(row.result))


def finish(uow: SqlUnitOfWork, pending_id: str, result: dict[str, Any]) -> None:
    """Store what was done, so a later click answers it instead of acting again."""
    uow.session.execute(
        update(PendingConfirmation).where(PendingConfirmation.id == pending_id).values(result=result)
    )
    uow.commit()


def release(uow: SqlUnitOfWork, pending_id: str) -> None:
    """The action was refused after the claim (nothing was done): the confirmation is usable again."""
    uow.session.execute(
        update(PendingConfirmation)
        .where(PendingConfirmation.id == pending_id, PendingConfirmation.result.is_(None))
        .values(used_at=None, used_by=None)
    )
    uow.commit()


def cancel(uow: SqlUnitOfWork, clock: Clock, actor: Actor, raw: Any, result: dict[str, Any]) -> None:
    """Cancel pressed by the member who was shown the card: it can no longer be confirmed. Anything
    else (an unknown, foreign, used id) is left as it is."""
    if not isinstance(raw, str) or not 16 <= len(raw) <= 64:
        return
    uow.session.execute(
        update(PendingConfirmation)
        .where(
            PendingConfirmation.id == raw,
            PendingConfirmation.agency_id == actor.agency_id,
            PendingConfirmation.created_by == actor.user_id,
            PendingConfirmation.used_at.is_(None),
        )
        .values(used_at=clock.now(), used_by=actor.user_id, result=result)
    )
    uow.commit()


def same_amount(shown: Decimal | None, now: Decimal) -> None:
    """The price is computed again at the click; if it moved since the card was shown, say so."""
    if shown is not None and shown != now:
        raise Conflict(
            N_(
                "The price changed since this confirmation was shown: {now} now, not {shown}. Nothing was "
                "charged; start again to confirm the new price."
            ),
            now=now,
            shown=shown,
        )
