"""Which notices are due, and how one run's notices are grouped into messages. Pure: plain data in,
plain data out, so every rule is tested without a database or Slack.

Due dates are what make a notice unique (the outbox key is kind, account, due date), so they are
chosen to be stable across runs: a renewal notice is due `lead` days before the renewal whatever
day the sweep runs, which also lets a late sweep catch up on a missed day without posting twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.errors import InvalidInput
from domain.i18n import N_
from domain.ledger import Draw, plan_draw
from domain.money import ZERO
from domain.numbers import whole_number

RENEWAL_COMING = "renewal_coming"
TRIAL_ENDING = "trial_ending"
TRIAL_ENDED = "trial_ended"
CHARGE_FAILED = "charge_failed"
CANCELLED_ENDED = "cancelled_ended"
LOW_BALANCE = "low_balance"
LICENSE_POOL_FULL = "license_pool_full"
INVITATION_PENDING = "invitation_pending"
TIER_CHANGED = "tier_changed"
TRANSFERRED_OUT = "transferred_out"
TRANSFERRED_IN = "transferred_in"
BILLING_DIGEST = "billing_digest"
VENDOR_ONLY = "vendor_only"
"""The daily reconciliation (`domain.reconcile`): an account at the vendor the desk does not know."""
DESK_ONLY = "desk_only"
"""The daily reconciliation: a desk account the vendor no longer lists."""
PORTAL_TASK = "portal_task"
PORTAL_TASKS_OPEN = "portal_tasks_open"
"""A portal task (SPEC §9) and the daily reminder of those still open: never muted or snoozed,
so they are not in KINDS (what `/agency notices mute` accepts) and posted after every other kind."""
PREPAID_ADVICE = "prepaid_advice"

# Most urgent first: the order messages are posted in and the order `/agency notices` lists them.
KINDS = (
    CHARGE_FAILED,
    TRIAL_ENDED,
    CANCELLED_ENDED,
    RENEWAL_COMING,
    TRIAL_ENDING,
    LOW_BALANCE,
    PREPAID_ADVICE,
    LICENSE_POOL_FULL,
    INVITATION_PENDING,
    TIER_CHANGED,
    TRANSFERRED_OUT,
    TRANSFERRED_IN,
    DESK_ONLY,
    VENDOR_ONLY,
    BILLING_DIGEST,
)
# Agency-wide notices and the weekly digest are always a message of their own.
ALWAYS_SINGLE = frozenset(
    {LOW_BALANCE, PREPAID_ADVICE, TIER_CHANGED, BILLING_DIGEST, PORTAL_TASK, PORTAL_TASKS_OPEN}
)
TRIAL_NOTICE_DAYS = 3
INVITATION_DAYS = 7
WEEK = 7
DIGEST_WEEKDAY = 0
"""The weekly billing digest's day (Monday, the ISO week's first, in the agency's time zone)."""
MAX_LEAD_DAYS = 90
# A digest is a header, at most this many items, an "and N more" line and a "list all" button:
# 48 blocks, inside Block Kit's 50.
MAX_DIGEST_ITEMS = 45
BILLED_STATUSES = ("active", "disabled")


@dataclass(frozen=True)
class Charge:
    """A coming charge: its total after discounts, and how it will be paid."""

    total: Decimal
    from_credit: Decimal
    from_card: Decimal
    vendor: str | None = None
    """The vendor's name (maybe empty) when it bills the charge itself (SPEC §9): nothing is drawn."""


@dataclass(frozen=True)
class AccountFacts:
    id: int
    name: str
    status: str
    version: str
    level: str
    """The `tier` column: trial or sandbox on V1, the plan tier (or `licenses`) on V3."""
    commission: bool
    period_end: date
    profile_id: int | None = None
    charge: Charge | None = None

    @property
    def billed(self) -> bool:
        """SPEC §7: paid accounts are charged, disabled included; free levels and commissions never."""
        return not self.commission and self.version == "V3" and self.status in BILLED_STATUSES


@dataclass(frozen=True)
class Invite:
    account_id: int
    email: str
    invited_on: date


@dataclass(frozen=True)
class Due:
    kind: str
    account_id: int | None
    due_on: date
    payload: dict[str, Any] = field(default_factory=dict)


def parse_lead_days(text: str) -> tuple[int, ...]:
    """`7,1` → (7, 1): distinct whole days from 1 to 90, largest first."""
    parts = [p.strip() for p in text.replace(";", ",").replace(" ", ",").split(",") if p.strip()]
    days = [whole_number(p, maximum=MAX_LEAD_DAYS) for p in parts]
    if not days or len(days) > 5 or not all(d is not None and d >= 1 for d in days):
        raise InvalidInput(
            N_("Give up to 5 numbers of days from 1 to 90, like `/agency notices lead 7,1`; not {text}."),
            text=text or "-",
        )
    return tuple(sorted({d for d in days if d is not None}, reverse=True))


