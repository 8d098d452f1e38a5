"""Many agencies side by side (SPEC §11, issue 17 §2): signed requests from one installed workspace
among several, a snapshot of everything an agency owns, and the Slack calls made for a workspace.

`TeamHttp` sends what `SlackHttp` builds with the workspace's own team id everywhere Slack puts one
(the envelope, `team`, `user.team_id`, `view.team_id`, `view.app_installed_team_id`,
`authorizations`), and its own channel for the tests' `C0TEST`, so Bolt authorises the request with that workspace's installation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.shell.localslack import Call, LocalSlack
from domain import outbox
from domain.clock import FixedClock
from domain.ports import Capability
from domain.simulated import SimulatedProvider
from domain.store.models import Account, Agency, Base, Member
from domain.store.uow import SqlUnitOfWork
from domain.vendors import tasks
from tests.conftest import SECRET
from tests.factories import NOW, make_account, make_agency, make_profile
from tests.portal_fakes import NoApiProvider
from tests.slackhttp import TEAM, Reply, SlackHttp

CHANNEL = "C0TEST"
QUIET_METHODS = ("response_url",)
"""What carries no token: a response URL is the request's own (Slack signs it into the payload)."""


class TeamHttp(SlackHttp):
    """`SlackHttp` for one workspace: every team id Slack would send is `team`'s."""

    def __init__(self, base_url: str, slack: LocalSlack, team: str, owner: str) -> None:
        super().__init__(base_url, SECRET, slack)
        self.team, self.owner = team, owner

    def post(self, body: str, **kwargs: Any) -> Reply:
        return super().post(body.replace(TEAM, self.team).replace(CHANNEL, self.channel), **kwargs)

    def run(self, command: str, text: str = "", user: str | None = None) -> Reply:
        return self.command(command, text, user=user or self.owner)

    @property
    def channel(self) -> str:
        return f"C0{self.team[2:]}"


@dataclass
class Side:
    """One installed workspace and its agency."""

    team: str
    owner: str
    token: str
    http: TeamHttp
    agency_id: int
    tag: str
    app: Any = None
    """The Bolt app serving it (to install more workspaces into)."""

    @property
    def notices(self) -> str:
        return f"C0{self.tag.upper()}NOTICES"


def enqueue_one_of_each_notice(s: Session, agency_id: int, acme_id: int, seated_id: int, today: date) -> None:
    """A charge-failed, a low-balance and a pool-full notice waiting in the outbox: each kind whose
    message carries buttons of its own."""
    for kind, account_id, payload in (
        ("charge_failed", acme_id, {"amount": "30.00"}),
        ("low_balance", None, {"balance": "10.00", "threshold": "100.00"}),
        ("license_pool_full", seated_id, {"seats": 2}),
    ):
        outbox.enqueue(
            s, agency_id=agency_id, kind=kind, due_on=today, now=NOW, account_id=account_id, payload=payload
        )


def open_status_task(sessions: sessionmaker[Session], account_id: int, owner: str) -> None:
    """A portal task on `account_id`, as a vendor without a status API opens one."""
    with SqlUnitOfWork(sessions) as uow:
        row = uow.session.get_one(Account, account_id)
        tasks.open_task(
            uow,
            uow.session,
            FixedClock(NOW),
            agency_id=row.agency_id,
            account=row,
            account_name=row.name,
            action=Capability.STATUS,
            values={"status": "disabled"},
            provider=NoApiProvider(),
            actor=owner,
        )
        uow.commit()


def portfolio(
    sessions: sessionmaker[Session],
    provider: SimulatedProvider,
    team: str,
    owner: str,
    tag: str,
    *,
    soon: int = 3,
) -> int:
    """An agency like the every-button test's, every name and vendor id its own (suffix `tag`):
    accounts in each state a button depends on, a card, notices of each kind, an open portal task."""
    today = NOW.date()
    with sessions.begin() as s:
        agency = make_agency(
            s,
            team_id=team,
            owner=owner,
            name=f"Agency {tag}",
            notice_channel=f"C0{tag.upper()}NOTICES",
            approval_threshold=Decimal("1000.00"),
        )
        agency_id = agency.id
        s.add(
            Member(
                agency_id=agency.id,
                user_id=f"U0BILL{tag.upper()}",
                role="billing",
                added_by="t",
                created_at=NOW,
            )
        )
        profile = make_profile(s, agency)
        acme = make_account(
            s, agency, name=f"acme-{tag}", price_per_cycle=Decimal("99.00"), provider_ref=f"acc_acme_{tag}"
        )
        acme_id = acme.id
        make_account(s, agency, name=f"lapsed-{tag}", status="expired", period_end=today - timedelta(days=2))
        make_account(s, agency, name=f"trying-{tag}", status="trial", period_end=today + timedelta(days=3))
        make_account(s, agency, name=f"roomy-{tag}", seats=5)
        seated = make_account(
            s,
            agency,
            name=f"seated-{tag}",
            product="business-licenses",
            tier="licenses",
            contacts=None,
            seats=2,
            frequency="annual",
            period_end=today + timedelta(days=350),
            billing_profile_id=profile.id,
            provider_ref=f"acc_seats_{tag}",
        )
        for i in range(soon):
            make_account(s, agency, name=f"soon-{tag}-{i:02d}", period_end=today + timedelta(days=7))
        enqueue_one_of_each_notice(s, agency.id, acme.id, seated.id, today)
    open_status_task(sessions, acme_id, owner)
    provider.accounts[f"acc_acme_{tag}"] = {"name": f"acc_acme_{tag}", "plan": None, "templates": []}
    provider.accounts[f"acc_seats_{tag}"] = {
        "name": f"seated-{tag}",
        "plan": None,
        "members": [{"email": f"ana-{tag}@x.io"}],
        "templates": [],
    }
    return agency_id


def snapshot(db: Engine, agency_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the agency owns, table by table, in a stable order: equal snapshots mean nothing of
    the agency was written (a change of any column of any row shows)."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with Session(db) as s:
        agency = s.execute(select(Agency.__table__).where(Agency.id == agency_id)).all()
        found["agencies"] = [tuple(r) for r in agency]
        account_ids = list(s.scalars(select(Account.id).where(Account.agency_id == agency_id)))
        for table in Base.metadata.sorted_tables:
            if "agency_id" in table.c:
                where = table.c.agency_id == agency_id
            elif "account_id" in table.c:
                where = table.c.account_id.in_(account_ids)
            else:
                continue
            rows = s.execute(select(table).where(where)).all()
            found[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return found


def foreign_calls(calls: list[Call], token: str) -> list[str]:
    """The Slack calls not made with `token` (each as method and token), response URLs aside."""
    return [
        f"{c.method} with {c.token or 'no token'}"
        for c in calls
        if c.method not in QUIET_METHODS and c.token != token
    ]
