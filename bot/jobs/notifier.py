"""Posting the notice outbox to each agency's channel: `run_notices` sweeps then sends.

Slack's answers are honoured (`bot.jobs.slack_sender`): 429 waits for `Retry-After`, 5xx and network
errors are retried with backoff, and whatever still fails goes back to the outbox for a later run. Posts to one channel are
at least a second apart. Every message carries a marker in its metadata (`reseller_notice`); a
sender taking over a claim left by a crashed one looks the marker up in the channel history
(`conversations.history`, scopes `channels:history`/`groups:history`) and records the `ts` it finds
instead of posting again. Without that scope it cannot look and re-posts: a possible duplicate is
preferred to a lost "charge failed".
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import date

from slack_sdk import WebClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import Translator
from bot.jobs.slack_sender import SendFailed, SlackSender, Sleep
from bot.jobs.workspace_clients import WorkspaceClients
from bot.notice_render import render
from bot.settings import Settings
from domain.catalog import Catalog
from domain.clock import Clock, agency_clock, today
from domain.jobs import JobReport
from domain.notices import delivery, rules
from domain.notices.delivery import Held
from domain.notices.sweep import sweep
from domain.ports import Provider
from domain.store.models import Agency, Notice
from domain.store.suspended import note_skipped, suspended_ids
from domain.vendors import tasks

log = logging.getLogger("reseller_desk.notices")


def run_notices(
    settings: Settings,
    sessions: sessionmaker[Session],
    catalog: Catalog,
    clock: Clock,
    *,
    day: date | None = None,
    client: WebClient | None = None,
    sleep: Sleep = time.sleep,
    agency_ids: list[int] | None = None,
    sweep_first: bool = True,
    provider: Provider | None = None,
    clients: WorkspaceClients | None = None,
) -> list[JobReport]:
    """Sweep (unless `sweep_first` is False: a retry pass) then send, agency by agency, each with its
    own workspace's token (`clients`; `client` is single-workspace mode's, when the caller brings
    one). A suspended agency is skipped: nothing is queued or posted, what waits keeps waiting."""
    clients = clients or WorkspaceClients(settings, sessions, clock, client=client)
    report = JobReport("notices", day or today(clock))
    with sessions() as session:
        query = select(Agency.id, Agency.timezone).order_by(Agency.id)
        zones = {row.id: row.timezone for row in session.execute(query)}
        chosen = list(zones) if agency_ids is None else agency_ids
        suspended = suspended_ids(session, chosen)
        note_skipped(session, report, chosen)
    for agency_id in chosen:
        if agency_id in suspended:
            continue
        local = agency_clock(clock, zones.get(agency_id) or "UTC")
        if sweep_first:
            with sessions() as session, session.begin():
                agency = session.get_one(Agency, agency_id)
                on = day or today(local, agency.timezone)
                new = sweep(session, catalog, agency, on, local.now(), provider=provider)
                report.count("queued", new)
        agency_client = clients.for_agency(agency_id)
        if agency_client is None:
            _keep_without_token(sessions, agency_id, report, multi=clients.multi)
        else:
            sender = SlackSender(agency_client, local, sleep)
            deliver(sessions, sender, local, agency_id, report, refused=clients.refused)
    return [report]


def _keep_without_token(
    sessions: sessionmaker[Session], agency_id: int, report: JobReport, *, multi: bool
) -> None:
    with sessions() as session:
        name = session.get_one(Agency, agency_id).name
        waiting = _count_waiting(session, agency_id)
    if waiting:
        report.count("kept", waiting)
        why = (
            "its workspace has no installation of the app (or it was just removed)"
            if multi
            else "SLACK_BOT_TOKEN is not set, so nothing is posted to Slack (in the local shell, "
            "`/agency notices run` posts them)"
        )
        report.lines.append(f"{name}: {waiting} notice(s) kept in the outbox: {why}")


def deliver(
    sessions: sessionmaker[Session],
    sender: SlackSender,
    clock: Clock,
    agency_id: int,
    report: JobReport,
    *,
    refused: Callable[[int, str], bool] | None = None,
) -> None:
    """Post what is due for one agency. `refused(agency_id, error)` is told what Slack refused and
    says whether the token is dead (the agency is then suspended): what is left waits for the
    reinstall, not for a backoff."""
    token = uuid.uuid4().hex
    with sessions() as session, session.begin():
        agency = session.get_one(Agency, agency_id)
        channel, name = agency.notice_channel, agency.name
        t = Translator(agency.language, agency.currency, agency.timezone)
        if not channel:
            waiting = _count_waiting(session, agency_id)
            if waiting:
                report.count("waiting_for_channel", waiting)
                report.lines.append(
                    f"{name}: {waiting} notice(s) wait for a notice channel (/agency settings)"
                )
            return
        claim = delivery.claim(session, agency, clock.now(), token)
    if claim is None:
        report.count("busy")
        return
    remaining = _recover(sessions, sender=sender, clock=clock, channel=channel, claim=claim, report=report)
    planned = rules.plan_messages([(n.id, n.kind) for n in remaining])
    del remaining
    markers = [f"{token}.{i}" for i in range(len(planned))]
    with sessions() as session, session.begin():
        for plan, marker in zip(planned, markers, strict=True):
            delivery.assign(session, plan.notice_ids, marker, clock.now())
    for i, (plan, marker) in enumerate(zip(planned, markers, strict=True)):
        with sessions() as session:
            shown = delivery.details(session, plan.shown)
        message = render(plan, shown, t, marker)
        try:
            ts = sender.post(channel, message, marker, list(plan.notice_ids))
        except SendFailed as exc:
            rest = [n for p in planned[i:] for n in p.notice_ids]
            dead = refused is not None and refused(agency_id, exc.error)
            with sessions() as session, session.begin():
                delivery.release(
                    session,
                    plan.notice_ids,
                    clock.now(),
                    exc.error,
                    maybe_posted=exc.maybe_posted,
                    wait=not dead,
                )
                delivery.release(
                    session,
                    rest[len(plan.notice_ids) :],
                    clock.now(),
                    exc.error,
                    maybe_posted=False,
                    wait=not dead,
                )
            report.count("failed", len(rest))
            report.lines.append(f"{name}: {len(rest)} notice(s) kept for a later run: {exc.error}")
            if dead:
                report.count("suspended")
                report.lines.append(f"{name}: suspended, Slack refused its token ({exc.error})")
            return
        with sessions() as session, session.begin():
            delivery.mark_message_sent(session, agency_id, marker, channel=channel, ts=ts, now=clock.now())
            if plan.kind == rules.PORTAL_TASK:  # so Done pressed elsewhere updates this message
                tasks.record_posted(session, [int(n.payload.get("task_id") or 0) for n in shown], channel, ts)
            delivery.refresh(session, agency_id, markers[i + 1 :], clock.now())
        report.count("posted", len(plan.notice_ids))
        report.count("messages")
    if planned:
        report.lines.append(f"{name}: {len(planned)} message(s) in #{channel}")


def _count_waiting(session: Session, agency_id: int) -> int:
    query = select(func.count(Notice.id)).where(Notice.agency_id == agency_id, Notice.status == "pending")
    return int(session.scalar(query) or 0)


def _recover(
    sessions: sessionmaker[Session],
    *,
    sender: SlackSender,
    clock: Clock,
    channel: str,
    claim: delivery.Claim,
    report: JobReport,
) -> list[Held]:
    """Notices an earlier sender may have posted: found in the channel, they are marked, not re-sent."""
    found: set[int] = set()
    for marker, ids in claim.earlier_markers().items():
        ts = sender.find_posted(channel, marker, claim.since.get(marker, clock.now() - delivery.LEASE * 2))
        if ts is not None:
            with sessions() as session, session.begin():
                delivery.mark_sent(session, ids, channel, ts, clock.now())
            found.update(ids)
            report.count("recovered", len(ids))
    return [n for n in claim.notices if n.id not in found]
