"""Prometheus metrics: `/metrics` in the text format when `METRICS=on` (`bot.server`).

Requests by interaction and outcome with their latency (`bot.logs.LoggedApp`), job runs by job
(`bot.jobs.daily`), vendor operations by kind and outcome and vendor HTTP calls by outcome (hooks the domain
exposes, registered here, so `domain` never imports prometheus), and the outbox's depth and its oldest
waiting notice's age, read from the database at scrape time.

Interaction labels are the app's own names (`command:/accounts`, `action:accounts_page`); past
`MAX_INTERACTIONS` distinct names, and for requests Bolt turned away, the label is `other`, so a
client cannot grow the series without bound.

Under gunicorn each worker process has its own registry: a scrape sees the worker that answered it.
With `PROMETHEUS_MULTIPROC_DIR` set (before start, an empty directory) the workers write their
samples there and every scrape sums them.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from domain.clock import Clock
from domain.store.models import Agency, Notice

log = logging.getLogger("reseller_desk.metrics")
MAX_INTERACTIONS = 200
OUTCOMES = ("ok", "refused", "error", "rejected")

REQUESTS = Counter(
    "reseller_desk_requests", "Slack requests handled, by interaction and outcome", ["interaction", "outcome"]
)
REQUEST_SECONDS = Histogram(
    "reseller_desk_request_duration_seconds",
    "Time to answer a Slack request",
    ["interaction"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
JOB_RUNS = Counter("reseller_desk_job_runs", "Daily job runs, by job and outcome", ["job", "outcome"])
JOB_SECONDS = Histogram(
    "reseller_desk_job_duration_seconds",
    "Time a daily job ran",
    ["job"],
    buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0),
)
OPERATIONS = Counter(
    "reseller_desk_vendor_operations", "Vendor operations run, by kind and outcome", ["kind", "outcome"]
)
VENDOR_CALLS = Counter(
    "reseller_desk_vendor_calls", "HTTP calls to the vendor's API, by outcome", ["outcome"]
)

_known: set[str] = set()
_lock = threading.Lock()


def interaction_label(kind: str, name: str, *, accepted: bool) -> str:
    """`kind:name` for the first `MAX_INTERACTIONS` names of accepted requests, else `other`."""
    if not accepted or name == "-":
        return "other"
    label = f"{kind}:{name}"
    with _lock:
        if label in _known:
            return label
        if len(_known) >= MAX_INTERACTIONS:
            return "other"
        _known.add(label)
    return label


def outcome_label(outcome: str) -> str:
    """The request line's outcome (`refused:NotAllowed`, `failed`…) as one of `OUTCOMES`."""
    head = outcome.split(":", 1)[0]
    if head == "failed":
        return "error"
    return head if head in OUTCOMES else "error"


def observe_request(interaction: str, outcome: str, seconds: float) -> None:
    REQUESTS.labels(interaction, outcome).inc()
    REQUEST_SECONDS.labels(interaction).observe(seconds)


def observe_job(job: str, outcome: str, seconds: float) -> None:
    JOB_RUNS.labels(job, outcome).inc()
    JOB_SECONDS.labels(job).observe(seconds)


def observe_operation(kind: str, outcome: str) -> None:
    OPERATIONS.labels(kind[:32], outcome).inc()


def observe_vendor_call(outcome: str) -> None:
    VENDOR_CALLS.labels(outcome).inc()


def install_hooks() -> None:
    """Registers the domain's observers once (vendor operations, vendor HTTP calls)."""
    from domain import operations
    from domain.vendors import activecampaign

    if observe_operation not in operations.OBSERVERS:
        operations.OBSERVERS.append(observe_operation)
    if observe_vendor_call not in activecampaign.CALL_OBSERVERS:
        activecampaign.CALL_OBSERVERS.append(observe_vendor_call)


class OutboxCollector(Collector):
    """The outbox at scrape time: how many notices wait to be sent and how old the oldest is."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions, self.clock = sessions, clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("reseller_desk_outbox_depth", "Notices waiting to be sent")
        age = GaugeMetricFamily(
            "reseller_desk_outbox_oldest_age_seconds", "Age of the oldest notice waiting to be sent"
        )
        held = GaugeMetricFamily(
            "reseller_desk_outbox_held",
            "Notices kept for agencies whose Slack workspace removed the app (sent if it is installed again)",
        )
        try:
            with self.sessions() as session:
                waiting = (
                    select(func.count(Notice.id), func.min(Notice.created_at))
                    .join(Agency, Agency.id == Notice.agency_id)
                    .where(Notice.status == "pending")
                )
                count, oldest = session.execute(waiting.where(Agency.suspended_at.is_(None))).one()
                suspended = waiting.with_only_columns(func.count(Notice.id))
                kept = session.scalar(suspended.where(Agency.suspended_at.is_not(None)))
        except SQLAlchemyError:
            log.warning("metrics: the outbox could not be read")
            return
        depth.add_metric([], float(count or 0))
        age.add_metric([], _age(self.clock.now(), oldest))
        held.add_metric([], float(kept or 0))
        yield depth
        yield age
        yield held


def _age(now: datetime, oldest: datetime | None) -> float:
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite hands back naive UTC
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - oldest).total_seconds())


class _Scrape:
    """What one scrape exposes: the process's (or the workers' summed) metrics and the outbox."""

    def __init__(self, extra: Iterable[Collector]) -> None:
        self.extra = list(extra)

    def collect(self) -> Iterator[Any]:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            yield from merged.collect()
        else:
            yield from REGISTRY.collect()
        for collector in self.extra:
            yield from collector.collect()


StartResponse = Callable[..., Any]


class MetricsEndpoint:
    """`GET /metrics`, behind `Authorization: Bearer <METRICS_TOKEN>` when a token is set."""

    def __init__(self, token: str | None, collectors: Iterable[Collector] = ()) -> None:
        self.token = token
        self.scrape = _Scrape(collectors)
        install_hooks()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        if self.token is not None:
            given = str(environ.get("HTTP_AUTHORIZATION") or "")
            expected = f"Bearer {self.token}"
            if not hmac.compare_digest(given.encode(), expected.encode()):
                body = b"unauthorized"
                start_response(
                    "401 Unauthorized",
                    [
                        ("Content-Type", "text/plain"),
                        ("Content-Length", str(len(body))),
                        ("WWW-Authenticate", "Bearer"),
                    ],
                )
                return [body]
        body = generate_latest(self.scrape)
        start_response(
            "200 OK",
            [
                ("Content-Type", CONTENT_TYPE_LATEST),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-store"),
            ],
        )
        return [body]
