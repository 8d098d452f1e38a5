"""The daily expiry of four-eyes requests: past their 24 hours they are marked expired and audited
(`domain.approval_expiry`), and their channel messages lose Approve / Reject and say so, in the
agency's language. Safe to run twice: an expired request is not expired again, and a message already
updated is not updated again; one whose update failed is retried by the next run."""

from __future__ import annotations

import logging
from datetime import date

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot.commands.approvals import request_message
from bot.i18n import Translator
from domain import approvals
from domain.clock import Clock, today
from domain.jobs import JobReport
from domain.store.models import Agency
from domain.store.uow import SqlUnitOfWork

log = logging.getLogger("reseller_desk.approvals")
JOB = "approvals"


def run_approval_expiry(
    sessions: sessionmaker[Session], clock: Clock, client: WebClient | None, *, day: date | None = None
) -> JobReport:
    report = JobReport(JOB, day or today(clock))
    with SqlUnitOfWork(sessions) as uow:
        expired = approvals.expire_all(uow, clock)
    if expired:
        report.count("expired", len(expired))
    if client is None:  # no bot token (local use): the messages are updated by a run that has one
        return report
    with SqlUnitOfWork(sessions) as uow:
        todo = []
        for approval in approvals.messages_to_update(uow, clock):
            agency = uow.session.get_one(Agency, approval.agency_id)
            t = Translator(agency.language, agency.currency, agency.timezone)
            message = request_message(t, approval)
            todo.append((approval.id, str(approval.channel), str(approval.message_ts), message))
    for approval_id, channel, ts, message in todo:
        try:
            client.chat_update(channel=channel, ts=ts, text=message["text"], blocks=message["blocks"])
        except SlackApiError as error:  # retried by the next run; the request is expired already
            log.warning("approval %s: message not updated: %s", approval_id, error.response.get("error"))
            report.count("message_failed")
            continue
        with SqlUnitOfWork(sessions) as uow:
            approvals.mark_shown(uow, approval_id)
        report.count("message_updated")
    return report
