"""Issue 18 §4: the local shell behaves like Slack. Every modal the app opens, submitted from the shell
with nothing filled in, carries the state Slack would send (each input's initial value, option,
options, date, user or conversation); the Edit modal keeps what was not changed; mrkdwn reads as
text."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from bot.shell.repl import TEAM, Shell
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import Account, AuditEntry
from tests import slackhttp
from tests.factories import make_account, make_agency, make_profile

OWNER = "U0OWNER"


class ScriptedShell(Shell):
    """The shell from a pipe, answering each modal prompt by its label (empty when not listed), and
    keeping every submission it sends as Slack would receive it."""

    def __init__(self, *args: Any, answers: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answers = answers
        self.submitted: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []

    def read(self, prompt: str) -> str | None:
        if prompt.startswith("  ") and prompt.endswith(": "):  # a modal's field
            label = prompt.strip().split(" [")[0].split(" (")[0].rstrip(":")
            answer = self.answers.get(label, "")
            self.say(f"{prompt}{answer}")
            return answer
        return super().read(prompt)

    def interaction(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        self.sent.append(payload)
        if payload.get("type") == "view_submission":
            self.submitted.append(payload)
        return super().interaction(payload)


@pytest.fixture
def shell_app(  # type: ignore[no-untyped-def]
    settings: Settings,
    clock: FixedClock,
    sessions: sessionmaker[Session],
    db: Engine,
    catalog: Catalog,
    slack: LocalSlack,
):
    from bot.app import build_app

    slack.team = TEAM  # the shell's own LocalSlack authorises its workspace (`reseller-bot shell`)
    return build_app(
        settings,
        clock=clock,
        sessions=sessions,
        catalog=catalog,
        provider=SimulatedProvider(),
        gateway=SimulatedGateway(),
        verify_requests=False,
    )


def run(app: Any, slack: LocalSlack, script: str, answers: dict[str, str] | None = None) -> ScriptedShell:
    out = io.StringIO()
    shell = ScriptedShell(app, slack, OWNER, out, interactive=False, answers=answers or {})
    shell.run(io.StringIO(script))
    return shell


@pytest.fixture
def portfolio(sessions: sessionmaker[Session]) -> Iterator[dict[str, int]]:
    """An annual plus 5,000 account with a client price, paid by a card profile."""
    with sessions() as session, session.begin():
        agency = make_agency(session, team_id=TEAM, notification_email="ops@agency.example")
        profile = make_profile(session, agency)
        make_account(session, agency, name="helper-1")
        make_account(
            session,
            agency,
            name="acme-shop",
            frequency="annual",
            contacts=5000,
            plan_size=20_005_000,
            client_price=Decimal("900.00"),
            client_price_per="month",
            billing_profile_id=profile.id,
            created_at=datetime(2026, 11, 10, 12, 0, tzinfo=UTC),
            period_end=date(2027, 11, 10),
            price_per_cycle=Decimal("500.00"),
        )
        ids = {"agency": agency.id, "profile": profile.id}
    yield ids


OPENERS = [
    "/accounts add",
    "/accounts edit acme-shop",
    "/accounts branding acme-shop",
    "/quote",
    "/seats new",
    "/credits buy",
    "/billing profiles add",
    "/agency settings",
]


@pytest.mark.parametrize("command", OPENERS)
def test_an_untouched_modal_submits_the_state_slack_sends(
    shell_app: Any, slack: LocalSlack, portfolio: dict[str, int], command: str
) -> None:
    """Render each modal the app opens, fill nothing, submit: the state is Slack's, initial values
    included (tests/slackhttp.py builds it as Slack does, independently of the shell)."""
    shell = run(shell_app, slack, command + "\n")
    opened = [c for c in slack.of("views.open") if c.status == 200]
    assert opened, command
    view = dict(opened[0].response["view"])
    assert shell.submitted, f"{command}: nothing submitted"
    sent = shell.submitted[0]["view"]
    assert sent["state"] == slackhttp.view_state(view, {}), command
    assert any(  # not vacuous: some of these modals show values the app filled in
        "initial_value" in (b.get("element") or {}) or "initial_option" in (b.get("element") or {})
        for b in view.get("blocks") or []
    ) or command in ("/billing profiles add", "/accounts branding acme-shop")


def _chosen(values: dict[str, Any], block_id: str) -> Any:
    """The value or option value a state holds for a block, whatever its action id."""
    element = next(iter(values[block_id].values()))
    return (element.get("selected_option") or {}).get("value") or element.get("value")


def _account(sessions: sessionmaker[Session]) -> Account:
    with sessions() as session:
        return session.scalars(select(Account).where(Account.name == "acme-shop")).one()


def _price_audits(sessions: sessionmaker[Session]) -> list[AuditEntry]:
    with sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "account.client_price")))


def test_changing_only_contacts_keeps_the_frequency_and_the_client_price(
    shell_app: Any, slack: LocalSlack, sessions: sessionmaker[Session], portfolio: dict[str, int]
) -> None:
    """On an annual account, only contacts changed in the shell's Edit modal: the live update keeps
    "Annual" and the client price (as Slack's state does), and no switch to monthly is made."""
    shell = run(shell_app, slack, "/accounts edit acme-shop\n", {"Contacts": "10000"})
    updates = [c for c in slack.of("views.update") if c.status == 200]
    assert updates, "the contacts change updated the modal live"
    frequency = next(
        b["element"] for b in updates[-1].response["view"]["blocks"] if b.get("block_id") == "plan_frequency"
    )
    assert frequency["initial_option"]["value"] == "annual"
    first = shell.submitted[0]["view"]["state"]["values"]
    assert _chosen(first, "plan_frequency") == "annual"
    assert _chosen(first, "client_price") == "900.00 month"
    account = _account(sessions)
    assert account.client_price == Decimal("900.00")
    assert account.frequency == "annual"
    assert (account.pending_change or {}).get("frequency", "annual") == "annual"
    assert _price_audits(sessions) == []


def test_changing_only_the_tier_keeps_contacts_and_writes_no_price_change(
    shell_app: Any, slack: LocalSlack, sessions: sessionmaker[Session], portfolio: dict[str, int]
) -> None:
    shell = run(shell_app, slack, "/accounts edit acme-shop\n", {"Tier": "professional"})
    first = shell.submitted[0]["view"]["state"]["values"]
    assert _chosen(first, "plan_contacts") == "5000"
    assert _chosen(first, "plan_tier") == "professional"
    assert _chosen(first, "client_price") == "900.00 month"
    account = _account(sessions)
    assert account.client_price == Decimal("900.00")
    chosen = account.pending_change or {"contacts": account.contacts, "tier": account.tier}
    assert (chosen.get("contacts"), chosen.get("tier")) == (5000, "professional")
    assert _price_audits(sessions) == []


def test_replies_show_mrkdwn_as_text(shell_app: Any, slack: LocalSlack, portfolio: dict[str, int]) -> None:
    shell = run(shell_app, slack, "/quote plus 2500 annual\n")
    out = shell.out.getvalue()  # type: ignore[attr-defined]
    assert "What you pay per billing cycle" in out
    assert "*What you pay" not in out and "*" not in out.split("What you pay", 1)[1].split("\n", 1)[0]
