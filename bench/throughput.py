"""Throughput from a separate process: open-loop signed `/quote` requests at a fixed rate.

Run as `python -m bench.throughput PORT[,PORT…] RATE SECONDS API_BASE`; prints JSON with the latencies
seen. The rate is held by a scheduler thread handing out send times to a pool of connection threads, so
a slow server shows up as latency rather than as a lower offered rate. With several ports (instances
behind a round-robin balancer) the connections are spread evenly over them.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time

from bench.harness import Client, command_body, percentile

THREADS = 64


def run(ports: list[int], rate: float, seconds: float, api_base: str) -> dict[str, float]:
    jobs: queue.Queue[float | None] = queue.Queue()
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker(port: int) -> None:
        client = Client(port)
        while True:
            due = jobs.get()
            if due is None:
                return
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                status, _elapsed, _server, _ = client.post(
                    command_body("/quote", "plus 2500 annual", api_base)
                )
                total = (time.perf_counter() - due) * 1000
            except OSError:
                status, total = 0, 30_000.0
                client = Client(port)
            with lock:
                latencies.append(total)
                if status != 200:
                    errors[0] += 1

    threads = [
        threading.Thread(target=worker, args=(ports[i % len(ports)],), daemon=True) for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    start = time.perf_counter() + 0.2
    count = int(rate * seconds)
    for i in range(count):
        jobs.put(start + i / rate)
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return {
        "rate": rate,
        "sent": count,
        "errors": errors[0],
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "max": max(latencies) if latencies else 0.0,
    }


def from_process(ports: list[int], rate: float, seconds: float, api_base: str) -> dict[str, float]:
    """`run` in a process of its own, so the client's work does not share the bench's interpreter."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.throughput",
            ",".join(str(port) for port in ports),
            str(rate),
            str(seconds),
            api_base,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 120,
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


if __name__ == "__main__":
    ports = [int(port) for port in sys.argv[1].split(",")]
    print(json.dumps(run(ports, float(sys.argv[2]), float(sys.argv[3]), sys.argv[4])))