def lead_stage(days_left: int, leads: Sequence[int]) -> int | None:
    """The reminder a renewal `days_left` away belongs to: the smallest lead not yet passed."""
    if days_left < 1:
        return None
    reached = [lead for lead in leads if days_left <= lead]
    return min(reached) if reached else None


def renewal_notices(accounts: Iterable[AccountFacts], today: date, leads: Sequence[int]) -> list[Due]:
    found = []
    for account in accounts:
        if not account.billed:
            continue
        stage = lead_stage((account.period_end - today).days, leads)
        if stage is None:
            continue
        payload: dict[str, Any] = {"renews_on": account.period_end.isoformat(), "lead": stage}
        if account.charge is not None:
            payload["amount"] = str(account.charge.total)
            payload["from_credit"] = str(account.charge.from_credit)
            payload["from_card"] = str(account.charge.from_card)
            if account.charge.vendor is not None:
                payload["vendor"] = account.charge.vendor
        found.append(Due(RENEWAL_COMING, account.id, account.period_end - timedelta(days=stage), payload))
    return found


def trial_notices(accounts: Iterable[AccountFacts], today: date) -> list[Due]:
    """Trial ending, 3 days before its end (or later if the sweep missed that day)."""
    found = []
    for account in accounts:
        if account.commission or account.status != "trial" or account.level != "trial":
            continue
        days_left = (account.period_end - today).days
        if 1 <= days_left <= TRIAL_NOTICE_DAYS:
            due_on = account.period_end - timedelta(days=TRIAL_NOTICE_DAYS)
            found.append(Due(TRIAL_ENDING, account.id, due_on, {"ends_on": account.period_end.isoformat()}))
    return found


def invitation_notices(invites: Iterable[Invite], today: date) -> list[Due]:
    """One notice per account and invitation day, once the invitations are over 7 days old."""
    grouped: dict[tuple[int, date], list[str]] = {}
    for invite in invites:
        if (today - invite.invited_on).days > INVITATION_DAYS:
            grouped.setdefault((invite.account_id, invite.invited_on), []).append(invite.email)
    return [
        Due(
            INVITATION_PENDING,
            account_id,
            invited_on + timedelta(days=INVITATION_DAYS + 1),
            {"emails": sorted(emails), "invited_on": invited_on.isoformat()},
        )
        for (account_id, invited_on), emails in sorted(grouped.items())
    ]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def low_balance_notice(
    *, balance: Decimal, threshold: Decimal, shortfall: Decimal, ever_prepaid: bool, today: date
) -> Due | None:
    """At most one a week while prepaid credit is under the threshold or short of next week's charges.

    An agency that never bought prepaid credit pays by card and is not told its balance is low.
    """
    if not ever_prepaid:
        return None
    under = threshold > ZERO and balance < threshold
    if not (under or shortfall > ZERO):
        return None
    payload = {
        "balance": str(balance),
        "threshold": str(threshold),
        "shortfall": str(shortfall),
        "reason": "threshold" if under else "short",
    }
    return Due(LOW_BALANCE, None, week_start(today), payload)


@dataclass(frozen=True)
class Upcoming:
    """A charge due within the coming week, before credit is drawn."""

    account_id: int
    name: str
    profile_id: int | None
    on: date
    total: Decimal
    earmark: Decimal
    vendor: str | None = None
    """Set when the vendor bills the charge itself: it draws no credit and no card of the desk."""


@dataclass(frozen=True)
class WeekPlan:
    payload: dict[str, Any]
    from_card: Decimal


MAX_PROFILE_LINES = 20
"""Lines kept per card in the weekly digest's payload: what its message shows; the rest are counted."""


