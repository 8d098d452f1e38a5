"""The metrics that read the database or hook the domain: the outbox at scrape time, vendor
operations by kind and outcome, vendor HTTP calls by outcome, job runs."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.jobs.daily import run_jobs
from bot.settings import Settings
from domain import operations
from domain.accounts.common import AccountPorts
from domain.accounts.provisioning import add_account_now
from domain.agency import Actor
from domain.clock import FixedClock
from domain.outbox import enqueue
from domain.ports import ProviderError
from domain.roles import Role
from domain.store.uow import SqlUnitOfWork
from domain.vendors import activecampaign
from domain.vendors.activecampaign import ActiveCampaignProvider
from domain.workspaces import suspend
from tests.integration.test_accounts_services import command, setup  # noqa: F401 - fixture
from tests.integration.test_vendor_operations import ScriptedProvider


@pytest.fixture
def provider() -> ScriptedProvider:
    return ScriptedProvider()


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_the_outbox_depth_and_oldest_age_are_read_at_scrape_time(
    sessions: sessionmaker[Session],
    clock: FixedClock,
    setup: tuple[AccountPorts, int, int],  # noqa: F811
) -> None:
    _, agency_id, _ = setup
    collector = metrics.OutboxCollector(sessions, clock)
    assert {f.name: f.samples[0].value for f in collector.collect()} == {
        "reseller_desk_outbox_depth": 0.0,
        "reseller_desk_outbox_oldest_age_seconds": 0.0,
        "reseller_desk_outbox_held": 0.0,
    }
    with sessions() as session:
        for days, kind in ((3, "renewal"), (1, "trial_ending")):
            enqueue(
                session,
                agency_id=agency_id,
                kind=kind,
                due_on=clock.now().date(),
                now=clock.now() - timedelta(days=days),
            )
        session.commit()
    clock.advance(timedelta(hours=1))
    found = {f.name: f.samples[0].value for f in collector.collect()}
    assert found == {
        "reseller_desk_outbox_depth": 2.0,
        "reseller_desk_outbox_oldest_age_seconds": 3 * 86400.0 + 3600.0,
        "reseller_desk_outbox_held": 0.0,
    }
    # The workspace removed the app: its notices are held, not late (SPEC §11).
    with SqlUnitOfWork(sessions) as uow:
        suspend(uow, clock, uow.agencies.get(agency_id).team_id, "app_uninstalled")
    found = {f.name: f.samples[0].value for f in collector.collect()}
    assert found == {
        "reseller_desk_outbox_depth": 0.0,
        "reseller_desk_outbox_oldest_age_seconds": 0.0,
        "reseller_desk_outbox_held": 2.0,
    }


def test_vendor_operations_are_counted_by_kind_and_outcome(
    sessions: sessionmaker[Session],
    setup: tuple[AccountPorts, int, int],  # noqa: F811
    provider: ScriptedProvider,
) -> None:
    metrics.install_hooks()
    assert operations.OBSERVERS.count(metrics.observe_operation) == 1
    ports, agency_id, profile_id = setup
    owner = Actor(agency_id, "U0OWNER", Role.OWNER)
    failed = value("reseller_desk_vendor_operations_total", kind="provision_account", outcome="failed")
    succeeded = value("reseller_desk_vendor_operations_total", kind="provision_account", outcome="succeeded")
    provider.failures.append(ProviderError("email is not valid at the vendor", field="client_email"))
    with SqlUnitOfWork(sessions) as uow:
        _, outcome = add_account_now(uow, ports, owner, command(profile_id))
    assert outcome is not None and outcome.kind == "provision_account" and outcome.state == "failed"
    with SqlUnitOfWork(sessions) as uow:
        _, done = add_account_now(uow, ports, owner, command(profile_id, key="nonce-2"))
    assert done is not None and done.state == "succeeded"
    assert (
        value("reseller_desk_vendor_operations_total", kind="provision_account", outcome="failed")
        == failed + 1
    )
    assert (
        value("reseller_desk_vendor_operations_total", kind="provision_account", outcome="succeeded")
        == succeeded + 1
    )


def test_vendor_http_calls_are_counted_by_outcome() -> None:
    metrics.install_hooks()
    assert activecampaign.CALL_OBSERVERS.count(metrics.observe_vendor_call) == 1
    answers = iter([httpx.Response(503), httpx.Response(200, json={"accounts": []}), httpx.Response(401)])
    provider = ActiveCampaignProvider(
        "k-123",
        base_url="http://vendor.test/",
        backoff=0.0,
        max_backoff=0.0,
        transport=httpx.MockTransport(lambda _request: next(answers)),
    )
    before = {o: value("reseller_desk_vendor_calls_total", outcome=o) for o in ("ok", "transient", "refused")}
    provider.list_accounts(1, 10)  # a 503 tried again, then a 200
    with pytest.raises(ProviderError):
        provider.list_accounts(1, 10)  # a 401
    after = {o: value("reseller_desk_vendor_calls_total", outcome=o) for o in ("ok", "transient", "refused")}
    assert {o: after[o] - before[o] for o in after} == {"ok": 1, "transient": 1, "refused": 1}


def test_job_runs_are_counted_with_their_duration(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    runs = value("reseller_desk_job_runs_total", job="statuses", outcome="ok")
    timed = value("reseller_desk_job_duration_seconds_count", job="statuses")
    run_jobs(settings, "statuses")
    assert value("reseller_desk_job_runs_total", job="statuses", outcome="ok") == runs + 1
    assert value("reseller_desk_job_duration_seconds_count", job="statuses") == timed + 1
