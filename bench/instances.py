"""`/quote` throughput of one `reseller-bot serve` and of two on the same PostgreSQL database, the
requests spread evenly over the two (as a round-robin load balancer would), each instance as `make
bench` serves it (gunicorn, 2 workers × 8 threads, no scheduler). Same open-loop client as the
single-instance figure (`bench/throughput.py`, 64 connections, from a separate process)."""

from __future__ import annotations

from contextlib import ExitStack

from bench.harness import server
from bench.throughput import from_process
from bot.shell.localslack import LocalSlack

HEADING = "## `/quote` throughput: one instance and two on one PostgreSQL database"


def instance_rows(url: str, slack: LocalSlack, rates: list[int], seconds: float) -> list[dict[str, float]]:
    """For one instance, then two: each rate in turn until a request takes over 3 s or fails."""
    rows: list[dict[str, float]] = []
    for count in (1, 2):
        with ExitStack() as stack:
            ports = [stack.enter_context(server("app", url, slack.api_url)) for _ in range(count)]
            for rate in rates:
                result = {"instances": float(count), **from_process(ports, rate, seconds, slack.base_url)}
                rows.append(result)
                print(
                    f"  {count} instance(s), {rate} req/s: p50 {result['p50']:.1f} ms, "
                    f"max {result['max']:.1f} ms, errors {result['errors']:.0f}",
                    flush=True,
                )
                if result["max"] > 3000 or result["errors"]:
                    break
    return rows


def best(rows: list[dict[str, float]], count: int) -> float:
    return max(
        (r["rate"] for r in rows if r["instances"] == count and r["max"] <= 3000 and not r["errors"]),
        default=0.0,
    )


def section(rows: list[dict[str, float]], seconds: float, machine: str, when: str) -> list[str]:
    one, two = best(rows, 1), best(rows, 2)
    lines = [
        HEADING,
        "",
        f"Machine: {machine}",
        f"Run: {when}, {seconds:g} s per rate (`bench/instances.py`).",
        "",
        "Two `reseller-bot serve` processes (gunicorn, 2 workers × 8 threads each) on one PostgreSQL",
        "database of 1,000 accounts, the client's 64 connections split evenly between them, against one",
        "such process alone. Both instances and the client share the machine's cores.",
        "",
        "| instances | offered req/s | sent | p50 ms | p99 ms | max ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['instances']:.0f} | {r['rate']:.0f} | {r['sent']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | "
            f"{r['max']:.1f} | {r['errors']:.0f} |"
        )
    ratio = f" ({two / one:.2f}× one)" if one else ""
    lines += [
        "",
        f"Highest rate with no request over 3 s: one instance **{one:.0f} req/s**, two together "
        f"**{two:.0f} req/s**{ratio}.",
    ]
    return lines


def replace_section(document: str, lines: list[str]) -> str:
    """`document` (a results file) with this section replaced, or added before the notes."""
    block = "\n".join(lines) + "\n"
    if HEADING in document:
        start = document.index(HEADING)
        end = document.find("\n## ", start + len(HEADING))
        return document[:start] + block + (document[end:] if end != -1 else "")
    notes = document.find("\n## Notes")
    if notes == -1:
        return document.rstrip("\n") + "\n\n" + block
    return document[:notes] + "\n" + block + document[notes:]
