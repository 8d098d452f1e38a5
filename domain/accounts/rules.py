"""The pure rules of a resold account: statuses, renewal eligibility and field validation (SPEC §4).

Nothing here touches a database, so each rule is unit-tested on plain values and every service
applies the same rule the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

import pycountry
from email_validator import EmailNotValidError, validate_email
from slugify import slugify

from domain.errors import Conflict, InvalidInput
from domain.i18n import N_, Word

STATUSES = ("trial", "active", "disabled", "cancelled", "expired", "archived", "transferred")
ENDED = ("cancelled", "expired", "archived")
TRANSFERRED = "transferred"
"""A confirmed transfer-out: the account left the agency (no charges, notices, tier count or renewal)."""
RENEWAL_CUTOFF = date(2023, 1, 3)
"""Accounts purchased before this day follow the older, stricter renewal rule (SPEC §4)."""
NEVER_ENDS = date(9999, 12, 31)
"""A sandbox's period end: it is the agency's own test account and never expires."""

# Which status changes a person may ask for; the daily job and renewals make the others.
TRANSITIONS: dict[str, frozenset[str]] = {
    "trial": frozenset({"active", "expired"}),
    "active": frozenset({"disabled", "cancelled"}),
    "disabled": frozenset({"active", "cancelled"}),
    "cancelled": frozenset({"expired", "archived", "active"}),
    "expired": frozenset({"archived", "active"}),
    "archived": frozenset({"active"}),
}

NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

EU_REGION = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
        "IS",
        "LI",
        "NO",
        "CH",
        "GB",
    ]
)
US_REGION = frozenset({"US", "CA"})
AU_REGION = frozenset({"AU", "NZ"})


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def require_move(current: str, target: str) -> None:
    """Refuse a status change the status machine does not allow, naming both statuses."""
    if not can_move(current, target):
        raise Conflict(
            N_("A {current} account cannot become {target}."), field="status", current=current, target=target
        )


@dataclass(frozen=True)
class RenewalFacts:
    status: str
    version: str
    is_commission: bool
    purchased_on: date
    archived_on: date | None
    period_end: date


def renewal_refusal(facts: RenewalFacts, today: date) -> tuple[str, dict[str, Any]] | None:
    """Why an account cannot be renewed today (a message id and its params), or None if it can.

    SPEC §4: purchased before 2023-01-03, only cancelled-and-not-yet-ended or archived for less than
    a year; from 2023-01-03, cancelled, expired or archived for less than a year; archived for a year
    or more, never.
    """
    if facts.status == TRANSFERRED:
        return N_("This account was transferred out of the agency: it is never renewed or charged here."), {}
    if facts.is_commission:
        return N_("Commission accounts are billed by the provider to the client, never renewed here."), {}
    if facts.version != "V3":
        return N_("Free accounts (trials and sandboxes) are not renewed: convert a trial through Edit."), {}
    if facts.status in ("active", "disabled", "trial"):
        return (
            N_("This account is {status}: it renews by itself on {date}."),
            {"status": Word(facts.status), "date": facts.period_end},
        )
    if facts.status == "archived":
        archived = facts.archived_on or facts.period_end
        if _years_later(archived, 1) <= today:
            return (
                N_("Archived since {date}, a year or more ago: it can never be renewed or unarchived."),
                {"date": archived},
            )
        return None
    if facts.purchased_on < RENEWAL_CUTOFF and facts.status == "expired":
        return (
            N_(
                "Purchased on {date}, before 3 Jan 2023, and already expired: choose a plan again through Edit."
            ),
            {"date": facts.purchased_on},
        )
    if facts.status in ("cancelled", "expired"):
        return None
    return N_("A {status} account cannot be renewed."), {"status": Word(facts.status)}


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def slug_name(text: str, *, max_length: int = 50) -> str:
    """The account name a person would guess from a client's or company's name: transliterated to
    ASCII (`Müller GmbH` → `muller-gmbh`, `Łódź` → `lodz`), lowercase, words joined by hyphens;
    empty when nothing of it can be written in a sub-domain."""
    return str(slugify(text or "", max_length=max_length, word_boundary=True)).strip("-")


def clean_name(raw: str) -> str:
    """An account name is its sub-domain: lowercase letters, digits and inner hyphens, 1-63 long.

    A name typed with capitals, spaces or accents is refused (the sub-domain is never guessed
    silently), and the refusal says the name it would make, like `muller-gmbh` for `Müller GmbH`."""
    name = raw.strip()
    if not NAME.match(name):
        suggestion = slug_name(name, max_length=63)
        if suggestion and NAME.match(suggestion):
            raise InvalidInput(
                N_(
                    "{name} cannot be an account name: use lowercase letters, digits and hyphens "
                    "(not at the start or end), up to 63 characters, like {suggestion}."
                ),
                field="name",
                name=name,
                suggestion=suggestion,
            )
        raise InvalidInput(
            N_(
                "{name} cannot be an account name: use lowercase letters, digits and hyphens "
                "(not at the start or end), up to 63 characters, like acme-shop."
            ),
            field="name",
            name=name or "''",
        )
    return name


def clean_hostname(raw: str, *, field: str = "custom_domain") -> str:
    """A custom domain is a full hostname (at least two labels), pointed by CNAME at the account."""
    host = raw.strip().lower().rstrip(".")
    labels = host.split(".")
    if (
        len(host) > 253
        or len(labels) < 2
        or not all(LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise InvalidInput(
            N_("{host} is not a valid hostname. Write it like crm.client-site.com."), field=field, host=raw
        )
    return host


def clean_email(raw: str, *, field: str) -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidInput(
            N_("{email} is not a valid email address."), field=field, email=raw.strip() or "''"
        ) from None


def clean_country(raw: str) -> str:
    """An ISO 3166 alpha-2 code, from the code itself or the country's name."""
    text = raw.strip()
    found = None
    if len(text) == 2:
        found = pycountry.countries.get(alpha_2=text.upper())
    if found is None and len(text) == 3:
        found = pycountry.countries.get(alpha_3=text.upper())
    if found is None and text:
        try:
            found = pycountry.countries.lookup(text)
        except LookupError:
            found = None
    if found is None:
        raise InvalidInput(
            N_("{country} is not a country. Write its ISO code, like FR, US or IT."),
            field="country",
            country=text or "''",
        )
    return str(found.alpha_2)