class WeekPlanner:
    """Next week's charges fed one by one in (date, account id) order, each drawing on what credit the
    earlier ones left. Only the first lines of each card are kept, with counts and sums of all, so a
    portfolio of any size plans in constant memory."""

    def __init__(self, general: Decimal, max_lines: int = MAX_PROFILE_LINES) -> None:
        self.general, self.max_lines = general, max_lines
        self.earmarks: dict[int, Decimal] = {}
        self.profiles: dict[str, dict[str, Any]] = {}
        self.credit_total = self.card_total = self.vendor_total = ZERO

    def add(self, item: Upcoming) -> None:
        earmark = self.earmarks.get(item.account_id, item.earmark)
        if item.vendor is not None:
            draw = Draw(ZERO, ZERO, ZERO)
            self.vendor_total += item.total
        else:
            draw = plan_draw(item.total, earmark, self.general)
        if draw.from_earmark:
            self.earmarks[item.account_id] = earmark - draw.from_earmark
        self.general -= draw.from_general
        key = "-" if item.profile_id is None else str(item.profile_id)
        profile = self.profiles.setdefault(
            key, {"profile_id": item.profile_id, "lines": [], "count": 0, "credit": ZERO, "card": ZERO}
        )
        profile["count"] += 1
        profile["credit"] += draw.from_credit
        profile["card"] += draw.from_card
        if len(profile["lines"]) < self.max_lines:
            profile["lines"].append(
                {
                    "account_id": item.account_id,
                    "account": item.name,
                    "on": item.on.isoformat(),
                    "amount": str(item.total),
                    "from_credit": str(draw.from_credit),
                    "from_card": str(draw.from_card),
                    **({} if item.vendor is None else {"vendor": item.vendor}),
                }
            )
        self.credit_total += draw.from_credit
        self.card_total += draw.from_card

    def plan(self) -> WeekPlan:
        profiles = []
        for key in sorted(self.profiles):
            profile = dict(self.profiles[key])
            profile["from_credit"] = str(profile.pop("credit"))
            profile["from_card"] = str(profile.pop("card"))
            profiles.append(profile)
        payload = {
            "profiles": profiles,
            "from_credit": str(self.credit_total),
            "from_card": str(self.card_total),
            **({"from_vendor": str(self.vendor_total)} if self.vendor_total else {}),
        }
        return WeekPlan(payload, self.card_total)


def digest_today(today: date, previous_sweep: date | None) -> bool:
    """Whether this sweep is the week's digest sweep: the first one on or after the digest day.

    Later days of the week never make up for a digest day whose sweep found nothing to charge (that
    week posts no digest, and next week's lists the charges once); they do stand in for a digest
    day on which no sweep ran at all (the process was down), so a week is not silently skipped."""
    digest_day = week_start(today) + timedelta(days=DIGEST_WEEKDAY)
    return today >= digest_day and (previous_sweep is None or previous_sweep < digest_day)


def billing_digest(plan: WeekPlan, today: date, previous_sweep: date | None) -> Due | None:
    """One per ISO week (keyed on the week's Monday), on the digest day, when something is to be
    charged in the next 7 days; `previous_sweep` is the day of this agency's latest earlier sweep."""
    if not plan.payload["profiles"] or not digest_today(today, previous_sweep):
        return None
    return Due(BILLING_DIGEST, None, week_start(today), {**plan.payload, "from_day": today.isoformat()})


def tier_notice(
    previous: dict[str, Any] | None,
    current: dict[str, Any],
    today: date,
    *,
    charged: dict[str, Any] | None = None,
) -> Due | None:
    """Tier facts are {index, percent, count, next_percent, to_next}; a notice when the index moved
    since the last sweep (`previous`), or since the last charge (`charged`, given when that charge
    came after the last sweep or no sweep ran yet): the tier the agency was last billed at counts,
    not only the one the last sweep saw."""
    for before in (previous, charged):
        if before is None or before.get("index") == current["index"]:
            continue
        direction = "up" if int(current["index"]) > int(before["index"]) else "down"
        payload = {**current, "previous_percent": before.get("percent"), "direction": direction}
        return Due(TIER_CHANGED, None, today, payload)
    return None


@dataclass(frozen=True)
class Planned:
    """One message to post: a single notice card, or a digest of one kind."""

    kind: str
    notice_ids: tuple[int, ...]
    shown: tuple[int, ...]

    @property
    def single(self) -> bool:
        return len(self.notice_ids) == 1

    @property
    def more(self) -> int:
        return len(self.notice_ids) - len(self.shown)


def plan_messages(notices: Sequence[tuple[int, str]], max_items: int = MAX_DIGEST_ITEMS) -> list[Planned]:
    """Group (id, kind) pairs into messages: one per kind, most urgent kind first.

    A kind with one notice is a full card; more become a digest showing `max_items` of them, and
    the rest as "and N more" behind a button, so no run floods the channel.
    """
    by_kind: dict[str, list[int]] = {}
    for notice_id, kind in notices:
        by_kind.setdefault(kind, []).append(notice_id)
    order = {kind: i for i, kind in enumerate(KINDS)}
    planned: list[Planned] = []
    for kind in sorted(by_kind, key=lambda k: (order.get(k, len(KINDS)), k)):
        ids = sorted(by_kind[kind])
        if kind in ALWAYS_SINGLE:
            planned.extend(Planned(kind, (i,), (i,)) for i in ids)
        else:
            planned.append(Planned(kind, tuple(ids), tuple(ids[:max_items])))
    return planned


def snoozed(snoozes: dict[str, str], account_id: int | None, due_on: date) -> bool:
    """Snoozes are {account id: last snoozed day}; notices due by then are dropped, not delayed."""
    if account_id is None:
        return False
    until = snoozes.get(str(account_id))
    return until is not None and due_on <= date.fromisoformat(until)
