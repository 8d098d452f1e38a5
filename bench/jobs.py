"""The daily jobs over a large portfolio, each in its own process so peak RSS is the job's own."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bench.harness import BIN, OWNER, TEAM
from bot.shell.seed import seed_accounts
from domain.store.db import make_engine
from domain.store.migrate import upgrade


def run_job(url: str, job: str, day: date, api_url: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and the job's own summary line."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RESELLER_OWNERS": OWNER,
        "SLACK_API_URL": api_url,
        "SLACK_BOT_TOKEN": "xoxb-bench-token",
        "SLACK_SIGNING_SECRET": "bench-signing-secret-0123456789",
    }
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(BIN / "reseller-bot"), "jobs", job, "--date", day.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=Path(__file__).parent.parent,
    )
    assert proc.stdout is not None
    output = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        return (
            wall,
            usage.ru_maxrss / 1024,
            "failed: " + output.strip().splitlines()[-1][:120] if output else "failed",
        )
    summary = next((line for line in output.splitlines() if " for " in line), output.strip()[:120])
    return wall, usage.ru_maxrss / 1024, summary.replace("|", "/")


def job_rows(url: str, size: int, api_url: str) -> list[dict[str, object]]:
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    seed_accounts(engine, TEAM, OWNER, size, today=datetime.now(UTC).date())
    engine.dispose()
    print(f"  seeded {size:,} in {time.perf_counter() - started:.1f} s", flush=True)
    rows: list[dict[str, object]] = []
    for job in ("statuses", "billing", "notices"):
        wall, rss, summary = run_job(url, job, datetime.now(UTC).date(), api_url)
        rows.append(
            {
                "accounts": size,
                "job": job,
                "wall": wall,
                "rss": rss,
                "rate": size / wall if wall else 0,
                "detail": summary,
            }
        )
        print(f"  {job}: {wall:.1f} s, {rss:.0f} MB — {summary}", flush=True)
    return rows
