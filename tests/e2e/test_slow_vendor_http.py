"""The add-account modal over signed HTTP with a vendor that takes its time or refuses (SPEC §9).

The stand-in vendor blocks on an Event the test releases (a "10 s" vendor without 10 s of wall
clock): the submission is answered at once, the credentials come after, in the modal or (the modal
closed) in a message only the creator sees; a refusal naming a field says which, voids the charge,
keeps nothing, and its button reopens the form prefilled."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.operations import drain_all
from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.ports import ProviderError, Provisioned, ProvisionRequest
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.models import Account, Invoice
from tests.e2e.test_accounts_http import add_values, agency_with_profile, created_view, password_of
from tests.slackhttp import SlackHttp


class GatedVendor(SimulatedProvider):
    """Creates accounts only once `release` is set (a slow vendor); `refuse` makes it refuse instead."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.refuse: ProviderError | None = None

    def provision(self, request: ProvisionRequest) -> Provisioned:
        assert self.release.wait(30), "the test never released the vendor"
        if self.refuse is not None:
            raise self.refuse
        return super().provision(request)


@pytest.fixture
def provider() -> GatedVendor:
    return GatedVendor()


def submit(http: SlackHttp, profile_id: int) -> tuple[float, dict[str, Any], dict[str, Any]]:
    http.command("/accounts", "add")
    view = http.opened_view()
    started = time.perf_counter()
    reply = http.submit(view, add_values(profile_id))
    return time.perf_counter() - started, reply.body, view


def test_a_slow_vendor_is_waited_for_after_the_answer(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session], db: Engine, provider: GatedVendor
) -> None:
    _, profile_id = agency_with_profile(http, sessions)
    mark = slack.mark()
    elapsed, body, _ = submit(http, profile_id)
    print(f"\nsubmission answered in {elapsed * 1000:.0f} ms while the vendor was still creating")
    assert elapsed < 1.0 and "Creating" in json.dumps(body["view"])
    with sessions() as session:
        assert session.scalars(select(Account.status)).one() == "creating"
    assert "creating" in http.command("/accounts", "show acme-shop").text.lower()
    provider.release.set()
    shown = created_view(slack, mark)
    password = password_of(shown)
    meta = MetaData()
    meta.reflect(db)
    with db.connect() as conn:
        dump = "".join(str(row) for table in meta.sorted_tables for row in conn.execute(table.select()))
    assert password not in dump
    with sessions() as session:
        assert session.scalars(select(Account.status)).one() == "active"
    ephemeral = slack.of("chat.postEphemeral")[-1].params
    assert "acme-shop" in ephemeral["text"] and password not in json.dumps(ephemeral)


def test_a_closed_modal_gets_the_credentials_in_a_message_only_the_creator_sees(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session], provider: GatedVendor
) -> None:
    _, profile_id = agency_with_profile(http, sessions)
    submit(http, profile_id)
    mark = slack.mark()
    slack.fail_next(404, method="views.update")
    provider.release.set()
    assert drain_all(30)
    told = [c for c in slack.since(mark) if c.method == "chat.postEphemeral"]
    assert len(told) == 1 and told[0].params["user"] == "U0OWNER"
    assert "Password" in json.dumps(told[0].params) and not slack.of("chat.postMessage")


def test_a_refusal_names_the_field_voids_the_charge_and_reopens_the_form(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session], db: Engine, provider: GatedVendor
) -> None:
    _, profile_id = agency_with_profile(http, sessions)
    provider.refuse = ProviderError("the client email is refused", field="client_email")
    mark = slack.mark()
    submit(http, profile_id)
    provider.release.set()
    failed = created_view(slack, mark)
    text = json.dumps(failed)
    assert "the client email is refused" in text and "Client email" in text and "voided" in text
    with db.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Account)).scalar_one() == 0
        assert conn.execute(select(Invoice.status)).scalar_one() == "void"
    button = next(e for b in failed["blocks"] if b["type"] == "actions" for e in b["elements"])
    mark = slack.mark()
    http.click(button["action_id"], button["value"], surface="modal", view={**failed, "id": "V0FAILED"})
    reopened = [c for c in slack.since(mark) if c.method == "views.update"]
    assert reopened and "boss@acme.example" in json.dumps(reopened[-1].params["view"])
    assert "acme-shop" in json.dumps(reopened[-1].params["view"])
    provider.refuse = None
    again = http.submit(
        json.loads(json.dumps(reopened[-1].params["view"])) | {"id": "V0FAILED"}, add_values(profile_id)
    )
    assert again.body.get("response_action") == "update", again.body
    assert drain_all(30)
    with db.connect() as conn:
        assert conn.execute(select(Account.status)).scalar_one() == "active"


def test_a_snapshot_is_taken_after_the_answer_and_the_asker_told(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session], provider: GatedVendor
) -> None:
    from domain.store.models import Agency, Snapshot
    from tests.factories import make_account

    http.command("/agency", "members")
    with sessions.begin() as session:
        make_account(session, session.scalars(select(Agency)).one(), name="acme", provider_ref="acc_acme")
    mark = slack.mark()
    reply = http.command("/accounts", "snapshot acme")
    assert "Taking a snapshot of acme" in reply.text
    assert drain_all(30)
    told = [c for c in slack.since(mark) if c.method == "chat.postEphemeral"]
    assert len(told) == 1 and "Snapshot acme" in told[0].params["text"]
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Snapshot)) == 1


def test_the_scheduler_resumes_an_operation_a_stopped_process_left_and_tells_the_creator(
    settings: Settings,
    slack: LocalSlack,
    sessions: sessionmaker[Session],
    clock: FixedClock,
    catalog: Catalog,
    gateway: SimulatedGateway,
) -> None:
    """The web process recorded the account and stopped before its runner ran: the scheduler's
    minute sweep creates it and, the modal being gone, tells the creator in a message only they see."""
    from bot.jobs.scheduler import Scheduler
    from domain.accounts.common import AccountPorts
    from domain.accounts.service import add_account
    from domain.agency import Actor
    from domain.roles import Role
    from domain.store.uow import SqlUnitOfWork
    from tests.factories import make_agency, make_profile
    from tests.integration.test_accounts_services import command

    with sessions.begin() as session:
        agency = make_agency(session)
        ids = agency.id, make_profile(session, agency).id
    ports = AccountPorts(clock, catalog, SimulatedProvider(), gateway)
    notify = {"user": "U0OWNER", "channel": "C0TEST", "view_id": "V0GONE", "language": "fr"}
    with SqlUnitOfWork(sessions) as uow:
        add_account(uow, ports, Actor(ids[0], "U0OWNER", Role.OWNER), command(ids[1]), notify)
    slack.fail_next(404, method="views.update")
    mark = slack.mark()
    scheduler = Scheduler(settings, clock=clock)
    try:
        scheduler.sweep_operations()
    finally:
        scheduler.stop()
    told = [c for c in slack.since(mark) if c.method == "chat.postEphemeral"]
    assert len(told) == 1 and "Mot de passe" in json.dumps(told[0].params, ensure_ascii=False)
    with sessions() as session:
        assert session.scalars(select(Account.status)).one() == "active"


def test_operations_run_by_hand_says_when_nothing_is_due(tmp_path: Path) -> None:
    from tests.e2e.test_processes import run_cli

    result = run_cli(tmp_path, "operations", "run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no vendor operation was due"
