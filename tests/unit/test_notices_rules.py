"""The notice rules, pure: when each notice is due, its stable due date, and digest grouping."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.errors import InvalidInput
from domain.notices import rules
from domain.notices.delivery import backoff

TODAY = date(2026, 11, 25)
D = Decimal


def plan_week(upcoming: list[rules.Upcoming], general: Decimal) -> rules.WeekPlan:
    """Next week's charges in the billing run's order (date, then account id), each drawing on
    what credit the earlier ones left: what the sweep feeds its planner."""
    planner = rules.WeekPlanner(general)
    for item in sorted(upcoming, key=lambda u: (u.on, u.account_id)):
        planner.add(item)
    return planner.plan()


def account(**kw: object) -> rules.AccountFacts:
    values: dict[str, object] = {
        "id": 1,
        "name": "acme",
        "status": "active",
        "version": "V3",
        "level": "plus",
        "commission": False,
        "period_end": TODAY + timedelta(days=7),
        "charge": rules.Charge(D("90.00"), D("40.00"), D("50.00")),
    }
    values.update(kw)
    return rules.AccountFacts(**values)  # type: ignore[arg-type]


def test_lead_days_parse_and_refuse() -> None:
    """Lead days are distinct whole days from 1 to 90, largest first; anything else says how to write it."""
    assert rules.parse_lead_days("1, 7,7") == (7, 1)
    for bad in ("", "0", "7,x", "91", "1,2,3,4,5,6"):
        with pytest.raises(InvalidInput):
            rules.parse_lead_days(bad)


def test_renewal_notice_keeps_its_due_date_whatever_day_the_sweep_runs() -> None:
    """Days 7..2 before belong to the 7-day reminder (one key), day 1 to the 1-day one; none on the day."""
    end = TODAY + timedelta(days=7)
    keys = set()
    for back in range(8, -1, -1):
        day = end - timedelta(days=back)
        found = rules.renewal_notices([account(period_end=end)], day, (7, 1))
        keys |= {(n.kind, n.due_on) for n in found}
        if back in (8, 0):
            assert not found
    assert keys == {("renewal_coming", end - timedelta(days=7)), ("renewal_coming", end - timedelta(days=1))}
    only = rules.renewal_notices([account()], TODAY, (7, 1))[0]
    assert only.payload["amount"] == "90.00" and only.payload["from_card"] == "50.00"


def test_commission_free_and_stopped_accounts_are_never_noticed_for_renewal() -> None:
    """SPEC §4, §7: commission accounts, V1 levels, cancelled accounts are not billed nor noticed."""
    for facts in (
        account(commission=True),
        account(version="V1", level="trial"),
        account(status="cancelled"),
    ):
        assert not rules.renewal_notices([facts], TODAY, (7, 1))
    assert rules.renewal_notices([account(status="disabled")], TODAY, (7, 1))


def test_trial_ending_three_days_before() -> None:
    """Trials are noticed once from three days before their end; commission trials never."""
    trial = account(version="V1", level="trial", status="trial", period_end=TODAY + timedelta(days=3))
    assert [n.due_on for n in rules.trial_notices([trial], TODAY)] == [TODAY]
    assert [n.due_on for n in rules.trial_notices([trial], TODAY + timedelta(days=2))] == [TODAY]
    assert not rules.trial_notices([trial], TODAY - timedelta(days=1))
    assert not rules.trial_notices(
        [
            account(
                version="V1",
                level="trial",
                status="trial",
                commission=True,
                period_end=TODAY + timedelta(days=2),
            )
        ],
        TODAY,
    )


def test_invitations_over_seven_days_grouped_by_account_and_day() -> None:
    """Invitations pending over 7 days: one notice per account and invitation day, listing the emails."""
    invites = [
        rules.Invite(1, "b@x.example", TODAY - timedelta(days=8)),
        rules.Invite(1, "a@x.example", TODAY - timedelta(days=8)),
        rules.Invite(2, "c@x.example", TODAY - timedelta(days=7)),
    ]
    found = rules.invitation_notices(invites, TODAY)
    assert [(n.account_id, n.payload["emails"]) for n in found] == [(1, ["a@x.example", "b@x.example"])]


def test_low_balance_weekly_and_only_for_prepaid_users() -> None:
    """Under the threshold or short of next week's charges: one per week; never without prepaid history."""
    low = rules.low_balance_notice(
        balance=D("50"), threshold=D("100"), shortfall=D("0"), ever_prepaid=True, today=TODAY
    )
    assert low is not None and low.due_on == date(2026, 11, 23) and low.payload["reason"] == "threshold"
    short = rules.low_balance_notice(
        balance=D("500"), threshold=D("100"), shortfall=D("20"), ever_prepaid=True, today=TODAY
    )
    assert short is not None and short.payload["reason"] == "short"
    assert (
        rules.low_balance_notice(
            balance=D("500"), threshold=D("100"), shortfall=D("0"), ever_prepaid=True, today=TODAY
        )
        is None
    )
    assert (
        rules.low_balance_notice(
            balance=D("0"), threshold=D("100"), shortfall=D("9"), ever_prepaid=False, today=TODAY
        )
        is None
    )


