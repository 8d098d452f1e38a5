"""Branding (SPEC §4): the agency's default, copied onto new accounts, a per-account override, and a
custom domain per account pointed by CNAME at the account's provider address."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain import audit
from domain.accounts import rules
from domain.accounts.common import AccountPorts, facts, via_vendor
from domain.accounts.queries import by_name
from domain.agency import Actor
from domain.errors import DomainError, InvalidInput, raise_all
from domain.i18n import N_
from domain.ports import Capability
from domain.roles import Permission
from domain.store.models import Account
from domain.store.uow import SqlUnitOfWork

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
KEYS = ("name", "logo_url", "colour", "support_email")


@dataclass(frozen=True)
class Branding:
    name: str | None = None
    logo_url: str | None = None
    colour: str | None = None
    support_email: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v}


def clean_branding(raw: Mapping[str, str | None]) -> Branding:
    """Each field optional; an empty result means no branding at all. Every bad field is reported
    at once (`Problems`), as the add-account modal does, not only the first."""
    problems: list[DomainError] = [
        InvalidInput(N_("Branding has {keys}, not {key}."), keys=", ".join(KEYS), key=key[:40])
        for key in raw
        if key not in KEYS
    ]
    name = (raw.get("name") or "").strip()[:80] or None
    logo = (raw.get("logo_url") or "").strip() or None
    if logo and not logo.startswith("https://"):
        problems.append(InvalidInput(N_("The logo must be an https:// address."), field="logo_url"))
    colour = (raw.get("colour") or "").strip() or None
    if colour and not COLOUR.match(colour):
        problems.append(InvalidInput(N_("Write the colour as #RRGGBB, like #1F6FEB."), field="colour"))
    support = raw.get("support_email")
    email = None
    if support and support.strip():
        try:
            email = rules.clean_email(support, field="support_email")
        except DomainError as error:
            problems.append(error)
    raise_all(problems)
    return Branding(name, logo, colour, email)


def cname_target(account: Account, provider_domain: str) -> str:
    return f"{account.name}.{provider_domain}"


def set_agency_default(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, branding: Branding) -> None:
    actor.require(Permission.MANAGE_AGENCY)
    agency = uow.agencies.get(actor.agency_id)
    before = dict(agency.branding or {})
    agency.branding = branding.as_json()
    audit.record(
        uow,
        ports.clock,
        agency_id=agency.id,
        actor=actor.user_id,
        action="agency.branding_changed",
        target=agency.name,
        before=before,
        after=agency.branding,
    )
    uow.commit()


def set_account_branding(
    uow: SqlUnitOfWork,
    ports: AccountPorts,
    actor: Actor,
    name: str,
    *,
    branding: Branding,
    custom_domain: str | None,
) -> Account:
    """Override (or, when empty, remove) the account's branding and set or clear its custom domain."""
    actor.require(Permission.MANAGE_ACCOUNTS)
    account = by_name(uow.session, actor.agency_id, name)
    domain = rules.clean_hostname(custom_domain) if custom_domain and custom_domain.strip() else None
    before = facts(account, ("branding", "custom_domain"))
    account.branding = branding.as_json() or None
    account.custom_domain = domain
    after = facts(account, ("branding", "custom_domain"))
    if before == after:
        return account
    sent = {"branding": account.branding, "custom_domain": domain}
    via_vendor(
        uow,
        ports,
        actor.user_id,
        account,
        Capability.BRANDING,
        values=sent,
        call=lambda provider, ref: provider.update(ref, sent),
    )
    audit.record(
        uow,
        ports.clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="account.branding_changed",
        target=account.name,
        before=before,
        after=after,
    )
    uow.commit()
    return account
