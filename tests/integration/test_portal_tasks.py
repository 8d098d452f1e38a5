"""Portal tasks on the database (SPEC §9): every provider action a vendor's API lacks is recorded in the
desk and opens one task (nothing reaches the vendor); Done is audited, once, by the agency's own
members; the task is posted once by the notices sender, and reminded daily until done.

Run on SQLite by default and on PostgreSQL with DATABASE_URL set (`make test-pg`)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.notifier import run_notices
from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from domain import access, templates
from domain.accounts import snapshots
from domain.accounts.branding import Branding, set_account_branding
from domain.accounts.changes import change_plan, disable, set_notification_email
from domain.accounts.common import AccountPorts
from domain.agency import Actor
from domain.billing.manual_renewal import renew
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.errors import Conflict, Forbidden, NotFound
from domain.notices import rules
from domain.plans import PlanChoice
from domain.ports import Capability
from domain.roles import Role
from domain.seats.members import add_members
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.db import make_engine, make_session_factory
from domain.store.models import Account, AuditEntry, Invoice, Notice, PortalTask, SeatMember, Snapshot
from domain.store.uow import SqlUnitOfWork
from domain.vendors import tasks
from tests.concurrency import at_the_same_instant
from tests.factories import make_account, make_agency, make_profile
from tests.portal_fakes import PORTAL, NoApiProvider, PartialProvider

CHANNEL = "C0NOTICES"
PROFESSIONAL = PlanChoice(
    version="V3", product="marketing", tier="professional", contacts=2500, frequency="monthly", seats=5
)


@pytest.fixture
def no_api() -> NoApiProvider:
    return NoApiProvider()


@pytest.fixture
def ports(db: Engine, clock: FixedClock, catalog: Catalog, no_api: NoApiProvider) -> AccountPorts:
    return AccountPorts(clock, catalog, no_api, SimulatedGateway())


def _agency(sessions: sessionmaker[Session], team: str = "T0TEST", owner: str = "U0OWNER") -> Actor:
    with sessions.begin() as s:
        agency = make_agency(s, team_id=team, owner=owner, notice_channel=CHANNEL)
        profile = make_profile(s, agency)
        make_account(
            s,
            agency,
            name=f"acme-{team.lower()}",
            billing_profile_id=profile.id,
            price_per_cycle=Decimal("99.00"),
            provider_ref="acc_acme",
        )
        return Actor(agency.id, owner, Role.OWNER)


def _counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as s:
        return {
            model.__name__: int(s.scalar(select(func.count()).select_from(model)) or 0)
            for model in (PortalTask, Notice, AuditEntry)
        }


def _tasks(sessions: sessionmaker[Session]) -> list[PortalTask]:
    with sessions() as s:
        rows = list(s.scalars(select(PortalTask).order_by(PortalTask.id)))
        s.expunge_all()
        return rows


def test_each_missing_capability_records_the_change_and_opens_one_task(
    ports: AccountPorts, sessions: sessionmaker[Session], no_api: NoApiProvider
) -> None:
    """Plan, status, notification email, branding, password help, template, snapshot and invitation
    with a vendor that has no API: the desk changes as usual, nothing reaches the vendor, and each
    action opens a task naming the account and the values (never a password)."""
    owner = _agency(sessions)
    name = "acme-t0test"
    with SqlUnitOfWork(sessions) as uow:
        change_plan(uow, ports, owner, name, PROFESSIONAL, request_key="k1")
        assert tasks.opened(uow)
    with SqlUnitOfWork(sessions) as uow:
        set_notification_email(uow, ports, owner, name, "new@agency.example")
    with SqlUnitOfWork(sessions) as uow:
        set_account_branding(
            uow,
            ports,
            owner,
            name,
            branding=Branding(name="Acme", colour="#112233"),
            custom_domain="crm.acme.example",
        )
    with SqlUnitOfWork(sessions) as uow:
        helped = access.set_password(uow, ports, owner, name)
        assert helped.password is None and helped.task is not None
    with SqlUnitOfWork(sessions) as uow:
        assert (
            templates.import_one(uow, ports, owner, name, "https://share.example/t/1").status
            == templates.TASK
        )
    with SqlUnitOfWork(sessions) as uow:
        assert templates.import_one(uow, ports, owner, name, "https://share.example/t/1").status == "skipped"
    with SqlUnitOfWork(sessions) as uow:
        snapshots.take_snapshot(uow, ports, owner, name)
    with SqlUnitOfWork(sessions) as uow:
        disable(uow, ports, owner, name, reason="unpaid", login_message="Call us <now>")
    assert no_api.events == [] and no_api.accounts.get("acc_acme") is None
    with sessions() as s:
        account = s.scalars(select(Account).where(Account.name == name)).one()
        assert account.tier == "professional" and account.status == "disabled"
        assert (
            account.notification_email == "new@agency.example" and account.custom_domain == "crm.acme.example"
        )
        assert s.scalars(select(Invoice.kind)).all() == ["upgrade"]  # the desk's own record, as before
        assert s.scalar(select(func.count(Snapshot.id))) == 1
    opened = {t.action: t for t in _tasks(sessions)}
    assert set(opened) == {
        Capability.PLAN,
        Capability.NOTIFICATION_EMAIL,
        Capability.BRANDING,
        Capability.PASSWORD,
        Capability.TEMPLATES,
        Capability.SNAPSHOT,
        Capability.STATUS,
    }
    assert all(
        t.state == "open" and t.account_name == name and t.portal_url == PORTAL for t in opened.values()
    )
    assert opened[Capability.PLAN].values["plan"]["tier"] == "professional"
    assert opened[Capability.STATUS].values == {"status": "disabled", "login_message": "Call us <now>"}
    assert opened[Capability.PASSWORD].values == {"reset_email": account.client_email}
    assert opened[Capability.BRANDING].values["custom_domain"] == "crm.acme.example"
    with sessions() as s:
        kinds = s.scalars(select(Notice.kind)).all()
        audits = s.scalars(select(AuditEntry.action).where(AuditEntry.action == "portal_task.opened")).all()
    assert kinds.count(rules.PORTAL_TASK) == len(opened) == len(audits)


def test_a_seat_invitation_with_a_per_product_manual_vendor(
    db: Engine, sessions: sessionmaker[Session], clock: FixedClock, catalog: Catalog
) -> None:
    """The catalog names `manual` for the per-seat product: with a real default vendor, its
    invitations are tasks while the default vendor keeps serving the other products."""
    default, manual = SimulatedProvider(), NoApiProvider()
    ports = AccountPorts(clock, catalog, default, SimulatedGateway(), providers={"manual": manual})
    assert ports.provider_for("business-licenses") is manual
    assert ports.provider_for("marketing") is default and ports.provider_for("nope") is default
    with sessions.begin() as s:
        agency = make_agency(s, notice_channel=CHANNEL)
        make_account(
            s,
            agency,
            name="seats",
            product="business-licenses",
            tier="licenses",
            seats=3,
            provider_ref="acc_s",
        )
        owner = Actor(agency.id, "U0OWNER", Role.OWNER)
    with SqlUnitOfWork(sessions) as uow:
        done = add_members(uow, clock, ports, owner, name="seats", emails="ana@example.com")
        assert done.added == ("ana@example.com",) and tasks.opened(uow)
    assert manual.events == [] and default.events == []
    [task] = _tasks(sessions)
    assert (task.action, task.values) == ("members", {"invite": "ana@example.com"})
    with sessions() as s:
        assert s.scalars(select(SeatMember.email)).all() == ["ana@example.com"]


def test_a_partial_api_calls_what_it_offers(
    db: Engine, sessions: sessionmaker[Session], clock: FixedClock, catalog: Catalog
) -> None:
    """A vendor whose API snapshots accounts is called for a snapshot (no task) but not for a status."""
    partial = PartialProvider()
    ports = AccountPorts(clock, catalog, partial, SimulatedGateway())
    owner = _agency(sessions)
    with SqlUnitOfWork(sessions) as uow:
        snapshots.take_snapshot(uow, ports, owner, "acme-t0test")
        assert not tasks.opened(uow)
    with SqlUnitOfWork(sessions) as uow:
        disable(uow, ports, owner, "acme-t0test", reason="r", login_message=None)
    assert partial.events == []
    assert [t.action for t in _tasks(sessions)] == ["status"]
    assert [t.values for t in _tasks(sessions)] == [{"status": "disabled"}]


def test_the_same_change_opens_one_task_and_a_newer_one_replaces_it(
    ports: AccountPorts, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    """Reset asked twice: one task. Disable then enable: the enable task replaces the disable one.
    Once done, the same change again opens a new task."""
    owner = _agency(sessions)
    name = "acme-t0test"
    for _ in range(2):
        with SqlUnitOfWork(sessions) as uow:
            access.send_reset(uow, ports, owner, name)
    assert len(_tasks(sessions)) == 1
    with SqlUnitOfWork(sessions) as uow:
        disable(uow, ports, owner, name, reason="r", login_message=None)
    from domain.accounts.changes import enable

    with SqlUnitOfWork(sessions) as uow:
        enable(uow, ports, owner, name)
    states = {(t.action, t.values.get("status")): t.state for t in _tasks(sessions)}
    assert states[("status", "disabled")] == "replaced" and states[("status", "active")] == "open"
    with sessions() as s:  # the replaced task's post, not sent yet, is dropped: only the latest goes
        query = select(Notice.dedupe_key, Notice.status).where(Notice.kind == rules.PORTAL_TASK)
        posts = {str(row[0]): str(row[1]) for row in s.execute(query).all()}
    replaced = next(t.id for t in _tasks(sessions) if t.state == "replaced")
    assert posts[tasks.notice_key(replaced)] == "skipped"
    assert sorted(posts.values()) == ["pending", "pending", "skipped"]
    reset = next(t for t in _tasks(sessions) if t.action == "password")
    with SqlUnitOfWork(sessions) as uow:
        tasks.complete_task(uow, uow.session, clock, owner, str(reset.id))
    with SqlUnitOfWork(sessions) as uow:
        access.send_reset(uow, ports, owner, name)
    assert [t.state for t in _tasks(sessions) if t.action == "password"] == ["done", "open"]
    with sessions() as s:
        open_total, listed = tasks.open_tasks(s, owner.agency_id)
    assert open_total == 2 and [t.action for t in listed] == ["status", "password"]


def test_done_once_by_a_member_refused_to_others(
    ports: AccountPorts, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    """A viewer, another agency's owner and a made-up id are refused and write nothing; a manager marks
    it done (audited, its unsent post dropped); a second click says who did it."""
    owner = _agency(sessions)
    other = _agency(sessions, team="T0OTHER", owner="U0OTHER")
    with SqlUnitOfWork(sessions) as uow:
        access.send_reset(uow, ports, owner, "acme-t0test")
    [task] = _tasks(sessions)
    before = _counts(sessions)
    viewer = Actor(owner.agency_id, "U0VIEW", Role.VIEWER)
    for actor, value, error in (
        (viewer, str(task.id), Forbidden),
        (other, str(task.id), NotFound),
        (owner, "99999999999999999999999", NotFound),
        (owner, "12abc", NotFound),
    ):
        with SqlUnitOfWork(sessions) as uow, pytest.raises(error):
            tasks.complete_task(uow, uow.session, clock, actor, value)
    assert _counts(sessions) == before
    manager = Actor(owner.agency_id, "U0MGR", Role.MANAGER)
    with SqlUnitOfWork(sessions) as uow:
        first = tasks.complete_task(uow, uow.session, clock, manager, str(task.id))
    with SqlUnitOfWork(sessions) as uow:
        second = tasks.complete_task(uow, uow.session, clock, owner, str(task.id))
    assert not first.already and second.already and second.task.done_by == "U0MGR"
    with sessions() as s:
        assert s.scalars(select(Notice.status)).all() == ["skipped"]  # never posted: nothing to do
        done = s.scalars(select(AuditEntry).where(AuditEntry.action == "portal_task.done")).all()
    assert [(a.actor, a.target) for a in done] == [("U0MGR", "acme-t0test")]


def test_two_clicks_at_the_same_instant_mark_it_once(
    ports: AccountPorts, sessions: sessionmaker[Session], clock: FixedClock, database_url: str
) -> None:
    """Two processes pressing Done at once: one marks it, the other is told it was already done."""
    owner = _agency(sessions)
    with SqlUnitOfWork(sessions) as uow:
        access.send_reset(uow, ports, owner, "acme-t0test")
    [task] = _tasks(sessions)
    engines = [make_engine(database_url) for _ in range(2)]
    results: list[bool] = []
    lock = threading.Lock()

    def click(engine: Engine) -> None:
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            done = tasks.complete_task(uow, uow.session, clock, owner, str(task.id))
        with lock:
            results.append(done.already)

    try:
        at_the_same_instant(click, engines)
    finally:
        for engine in engines:
            engine.dispose()
    assert sorted(results) == [False, True]
    with sessions() as s:
        assert s.scalar(select(func.count()).where(AuditEntry.action == "portal_task.done")) == 1


def test_posted_once_and_reminded_daily_until_done(
    ports: AccountPorts,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    settings: Settings,
    slack: LocalSlack,
    catalog: Catalog,
    database_url: str,
) -> None:
    """The task is posted once even when two senders run at the same instant and Slack fails a post;
    the next days' runs repeat it in a reminder until it is done; its message's ts is kept."""
    owner = _agency(sessions)
    with sessions.begin() as s:
        account = s.scalars(select(Account)).one()
        account.status, account.period_end = "expired", date(2026, 11, 20)
    with SqlUnitOfWork(sessions) as uow:
        renew(uow, ports, owner, "acme-t0test", request_key="r1", billing_profile_id=None)
    slack.fail_every = 2
    engines = [make_engine(database_url) for _ in range(2)]

    def job(engine: Engine) -> None:
        run_notices(settings, make_session_factory(engine), catalog, clock, sleep=lambda s: None)

    try:
        at_the_same_instant(job, engines)
        slack.fail_every = 0
        clock.advance(timedelta(hours=1))
        at_the_same_instant(job, engines)
    finally:
        for engine in engines:
            engine.dispose()
    cards = [c for c in slack.of("chat.postMessage") if "Portal task" in str(c.params.get("text"))]
    assert len(cards) == 1 and "Set *acme-t0test* to active, on the plan" in str(cards[0].params["blocks"])
    [task] = _tasks(sessions)
    assert task.message_ts == cards[0].response["ts"] and task.channel == CHANNEL
    for day in (1, 2):
        clock.advance(timedelta(days=1))
        run_notices(settings, sessions, catalog, clock, sleep=lambda s: None)
        run_notices(settings, sessions, catalog, clock, sleep=lambda s: None)
        reminders = [c for c in slack.of("chat.postMessage") if "still open" in str(c.params.get("text"))]
        assert len(reminders) == day
    with SqlUnitOfWork(sessions) as uow:
        tasks.complete_task(uow, uow.session, clock, owner, str(task.id))
    clock.advance(timedelta(days=1))
    run_notices(settings, sessions, catalog, clock, sleep=lambda s: None)
    assert len([c for c in slack.of("chat.postMessage") if "still open" in str(c.params.get("text"))]) == 2


def test_a_replaced_task_cannot_be_done(
    ports: AccountPorts, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    """Done on a task a newer one replaced says to do the newer one, and writes nothing."""
    owner = _agency(sessions)
    with SqlUnitOfWork(sessions) as uow:
        set_notification_email(uow, ports, owner, "acme-t0test", "a@agency.example")
    with SqlUnitOfWork(sessions) as uow:
        set_notification_email(uow, ports, owner, "acme-t0test", "b@agency.example")
    old = _tasks(sessions)[0]
    before = _counts(sessions)
    with SqlUnitOfWork(sessions) as uow, pytest.raises(Conflict):
        tasks.complete_task(uow, uow.session, clock, owner, str(old.id))
    assert _counts(sessions) == before