def region_of(country: str) -> str:
    """The provider's data centre for a country: eu (EU/EEA, CH, GB), us (US, CA), au (AU, NZ), else global."""
    code = country.upper()
    if code in EU_REGION:
        return "eu"
    if code in US_REGION:
        return "us"
    if code in AU_REGION:
        return "au"
    return "global"


def clean_language(raw: str) -> str:
    """An ISO 639-1 language code (en, fr, it, es, de, …), from the code or the language's name."""
    text = raw.strip()
    found = pycountry.languages.get(alpha_2=text.lower()) if len(text) == 2 else None
    if found is None and text:
        try:
            found = pycountry.languages.lookup(text)
        except LookupError:
            found = None
    code = getattr(found, "alpha_2", None)
    if not code:
        raise InvalidInput(
            N_("{language} is not a language. Write its two-letter code, like en, fr or es."),
            field="language",
            language=text or "''",
        )
    return str(code)


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def clean_timezone(raw: str) -> str:
    tz = raw.strip()
    if tz not in _zones():
        raise InvalidInput(
            N_("{tz} is not a time zone. Write it like Europe/Paris or America/New_York."),
            field="timezone",
            tz=tz or "''",
        )
    return tz


def clean_reason(raw: str | None, *, field: str = "reason") -> str:
    reason = (raw or "").strip()
    if not reason:
        raise InvalidInput(N_("Give a reason: it is kept in the audit log."), field=field)
    return reason[:500]


TIER_RANK = {"starter": 1, "plus": 2, "professional": 3, "enterprise": 4}


def plan_size(tier: str | None, contacts: int | None, licenses: int | None) -> int:
    """One number to sort plans by: tier first, then contacts; per-seat by licenses; free plans 0."""
    if tier in TIER_RANK:
        return TIER_RANK[tier] * 10_000_000 + min(contacts or 0, 9_999_999)
    return licenses or 0
