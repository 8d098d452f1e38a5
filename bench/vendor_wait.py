"""Add-account submissions while the vendor takes 5 s to create each account (SPEC §9 Slow vendors).

The app is served as for every other interaction (gunicorn, 2 workers) but with the ActiveCampaign
adapter (`RESELLER_PROVIDER=activecampaign`) pointed at the Partners Hub stand-in, whose create call
(`POST /api/child-accounts/v1/`) waits `CREATE_DELAY` seconds in its server thread; its other calls
(the name check, the look-up after the create) answer at once. The submission is timed as the plain
add-account one (a fresh form per submission); the vendor's wait is after the ack, in the runners.
Afterwards the bench waits for the runners to drain and counts what was really created."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from bench.harness import Client, Stats, measure, server
from bench.scenarios import accepted, add_account
from bot.shell.localslack import LocalSlack
from domain.store.db import make_engine
from domain.store.models import Account, VendorOperation
from domain.vendors.activecampaign import ACCOUNTS
from tests.standins.partners_hub import API_KEY, PartnersHub

CREATE_DELAY = 5.0
NAME = f"add-account submission, vendor create takes {CREATE_DELAY:g} s"


class SlowCreateHub(PartnersHub):
    """The stand-in whose account creation alone takes `create_delay` seconds."""

    create_delay: float = CREATE_DELAY

    def handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        if method == "POST" and target.split("?", 1)[0] == ACCOUNTS:
            time.sleep(self.create_delay)
        return super().handle(method, target, headers, raw)


@dataclass
class Drained:
    submitted: int
    created: int
    """Accounts out of `creating` (created at the vendor and recorded)."""
    at_vendor: int
    """Accounts the stand-in holds (each made by one create call)."""
    succeeded: int
    failed: int
    backlog: int
    """Operations pending or running when the last submission was answered."""
    drain_s: float
    """From the last answer until no operation was pending or running."""
    left: int
    """Operations still pending or running when the bench stopped waiting."""


def _last_operation(url: str) -> int:
    """The newest operation before this scenario (the plain add-account one made its own)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        last = conn.scalar(select(func.max(VendorOperation.id)))
    engine.dispose()
    return int(last or 0)


def _operations(url: str, since: int) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(VendorOperation.state, func.count())
            .where(VendorOperation.kind == "provision_account", VendorOperation.id > since)
            .group_by(VendorOperation.state)
        ).all()
    engine.dispose()
    return {str(state): int(count) for state, count in rows}


def _created(url: str, since: int) -> int:
    """Accounts of this scenario's operations that left `creating` (a failed one removes its row)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(
            select(func.count())
            .select_from(Account)
            .join(VendorOperation, VendorOperation.account_id == Account.id)
            .where(
                VendorOperation.kind == "provision_account",
                VendorOperation.id > since,
                Account.status != "creating",
            )
        )
    engine.dispose()
    return int(count or 0)


def slow_vendor(
    url: str, slack: LocalSlack, n: int, warmup: int = 10, wait_s: float = 600.0
) -> tuple[Stats, Drained]:
    since = _last_operation(url)
    hub = SlowCreateHub().start()
    env = {
        "RESELLER_PROVIDER": "activecampaign",
        "AC_PARTNER_API_URL": hub.url,
        "AC_PARTNER_API_KEY": API_KEY,
    }
    try:
        with server("app", url, slack.api_url, extra_env=env) as port:
            client = Client(port)
            stats = measure(NAME, client, add_account(client, slack, url), n, accepted, warmup=warmup)
            ended = time.perf_counter()
            states = _operations(url, since)
            backlog = states.get("pending", 0) + states.get("running", 0)
            print(f"  {NAME}: p50 {stats.p50:.2f} ms, p99 {stats.p99:.2f} ms; backlog {backlog}", flush=True)
            left = backlog
            while left and time.perf_counter() - ended < wait_s:
                time.sleep(0.5)
                states = _operations(url, since)
                left = states.get("pending", 0) + states.get("running", 0)
            drain_s = time.perf_counter() - ended
    finally:
        hub.stop()
    drained = Drained(
        submitted=n + warmup,
        created=_created(url, since),
        at_vendor=len(hub.accounts),
        succeeded=states.get("succeeded", 0),
        failed=states.get("failed", 0),
        backlog=backlog,
        drain_s=drain_s,
        left=left,
    )
    print(
        f"  drained in {drain_s:.1f} s: {drained.created} of {drained.submitted} created "
        f"({drained.at_vendor} at the vendor), {drained.failed} failed, {left} left",
        flush=True,
    )
    return stats, drained
