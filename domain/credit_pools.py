"""Moving credits the agency already owns (SPEC §5): SMS allocations, inbox-preview applications,
and reading balances and history.

A move is two ledger entries (out of the pool, into the account) written under the agency lock, so the
pool never goes below zero even when two members allocate at once. Its key is what is done (pool,
units, account, member) together with the Slack interaction (the trigger id): a redelivered command
moves the credits once and is answered "already done", while a different move is never mistaken for
a duplicate, whatever the request identity (`move_key`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from domain import audit, ledger
from domain.accounts.rules import TRANSFERRED
from domain.agency import Actor
from domain.clock import Clock
from domain.credits import find_account
from domain.errors import Conflict, InvalidInput
from domain.i18n import N_, Word
from domain.roles import Permission
from domain.store.models import Account, LedgerEntry
from domain.store.uow import SqlUnitOfWork

SMS_PLANS = ("trial", "plus", "professional", "enterprise")
SMS_STATUSES = ("active", "trial")
HISTORY_LIMIT = 25


@dataclass(frozen=True)
class Moved:
    pool: str
    units: int
    account_name: str
    pool_left: Decimal
    account_total: Decimal
    repeated: bool
    """True when this answers a redelivery: nothing moved this time."""


@dataclass(frozen=True)
class Balances:
    prepaid: Decimal
    earmarks: tuple[tuple[str, Decimal], ...]
    sms_pool: Decimal
    sms_allocated: tuple[tuple[str, Decimal], ...]
    preview_pool: Decimal
    preview_applied: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    pool: str
    amount: Decimal
    kind: str
    account_name: str | None
    actor: str
    reason: str | None


def move_key(
    verb: str, request: str, actor: Actor, *, pool: ledger.Pool, units: int, account: Account
) -> str:
    """The idempotency key of a move: the request identity and everything the move does, hashed."""
    what = [request, actor.agency_id, actor.user_id, pool, units, account.id]
    digest = hashlib.sha256(json.dumps(what, separators=(",", ":")).encode()).hexdigest()[:40]
    return f"{verb}:{digest}"


def sms_refusal(account: Account) -> str | None:
    """Why SMS credits cannot go to this account, or None when they can (the French seed's rule)."""
    if account.status not in SMS_STATUSES:
        return N_("{account} is {status}: SMS credits go only to active or trial accounts.")
    if account.tier not in SMS_PLANS:
        return N_(
            "{account} is on the {plan} plan: SMS credits go only to trial, plus, professional or "
            "enterprise accounts."
        )
    return None


def _positive(units: int) -> None:
    if units <= 0:
        raise InvalidInput(N_("Give a number of credits above zero."), field="units")


def allocate_sms(
    uow: SqlUnitOfWork, clock: Clock, actor: Actor, *, units: int, account_name: str, key: str
) -> Moved:
    actor.require(Permission.ALLOCATE_CREDITS)
    _positive(units)
    account = find_account(uow.session, actor.agency_id, account_name)
    reason = sms_refusal(account)
    if reason is not None:
        raise Conflict(reason, account=account.name, status=Word(account.status), plan=Word(account.tier))
    return _move(
        uow,
        clock,
        actor,
        pool="sms",
        units=units,
        account=account,
        key=move_key("sms-allocate", key, actor, pool="sms", units=units, account=account),
        action="credits.sms_allocated",
    )


def apply_preview(
    uow: SqlUnitOfWork, clock: Clock, actor: Actor, *, units: int, account_name: str, key: str
) -> Moved:
    actor.require(Permission.ALLOCATE_CREDITS)
    _positive(units)
    account = find_account(uow.session, actor.agency_id, account_name)
    if account.status == TRANSFERRED:
        raise Conflict(
            N_("{account} was transferred out of the agency: credits no longer go to it."),
            account=account.name,
        )
    return _move(
        uow,
        clock,
        actor,
        pool="preview",
        units=units,
        account=account,
        key=move_key("preview-apply", key, actor, pool="preview", units=units, account=account),
        action="credits.preview_applied",
    )


def _move(
    uow: SqlUnitOfWork,
    clock: Clock,
    actor: Actor,
    *,
    pool: ledger.Pool,
    units: int,
    account: Account,
    key: str,
    action: str,
) -> Moved:
    session = uow.session
    ledger.lock_agency(session, actor.agency_id)
    repeated = ledger.already_recorded(session, actor.agency_id, f"{key}:in")
    if not repeated:
        now = clock.now()
        left = ledger.balance(session, actor.agency_id, pool)
        if left < units:
            raise Conflict(
                N_(
                    "The {name} pool has {left} credits; {units} asked. Buy a pack with `/credits buy {pool} <pack>`."
                ),
                name=ledger.pool_name(pool),
                pool=pool,
                left=int(left),
                units=units,
            )
        for amount, kind, account_id, part in (
            (Decimal(-units), "allocate_out", None, "out"),
            (Decimal(units), "allocate_in", account.id, "in"),
        ):
            ledger.append(
                session,
                agency_id=actor.agency_id,
                pool=pool,
                amount=amount,
                kind=kind,
                actor=actor.user_id,
                at=now,
                account_id=account_id,
                reason=account.name,
                idempotency_key=f"{key}:{part}",
            )
        audit.record(
            uow,
            clock,
            agency_id=actor.agency_id,
            actor=actor.user_id,
            action=action,
            target=account.name,
            after={"units": units},
        )
    pool_left = ledger.balance(session, actor.agency_id, pool)
    account_total = ledger.balance(session, actor.agency_id, pool, account.id)
    uow.commit()
    return Moved(pool, units, account.name, pool_left, account_total, repeated)


def balances(uow: SqlUnitOfWork, actor: Actor) -> Balances:
    actor.require(Permission.READ)
    session, agency = uow.session, actor.agency_id
    per_account = {
        pool: ledger.balances_by_account(session, agency, pool) for pool in ("prepaid", "sms", "preview")
    }
    ids = {account for rows in per_account.values() for account in rows}
    names = (
        {
            row.id: row.name
            for row in session.execute(select(Account.id, Account.name).where(Account.id.in_(ids)))
        }
        if ids
        else {}
    )

    def named(pool: ledger.Pool) -> tuple[tuple[str, Decimal], ...]:
        rows = [
            (names.get(account, str(account)), total) for account, total in per_account[pool].items() if total
        ]
        return tuple(sorted(rows))

    return Balances(
        prepaid=ledger.balance(session, agency, "prepaid"),
        earmarks=named("prepaid"),
        sms_pool=ledger.balance(session, agency, "sms"),
        sms_allocated=named("sms"),
        preview_pool=ledger.balance(session, agency, "preview"),
        preview_applied=named("preview"),
    )


def history(uow: SqlUnitOfWork, actor: Actor, account_name: str | None = None) -> list[HistoryLine]:
    """The latest ledger entries, all pools, the agency's or one account's."""
    actor.require(Permission.READ)
    session = uow.session
    query = (
        select(LedgerEntry, Account.name)
        .outerjoin(Account, Account.id == LedgerEntry.account_id)
        .where(LedgerEntry.agency_id == actor.agency_id)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        .limit(HISTORY_LIMIT)
    )
    if account_name:
        account = find_account(session, actor.agency_id, account_name)
        query = query.where(LedgerEntry.account_id == account.id)
    return [
        HistoryLine(e.created_at, e.pool, e.amount, e.kind, name, e.actor, e.reason)
        for e, name in session.execute(query)
    ]