def test_tier_change_up_and_down() -> None:
    """A notice when the tier index moves, none on the first sight or when it stays."""
    two = {"index": 1, "percent": "25", "count": 2, "next_percent": "35", "to_next": 23}
    one = {"index": 0, "percent": "0", "count": 1, "next_percent": "25", "to_next": 1}
    assert rules.tier_notice(None, two, TODAY) is None
    assert rules.tier_notice(two, two, TODAY) is None
    up = rules.tier_notice(one, two, TODAY)
    assert up is not None and up.payload["direction"] == "up" and up.payload["previous_percent"] == "0"
    down = rules.tier_notice(two, one, TODAY)
    assert down is not None and down.payload["direction"] == "down"


def test_week_plan_draws_credit_in_date_order() -> None:
    """Earmark first, then the general balance, in charge order; the rest goes to each profile's card."""
    plan = plan_week(
        [
            rules.Upcoming(2, "late", 7, TODAY + timedelta(days=5), D("80.00"), D("0")),
            rules.Upcoming(1, "early", 7, TODAY + timedelta(days=1), D("100.00"), D("30.00")),
            rules.Upcoming(3, "other", None, TODAY + timedelta(days=2), D("10.00"), D("0")),
        ],
        general=D("100.00"),
    )
    assert plan.payload["from_credit"] == "130.00" and plan.from_card == D("60.00")
    card = next(p for p in plan.payload["profiles"] if p["profile_id"] == 7)
    assert [line["account"] for line in card["lines"]] == ["early", "late"]
    assert card["from_card"] == "60.00"
    assert rules.billing_digest(plan, TODAY, None) is not None
    assert rules.billing_digest(plan_week([], D("0")), TODAY, None) is None


def test_the_billing_digest_is_due_once_a_week_on_its_day() -> None:
    """The digest belongs to the week's first sweep on or after Monday: a Monday that found nothing to
    charge is not made up for later that week; a Monday on which no sweep ran is, the next day."""
    monday = date(2026, 11, 30)
    assert rules.digest_today(monday, monday - timedelta(days=1))
    assert rules.digest_today(monday, None)
    for later in range(1, 7):  # Monday's sweep ran (and may have found nothing): not again this week
        assert not rules.digest_today(monday + timedelta(days=later), monday)
        assert not rules.digest_today(monday + timedelta(days=later), monday + timedelta(days=later - 1))
    assert rules.digest_today(monday + timedelta(days=1), monday - timedelta(days=3))  # Monday missed
    plan = plan_week([rules.Upcoming(1, "a", 7, monday + timedelta(days=3), D("10.00"), D("0"))], D("0"))
    assert rules.billing_digest(plan, monday + timedelta(days=2), monday) is None
    due = rules.billing_digest(plan, monday, monday - timedelta(days=1))
    assert due is not None and due.due_on == monday


def test_messages_one_per_kind_digests_capped() -> None:
    """One message per kind, most urgent first; agency-wide kinds alone; digests show at most 45."""
    notices = [(i, "renewal_coming") for i in range(1, 61)] + [
        (100, "charge_failed"),
        (101, "low_balance"),
        (102, "tier_changed"),
    ]
    planned = rules.plan_messages(notices)
    assert [p.kind for p in planned] == ["charge_failed", "renewal_coming", "low_balance", "tier_changed"]
    renewals = planned[1]
    assert len(renewals.notice_ids) == 60 and len(renewals.shown) == 45 and renewals.more == 15
    assert planned[0].single


def test_snoozes_and_backoff() -> None:
    """A snooze drops notices due up to its last day; failed sends back off, capped at six hours."""
    assert rules.snoozed({"5": "2026-12-01"}, 5, date(2026, 12, 1))
    assert not rules.snoozed({"5": "2026-12-01"}, 5, date(2026, 12, 2))
    assert not rules.snoozed({"5": "2026-12-01"}, None, TODAY)
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(50) == timedelta(hours=6)
