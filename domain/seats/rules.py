"""Pure rules of license seats (SPEC §6), over plain data so they are tested without a database.

How monthly billing relates to the one-year term: a per-seat subscription always runs for a term of
one year from its creation (or renewal) day, as the AxCrypt seed says; billing every 1 or 12 months
only decides how often that year is paid. The account's `period_start`/`period_end` are the *billing*
period, which the billing run advances by the account's cycle (a month or a year), and the term end
is derived from the anchor day, so no second date has to be kept in step with the billing run. A
top-up pays the whole months left of the billing period being paid: for an annual subscription that
is the rest of the year (50 days left = 2 months); for a monthly one it is the current month, after
which every monthly renewal charges all licenses. Charging monthly subscribers up to the term end
would make them pay twice for the same months.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email

from domain.accounts.rules import slug_name
from domain.errors import Conflict, InvalidInput
from domain.i18n import N_, Count
from domain.periods import Frequency, current_period

MEMBER_STATUSES = ("invited", "active")
EDITABLE_STATUSES = ("active", "disabled", "cancelled")
"""Account statuses whose members can change: a cancelled subscription is usable until its end."""
BUYABLE_STATUSES = ("active", "disabled")
MAX_EMAILS_AT_ONCE = 100
ADMIN_WARNING = N_(
    "Making {email} an administrator lets them buy licenses and manage the subscription, and the "
    "subscription loses the reseller discount from its next renewal on {date}. Do it only if it is "
    "really needed."
)
_SEPARATORS = re.compile(r"[\s,;]+")


class LicensesExhausted(Conflict):
    """More members than free licenses: nothing was added; the reply offers to buy licenses."""

    def __init__(self, *, account: str, free: int, asked: int) -> None:
        super().__init__(
            N_(
                "{account} has {free} and you asked for {asked}, so none were added. Buy licenses first, "
                "or add fewer members."
            ),
            field="emails",
            account=account,
            free=Count(free, N_("{n} free license"), N_("{n} free licenses")),
            asked=Count(asked, N_("{n} new member"), N_("{n} new members")),
        )
        self.account = account
        self.free = free
        self.asked = asked

    @property
    def shortfall(self) -> int:
        return max(1, self.asked - self.free)


@dataclass(frozen=True)
class Capacity:
    licenses: int
    used: int

    @property
    def free(self) -> int:
        return max(0, self.licenses - self.used)


def split_emails(text: str | Iterable[str]) -> list[str]:
    """Emails as typed in a command or a text area: separated by spaces, commas, semicolons, lines."""
    raw = text if isinstance(text, str) else " ".join(text)
    return [part.strip("<>") for part in _SEPARATORS.split(raw) if part.strip("<>")]


def normalise_email(typed: str) -> str:
    """Valid syntax (no DNS lookup: it must work offline), lower-cased so duplicates are found."""
    address = typed.removeprefix("mailto:")
    if "|" in address:  # Slack sends typed addresses as <mailto:a@b.c|a@b.c>
        address = address.split("|", 1)[1]
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        raise InvalidInput(
            N_("{email} is not a valid email address. Write it like ana@example.com."),
            field="emails",
            email=typed,
        ) from None
    return checked.normalized.lower()


def parse_emails(text: str | Iterable[str]) -> list[str]:
    """Every address valid, each once (case-insensitive), in the order typed; at least one."""
    seen: dict[str, None] = {}
    for typed in split_emails(text):
        seen.setdefault(normalise_email(typed), None)
    if not seen:
        raise InvalidInput(
            N_("Give at least one email address, like ana@example.com."),
            field="emails",
        )
    if len(seen) > MAX_EMAILS_AT_ONCE:
        raise InvalidInput(
            N_("Add at most {limit} members at once."), field="emails", limit=MAX_EMAILS_AT_ONCE
        )
    return list(seen)


def new_emails(requested: Sequence[str], existing: Iterable[str]) -> list[str]:
    """The requested addresses that are not members yet: adding someone twice is not an error."""
    known = {email.lower() for email in existing}
    return [email for email in requested if email.lower() not in known]


def check_room(account: str, capacity: Capacity, wanted: int) -> None:
    """All or nothing: a partial add would leave the agency guessing who got a license."""
    if wanted > capacity.free:
        raise LicensesExhausted(account=account, free=capacity.free, asked=wanted)


def frequency_from_months(text: str) -> Frequency:
    cleaned = text.strip().lower()
    if cleaned in ("1", "monthly", "month"):
        return "monthly"
    if cleaned in ("12", "annual", "yearly", "year"):
        return "annual"
    raise InvalidInput(N_("Bill every 1 or 12 months."), field="months")


def term_end(anchor: date, period_start: date) -> date:
    """The end of the one-year term that contains the billing period starting on `period_start`."""
    return current_period(anchor, period_start, 12).end


def account_name_for(company: str, customer: str) -> str:
    """A resold account name (lowercase letters, digits, hyphens) from the company, or the customer."""
    return slug_name(company) or slug_name(customer) or "seats"


def candidate_names(base: str) -> Iterable[str]:
    yield base
    for n in range(2, 1000):
        yield f"{base}-{n}"
