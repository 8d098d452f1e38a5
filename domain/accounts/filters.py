"""The overview's filters, sort and page, parsed from text such as `status:expired plan:plus sort:expiry`.

The same `Filters` value is written back as text (`as_text`), so buttons, menus and saved views carry
one short string and the overview reads it with the same parser people type into.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from domain.accounts.rules import clean_country
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.numbers import whole_number

STATUS_FILTERS = (
    *("all", "active", "trial", "disabled", "cancelled", "expired", "archived", "transferred", "creating"),
)
PLAN_FILTERS = ("trial", "sandbox", "starter", "plus", "professional", "enterprise", "licenses", "to-confirm")
"""`to-confirm`: accounts imported with a plan the desk could not read (`domain.portfolio_import`)."""
SORTS = ("name", "size", "created", "expiry", "margin")
FREQUENCY_FILTERS = ("monthly", "annual")
VALUE_SYNONYMS: dict[str, dict[str, str]] = {
    "status": {"any": "all", "enabled": "active", "canceled": "cancelled", "ended": "expired"},
    "plan": {"per-seat": "licenses", "seats": "licenses", "license": "licenses", "licences": "licenses"},
    "freq": {
        "month": "monthly",
        "monthly": "monthly",
        "1": "monthly",
        "annual": "annual",
        "annually": "annual",
        "yearly": "annual",
        "year": "annual",
        "12": "annual",
    },
    "sort": {
        "plan": "size",
        "plan-size": "size",
        "plansize": "size",
        "expires": "expiry",
        "expiration": "expiry",
        "renewal": "expiry",
        "renews": "expiry",
        "creation": "created",
        "client": "name",
    },
}
"""Values people write for a filter, read as the one the overview knows (`freq:yearly` is annual)."""


@dataclass(frozen=True)
class FilterKey:
    """One filter of the overview: its key, the other keys people write for it, an example, and
    what it takes (a message id; `{choices}` is filled with `choices`)."""

    key: str
    synonyms: tuple[str, ...]
    example: str
    help: str
    choices: tuple[str, ...] = ()


FILTERS: tuple[FilterKey, ...] = (
    FilterKey("status", ("state",), "status:expired", N_("the status: {choices}"), STATUS_FILTERS),
    FilterKey("plan", ("tier", "product"), "plan:plus", N_("the plan: {choices}"), PLAN_FILTERS),
    FilterKey(
        "freq",
        ("frequency", "billing", "cycle"),
        "freq:annual",
        N_("the billing frequency: {choices} (yearly and month work too)"),
        FREQUENCY_FILTERS,
    ),
    FilterKey("country", (), "country:FR", N_("the client's country, by ISO code or name")),
    FilterKey(
        "profile", ("billing-profile", "card"), "profile:2", N_("the billing profile that pays, by number")
    ),
    FilterKey(
        "created",
        ("added",),
        "created:2026-01-01..2026-03-31",
        N_("created on a day or between two days (leave either end out)"),
    ),
    FilterKey(
        "expires",
        ("expiry", "renews", "ends"),
        "expires:..2026-12-31",
        N_("the period ends on a day or between two days (leave either end out)"),
    ),
    FilterKey(
        "sort", ("order",), "sort:-expiry", N_("sort by {choices}; a leading - sorts descending"), SORTS
    ),
    FilterKey(
        "search",
        ("q", "find"),
        "search:acme",
        N_("words looked for in names, clients and emails (words without a filter are searched too)"),
    ),
    FilterKey("page", (), "page:2", N_("the page, from 1")),
)
"""Every filter `/accounts` reads: the parser and `/accounts help` both come from this table."""
KEYS = tuple(f.key for f in FILTERS)
ALIASES = {name: f.key for f in FILTERS for name in (f.key, *f.synonyms)}
PAGE_SIZE = 10
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Filters:
    status: str = "active"
    plan: str | None = None
    sort: str = "name"
    descending: bool = False
    search: str | None = None
    frequency: str | None = None
    country: str | None = None
    profile: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    expires_from: date | None = None
    expires_to: date | None = None
    page: int = 1

    def with_page(self, page: int) -> Filters:
        return replace(self, page=max(1, min(page, MAX_PAGE)))

    def as_text(self, *, page: bool = True) -> str:
        parts = [f"status:{self.status}"]
        if self.plan:
            parts.append(f"plan:{self.plan}")
        if self.frequency:
            parts.append(f"freq:{self.frequency}")
        if self.country:
            parts.append(f"country:{self.country}")
        if self.profile is not None:
            parts.append(f"profile:{self.profile}")
        if self.created_from or self.created_to:
            parts.append(f"created:{_iso(self.created_from)}..{_iso(self.created_to)}")
        if self.expires_from or self.expires_to:
            parts.append(f"expires:{_iso(self.expires_from)}..{_iso(self.expires_to)}")
        parts.append(f"sort:{'-' if self.descending else ''}{self.sort}")
        if self.search:
            parts.append(f'search:"{self.search}"' if " " in self.search else f"search:{self.search}")
        if page and self.page > 1:
            parts.append(f"page:{self.page}")
        return " ".join(parts)


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _choice(value: str, choices: tuple[str, ...], key: str) -> str:
    lowered = value.lower()
    lowered = VALUE_SYNONYMS.get(key, {}).get(lowered, lowered)
    if lowered not in choices:
        raise InvalidInput(
            N_("{value} is not a {key} filter. Use one of: {choices}."),
            value=value,
            key=key,
            choices=", ".join(choices),
        )
    return lowered


def _day(text: str, key: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            N_("{value} is not a date for {key}: write it as 2026-12-31."), value=text, key=key
        ) from None


def _range(value: str, key: str) -> tuple[date | None, date | None]:
    """`2026-01-01..2026-02-01`, `..2026-02-01` or `2026-01-01..`; a single day means that day only."""
    if ".." not in value:
        day = _day(value, key)
        return day, day
    start, _, end = value.partition("..")
    return _day(start, key), _day(end, key)


def parse_filters(words: list[str]) -> Filters:
    """Read `key:value` words; words without a key are searched for in names, clients and emails."""
    filters = Filters()
    loose: list[str] = []
    for word in words:
        typed, sep, value = word.partition(":")
        key = ALIASES.get(typed.lower(), "")
        if not sep or not key:
            if sep and typed.replace("-", "").isalpha() and len(typed) <= 16:
                raise InvalidInput(
                    N_("I don't know the filter {key}. Use: {choices}."),
                    key=typed.lower(),
                    choices=", ".join(KEYS),
                )
            loose.append(word)
            continue
        filters = _apply(filters, key, value.strip())
    if loose:
        joined = " ".join(([filters.search] if filters.search else []) + loose)
        filters = replace(filters, search=joined[:80])
    return filters


def _apply(filters: Filters, key: str, value: str) -> Filters:
    if key == "status":
        return replace(filters, status=_choice(value, STATUS_FILTERS, key))
    if key == "plan":
        return replace(filters, plan=None if value.lower() == "all" else _choice(value, PLAN_FILTERS, key))
    if key == "sort":
        descending = value.startswith("-") or value.lower().endswith((":desc", "-desc"))
        name = value.lstrip("-+").lower().removesuffix(":desc").removesuffix("-desc").removesuffix("-asc")
        return replace(filters, sort=_choice(name, SORTS, key), descending=descending)
    if key == "search":
        return replace(filters, search=value[:80] or None)
    if key == "freq":
        return replace(filters, frequency=_choice(value, FREQUENCY_FILTERS, key))
    if key == "country":
        if not value:
            raise InvalidInput(N_("Filter countries by ISO code, like country:FR."), key=key)
        return replace(filters, country=clean_country(value))
    if key == "profile":
        profile = whole_number(value)
        if profile is None:
            raise InvalidInput(N_("Filter billing profiles by number, like profile:2."), key=key)
        return replace(filters, profile=profile)
    if key in ("created", "expires"):
        start, end = _range(value, key)
        if key == "created":
            return replace(filters, created_from=start, created_to=end)
        return replace(filters, expires_from=start, expires_to=end)
    page = whole_number(value, maximum=MAX_PAGE)
    if page is None or page < 1:
        raise InvalidInput(N_("A page is a number from 1, like page:2."), key=key)
    return replace(filters, page=page)
