"""`/billing history [YYYY-MM] csv` over signed HTTP: the invoices file of `reseller-bot export` goes to
the requester's DM through files_upload_v2 (the fake Slack records the upload and its content); someone
who may not read the books gets a refusal and no file."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from bot.shell.localslack import LocalSlack
from domain.store.models import Invoice
from tests.factories import make_account, make_agency
from tests.slackhttp import SlackHttp


def _invoices(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        agency = make_agency(s, team_id="T0TEST")
        account = make_account(s, agency, name="acme", client_name="=cmd")
        for n, at in enumerate((datetime(2026, 10, 5, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)), 1):
            s.add(
                Invoice(
                    agency_id=agency.id, account_id=account.id, number=f"INV-2026-{n:06d}", kind="renewal",
                    status="paid", currency="USD", lines=[], subtotal=Decimal("1234.5"),
                    total=Decimal("1234.5"), idempotency_key=f"k{n}", actor="U0OWNER", created_at=at,
                )
            )  # fmt: skip


def _uploaded(slack: LocalSlack) -> list[dict[str, str]]:
    [done] = slack.of("files.completeUploadExternal")
    [url] = slack.of("files.getUploadURLExternal")
    file_id = url.response["file_id"]
    assert done.params["channel_id"] == "DU0OWNER", done.params
    [(opened)] = slack.of("conversations.open")
    assert opened.params["users"] == "U0OWNER"
    return list(csv.DictReader(io.StringIO(slack.uploads[file_id])))


def test_the_invoices_csv_of_a_month_is_uploaded_to_the_requester_privately(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session]
) -> None:
    _invoices(sessions)
    reply = http.command("/billing", "history 2026-11 csv")
    assert "invoices-2026-11.csv" in reply.text and "direct message" in reply.text, reply.text
    assert reply.body.get("response_type", "ephemeral") == "ephemeral"
    rows = _uploaded(slack)
    assert [(r["number"], r["total"], r["currency"]) for r in rows] == [("INV-2026-000002", "1234.50", "USD")]
    assert slack.of("files.getUploadURLExternal")[0].params["filename"] == "invoices-2026-11.csv"
    assert not slack.of("chat.postMessage")
    assert "csv` — the invoices as a CSV file" in http.command("/billing", "help").text


def test_all_invoices_without_a_month(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session]
) -> None:
    _invoices(sessions)
    assert "invoices-all.csv" in http.command("/billing", "history csv").text
    assert [r["number"] for r in _uploaded(slack)] == ["INV-2026-000001", "INV-2026-000002"]


def test_bad_words_and_strangers_get_no_file(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session]
) -> None:
    _invoices(sessions)
    assert "/billing history 2026-11 csv" in http.command("/billing", "history acme csv").text
    assert "YYYY-MM" in http.command("/billing", "history 2026-13 csv").text
    refused = http.command("/billing", "history csv", user="U0STRANGER")
    assert "invoices-all.csv" not in refused.text, refused.text
    assert not slack.of("files.getUploadURLExternal") and not slack.uploads
    assert "not a member" in refused.text


def test_when_slack_refuses_the_upload_the_requester_is_told(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session]
) -> None:
    _invoices(sessions)
    slack.fail_next(500, method="files.getUploadURLExternal", times=5)
    reply = http.command("/billing", "history csv")
    assert reply.status == 200 and "did not take the file" in reply.text, reply.text
