"""The daily expiry of four-eyes requests: past their 24 hours they are marked expired and audited
(`domain.approvals.expiry`), and their channel messages lose Approve / Reject and say so, in the
agency's language. Safe to run twice: an expired request is not expired again, and a message already
updated is not updated again; one whose update failed is retried by the next run."""

from __future__ import annotations

import logging
from datetime import date

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.commands.approvals import request_message
from bot.i18n import Translator
from bot.jobs.workspace_clients import WorkspaceClients
from domain.approvals import expiry
from domain.clock import Clock, today
from domain.jobs import JobReport
from domain.store.models import Agency
from domain.store.suspended import note_skipped
from domain.store.uow import SqlUnitOfWork

log = logging.getLogger("reseller_desk.approvals")
JOB = "approvals"


def run_approval_expiry(
    sessions: sessionmaker[Session],
    clock: Clock,
    clients: WorkspaceClients | None,
    *,
    day: date | None = None,
) -> JobReport:
    """`clients`: each agency's Slack client (`bot.jobs.workspace_clients`). A suspended agency's requests
    wait for its reinstall, untouched."""
    report = JobReport(JOB, day or today(clock))
    with SqlUnitOfWork(sessions) as uow:
        expired = expiry.expire_all(uow, clock)
        note_skipped(uow.session, report)
    if expired:
        report.count("expired", len(expired))
    if clients is None or not clients.can_post:  # local use: a run with a token updates the messages
        return report
    with SqlUnitOfWork(sessions) as uow:
        todo = []
        for approval in expiry.messages_to_update(uow, clock):
            agency = uow.session.get_one(Agency, approval.agency_id)
            t = Translator(agency.language, agency.currency, agency.timezone)
            message = request_message(t, approval)
            todo.append(
                (approval.agency_id, approval.id, str(approval.channel), str(approval.message_ts), message)
            )
    for agency_id, approval_id, channel, ts, message in todo:
        client = clients.for_agency(agency_id)
        if client is None:  # suspended since, or no installation: the next run after a reinstall
            report.count("message_waiting")
            continue
        try:
            client.chat_update(channel=channel, ts=ts, text=message["text"], blocks=message["blocks"])
        except SlackApiError as error:  # retried by the next run; the request is expired already
            log.warning("approval %s: message not updated: %s", approval_id, error.response.get("error"))
            clients.refused_by(agency_id, error)
            report.count("message_failed")
            continue
        with SqlUnitOfWork(sessions) as uow:
            expiry.mark_shown(uow, approval_id)
        report.count("message_updated")
    return report
