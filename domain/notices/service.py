"""Owners' notice settings: lead days, muted kinds, snoozed accounts. Each change is audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from domain import audit
from domain.agency import Actor
from domain.clock import Clock, today
from domain.errors import InvalidInput, NotFound
from domain.i18n import N_
from domain.notices import rules
from domain.roles import Permission
from domain.store.models import Account, Agency
from domain.store.uow import SqlUnitOfWork

MAX_SNOOZE_DAYS = 365


def _kind(text: str) -> str:
    kind = text.strip().lower().replace("-", "_")
    if kind not in rules.KINDS:
        raise InvalidInput(
            N_("Unknown notice kind {kind}. Use one of: {choices}."),
            kind=text,
            choices=", ".join(rules.KINDS),
        )
    return kind


def set_muted(uow: SqlUnitOfWork, clock: Clock, actor: Actor, kind_text: str, *, muted: bool) -> str:
    actor.require(Permission.MANAGE_AGENCY)
    kind = _kind(kind_text)
    agency: Agency = uow.agencies.get(actor.agency_id)
    before = sorted(agency.notice_mutes or [])
    after = sorted(set(before) | {kind}) if muted else [k for k in before if k != kind]
    agency.notice_mutes = after
    audit.record(
        uow,
        clock,
        agency_id=agency.id,
        actor=actor.user_id,
        action="notices.mute" if muted else "notices.unmute",
        target=kind,
        before={"mutes": before},
        after={"mutes": after},
    )
    uow.commit()
    return kind


def snooze(uow: SqlUnitOfWork, clock: Clock, actor: Actor, name: str, days: int) -> tuple[str, object]:
    """Drop the account's notices due within `days` days (0 lifts the snooze)."""
    actor.require(Permission.MANAGE_AGENCY)
    if not 0 <= days <= MAX_SNOOZE_DAYS:
        raise InvalidInput(N_("Snooze for 0 to 365 days, like `/agency notices snooze acme 14`."))
    account = uow.session.scalars(
        select(Account).where(Account.agency_id == actor.agency_id, Account.name == name.strip().lower())
    ).first()
    if account is None:
        raise NotFound(N_("No account named {name}. `/accounts` lists them."), name=name)
    agency: Agency = uow.agencies.get(actor.agency_id)
    before = dict(agency.notice_snoozes or {})
    after = {k: v for k, v in before.items() if k != str(account.id)}
    until = today(clock, agency.timezone) + timedelta(days=days)
    if days:
        after[str(account.id)] = until.isoformat()
    agency.notice_snoozes = after
    audit.record(
        uow,
        clock,
        agency_id=agency.id,
        actor=actor.user_id,
        action="notices.snooze",
        target=account.name,
        before={"until": before.get(str(account.id))},
        after={"until": after.get(str(account.id))},
    )
    uow.commit()
    return account.name, until if days else None


def set_lead_days(uow: SqlUnitOfWork, clock: Clock, actor: Actor, text: str) -> tuple[int, ...]:
    actor.require(Permission.MANAGE_AGENCY)
    leads = rules.parse_lead_days(text)
    agency: Agency = uow.agencies.get(actor.agency_id)
    before, after = agency.notice_lead_days, ",".join(str(d) for d in leads)
    agency.notice_lead_days = after
    audit.record(
        uow,
        clock,
        agency_id=agency.id,
        actor=actor.user_id,
        action="notices.lead_days",
        before={"lead_days": before},
        after={"lead_days": after},
    )
    uow.commit()
    return leads
