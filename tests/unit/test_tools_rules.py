"""Agency tools' pure rules: margins to the cent, tier effect, and who may decide an approval when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.approvals.rules import needed, refusal
from domain.errors import InvalidInput
from domain.margins import margin_of, parse_client_price
from domain.roles import Role
from domain.templates import check_link

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def test_monthly_margin_is_client_price_minus_monthly_cost() -> None:
    """Monthly plan: 300.00 a month to the client, 99.00 a cycle of cost → 201.00."""
    m = margin_of(
        cost_per_cycle=Decimal("99.00"),
        frequency="monthly",
        client_price=Decimal(300),
        client_price_per="month",
    )
    assert (m.cost_per_cycle, m.cost_per_month, m.client_per_month, m.monthly) == (
        Decimal("99.00"),
        Decimal("99.00"),
        Decimal("300.00"),
        Decimal("201.00"),
    )


def test_annual_cycle_is_divided_by_twelve_and_rounded_half_up_once() -> None:
    """Annual 1,000.00 → 83.33 a month; client 1,500.00 per cycle → 125.00; margin 41.67."""
    m = margin_of(
        cost_per_cycle=Decimal("1000.00"),
        frequency="annual",
        client_price=Decimal(1500),
        client_price_per="cycle",
    )
    assert (m.cost_per_month, m.client_per_month, m.monthly) == (
        Decimal("83.33"),
        Decimal("125.00"),
        Decimal("41.67"),
    )
    half = margin_of(
        cost_per_cycle=Decimal("0.06"), frequency="annual", client_price=None, client_price_per="month"
    )
    assert half.cost_per_month == Decimal("0.01")  # 0.005 rounds up, not to even
    assert half.monthly is None


def test_negative_margin_and_client_price_per_month_on_an_annual_plan() -> None:
    """A per-month client price on an annual plan is taken as it is: 70.00 − 1,200.00/12 = −30.00."""
    m = margin_of(
        cost_per_cycle=Decimal("1200.00"),
        frequency="annual",
        client_price=Decimal(70),
        client_price_per="month",
    )
    assert m.monthly == Decimal("-30.00")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["120"], (Decimal("120.00"), "month")),
        (["1,200.50", "cycle"], (Decimal("1200.50"), "cycle")),
        (["off"], (None, "month")),
    ],
)
def test_client_price_parsing(words: list[str], expected: tuple[Decimal | None, str]) -> None:
    """An amount, optionally month or cycle; off forgets it."""
    assert parse_client_price(words) == expected


@pytest.mark.parametrize("words", [[], ["abc"], ["10", "week"], ["-5"], ["1", "2", "3"]])
def test_bad_client_prices_are_refused(words: list[str]) -> None:
    """Anything else is refused with a message on the client price field."""
    with pytest.raises(InvalidInput) as caught:
        parse_client_price(words)
    assert caught.value.field == "client_price"


def test_approval_needed_only_strictly_above_the_threshold() -> None:
    """Off (None) never; at the amount no; a cent above yes."""
    assert not needed(None, Decimal(10**6))
    assert not needed(Decimal(100), Decimal(100))
    assert needed(Decimal(100), Decimal("100.01"))


def _why(role: Role, user: str = "U0OTHER", status: str = "pending", now: datetime = NOW) -> str | None:
    found = refusal(
        role=role,
        user=user,
        requester="U0ASKER",
        status=status,
        now=now,
        expires_at=NOW + timedelta(hours=24),
    )
    return None if found is None else found[0]


def test_only_another_owner_or_billing_member_may_decide() -> None:
    """Owner and billing may; the requester, managers and viewers may not, each with the reason."""
    assert _why(Role.OWNER) is None
    assert _why(Role.BILLING) is None
    assert "another owner" in str(_why(Role.OWNER, user="U0ASKER"))
    assert "your role is" in str(_why(Role.MANAGER))
    assert "your role is" in str(_why(Role.VIEWER))


def test_requests_expire_after_24_hours_and_are_decided_once() -> None:
    """At 24 hours the request has expired; a decided request cannot be decided again."""
    assert _why(Role.OWNER, now=NOW + timedelta(hours=23, minutes=59)) is None
    assert "expired" in str(_why(Role.OWNER, now=NOW + timedelta(hours=24)))
    assert "already" in str(_why(Role.OWNER, status="approved"))


@pytest.mark.parametrize(
    "link", ["http://x.example/t", "ftp://x", "not a link", "https://", "https://a b.example/x"]
)
def test_share_links_must_be_https_urls(link: str) -> None:
    """Only an https URL with a host is a share link."""
    with pytest.raises(InvalidInput):
        check_link(link)
    assert check_link(" https://crm.example/share/abc ") == "https://crm.example/share/abc"
