"""Importing a vendor portfolio (`/agency import`'s work, `domain.portfolio_import`) of N simulated
accounts at 100 a page, in its own process so its peak RSS is its own; then a second import of the
same portfolio (adds nothing). `python -m bench.imports URL N [HUB_URL]` runs one and prints JSON.

With HUB_URL the vendor is the ActiveCampaign adapter over HTTP to the Partners Hub stand-in
(`tests/standins/partners_hub.py`, run by the bench in its own process, so the importer's peak RSS is
its own): the adapter's paging and parsing are in the figure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import OWNER


def import_rows(url: str, size: int, hub: bool = False) -> list[dict[str, object]]:
    """Wall seconds and peak RSS of one process importing `size` accounts, then importing them again;
    from the simulated vendor in memory, or (`hub`) over HTTP from the stand-in holding `size`."""
    from tests.standins.partners_hub import PartnersHub

    stand_in = PartnersHub().start() if hub else None
    if stand_in is not None:
        stand_in.seed(size, prefix="vend")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.imports", url, str(size), *([stand_in.url] if stand_in else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).parent.parent,
    )
    assert proc.stdout is not None
    output = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if stand_in is not None:
        stand_in.stop()
    vendor = "stand-in over HTTP" if hub else "simulated, in memory"
    if status != 0:
        print(output[-2000:], flush=True)
        return [
            {
                "accounts": size,
                "wall": wall,
                "rss": usage.ru_maxrss / 1024,
                "vendor": vendor,
                "detail": "failed",
            }
        ]
    result = json.loads(output.strip().splitlines()[-1])
    rss = float(result["peak_rss_mb"])
    rows: list[dict[str, object]] = []
    for run in ("first", "second"):
        rows.append(
            {
                "accounts": size,
                "run": run,
                "vendor": vendor,
                "wall": result[f"{run}_s"],
                "rss": rss,
                "detail": result[f"{run}_detail"],
            }
        )
    print(
        f"  import {size:,} ({vendor}): {result['first_s']:.1f} s, then {result['second_s']:.1f} s; "
        f"peak RSS {rss:.0f} MB (process)",
        flush=True,
    )
    return rows


def main(url: str, size: int, hub_url: str | None = None) -> None:
    from domain import portfolio_import
    from domain.agency import Actor
    from domain.catalog import load_catalog
    from domain.clock import SystemClock
    from domain.ports import Provider
    from domain.roles import Role
    from domain.simulated import SimulatedProvider
    from domain.store.db import make_engine, make_session_factory
    from domain.store.migrate import upgrade
    from domain.store.uow import SqlUnitOfWork
    from tests.factories import make_agency
    from tests.vendor import seed_vendor

    upgrade(url)
    catalog = load_catalog()
    engine = make_engine(url)
    sessions = make_session_factory(engine, catalog)
    with sessions.begin() as session:
        actor = Actor(
            make_agency(session, team_id=f"TBENCHIMPORT{time.time_ns()}"[:32], owner=OWNER).id,
            OWNER,
            Role.OWNER,
        )
    provider: Provider
    if hub_url:
        from domain.vendors.activecampaign import ActiveCampaignProvider
        from tests.standins.partners_hub import API_KEY

        provider = ActiveCampaignProvider(API_KEY, base_url=hub_url, catalog=catalog)
    else:
        provider = simulated = SimulatedProvider()
        seed_vendor(simulated, size, unreadable_every=50)
    clock = SystemClock()
    out: dict[str, object] = {}
    for run in ("first", "second"):
        started = time.perf_counter()
        with SqlUnitOfWork(sessions) as uow:
            begun = portfolio_import.start(uow, clock, provider, actor, request_key=run, channel=None)
        state = portfolio_import.run(
            lambda: SqlUnitOfWork(sessions), clock, catalog, provider, actor, import_id=begun.state.id
        )
        out[f"{run}_s"] = time.perf_counter() - started
        out[f"{run}_detail"] = (
            f"{state.status}: {state.added} added, {state.existing} already there, "
            f"{state.to_confirm} plan to confirm, {state.total_pages} pages"
        )
    engine.dispose()
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


def peak_rss_mb() -> float:
    """This process's own peak (`VmHWM`). Not `wait4`'s `ru_maxrss`: Linux carries the spawning
    process's peak over the exec (subprocess's vfork), so it reports the bench's own RSS whenever
    that is larger than the import's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
