"""Issue 18 §2 over signed HTTP and in `shell --locale fr|it`: every word in the reader's language.

Members whose Slack is in French (U0FRENCH) or Italian (U0ITALIAN) meet roles in refusals, approval
states, the gateway's reasons, audit entries, the notice's View reply, the credits header of an agency
whose name starts with an article, seat members' administrator flag and counted nouns: each reads in
their language. Channel messages (an approval request, and its edits, by a click or by the expiry job)
are in the agency's language whoever asked.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.daily import run_jobs
from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from domain.clock import FixedClock
from domain.simulated import SimulatedProvider
from domain.store.models import Member, Notice, SeatMember
from tests.e2e.test_processes import run_cli
from tests.factories import NOW, make_account, make_agency, make_profile
from tests.slackhttp import SlackHttp, payload_text

NBSP, NNBSP = "\u00a0", "\u202f"
FR, IT = "U0FRENCH", "U0ITALIAN"
ENGLISH = ("viewer", "manager", "billing", "approved", "expired", "insufficient funds", "prepaid", "monthly")


def _plain(text: str) -> str:
    return text.replace(NNBSP, " ").replace(NBSP, " ")


def _agency(sessions: sessionmaker[Session], **fields: Any) -> int:
    with sessions.begin() as s:
        agency = make_agency(
            s, **{"currency": "EUR", "timezone": "Europe/Paris", "notice_channel": "C0NOTICES", **fields}
        )
        for user, role in ((FR, "billing"), (IT, "billing"), ("U0MGRFR", "manager"), ("U0VIEWIT", "viewer")):
            s.add(Member(agency_id=agency.id, user_id=user, role=role, added_by="t", created_at=NOW))
        make_profile(s, agency)
        make_account(s, agency, name="acme")
        return agency.id


@pytest.fixture
def readers(slack: LocalSlack) -> None:
    slack.user_locales.update({"U0MGRFR": "fr-FR", "U0VIEWIT": "it-IT"})


def _button(body: dict[str, Any], action_id: str) -> str:
    for block in body.get("blocks", []):
        for element in block.get("elements", []) + ([block["accessory"]] if block.get("accessory") else []):
            if element.get("action_id") == action_id:
                return str(element.get("value"))
    raise AssertionError(f"no {action_id} button in {body}")


def _said(slack: LocalSlack) -> str:
    return _plain(payload_text(slack.of("response_url")[-1].params))


def _request(http: SlackHttp, slack: LocalSlack, user: str) -> int:
    card = http.command("/credits", "buy prepaid 500", user=user)
    http.click("credits_buy_confirm", _button(card.body, "credits_buy_confirm"), user=user)
    return int(_button(slack.of("chat.postMessage")[-1].params, "approval_approve"))


@pytest.mark.usefixtures("readers")
def test_roles_in_refusals_read_in_the_readers_words(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """ "Votre rôle (lecteur)", "Il tuo ruolo (lettore)", "votre rôle est gestionnaire": the role the
    refusal names is the word `members add` uses, not the code."""
    _agency(sessions, approval_threshold=Decimal(100))
    slack_viewer = http.command("/agency", "members add U0NEW owner", user="U0VIEWIT").text
    assert "Il tuo ruolo (lettore) non lo consente" in slack_viewer, slack_viewer
    http.command("/agency", "members add U0VIEWFR viewer")
    http.slack.user_locales["U0VIEWFR"] = "fr-FR"
    assert (
        "Votre rôle (lecteur) ne permet pas cela"
        in http.command("/credits", "buy prepaid 50", user="U0VIEWFR").text
    )
    approval = _request(http, http.slack, FR)
    http.click("approval_approve", str(approval), user="U0MGRFR")
    said = _said(http.slack)
    assert "votre rôle est gestionnaire" in said, said
    assert not any(f"({word})" in slack_viewer + said or f" {word}." in said for word in ENGLISH)


@pytest.mark.usefixtures("readers")
def test_approval_states_reasons_and_audit_read_in_the_readers_words(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack, clock: FixedClock
) -> None:
    """A request approved twice: "Cette demande est déjà approuvée" / "Questa richiesta è già
    approvata"; expired: "a déjà expiré"; the audit reads "objet : prépayé", "quantité : 500,00 €"."""
    _agency(sessions, approval_threshold=Decimal(100))
    approval = _request(http, slack, FR)
    http.click("approval_approve", str(approval), user="U0OWNER")
    http.click("approval_approve", str(approval), user=IT)
    assert "Questa richiesta è già approvata." in _said(slack), _said(slack)
    http.click("approval_approve", str(approval), user="U0OWNER")
    second = _request(http, slack, IT)
    clock.advance(timedelta(hours=25))
    assert "approvata" in http.command("/agency", "approvals", user=IT).text  # lists: expires the second
    http.click("approval_approve", str(second), user=FR)
    assert "Cette demande a déjà expiré." in _said(slack), _said(slack)
    audit = _plain(http.command("/agency", "audit 30", user=FR).text)
    assert "objet : prépayé" in audit and "quantité : 500,00 €" in audit, audit
    assert "approuvée" in audit and "prepaid" not in audit and "500.00" not in audit, audit
    italian = _plain(http.command("/agency", "audit 30", user=IT).text)
    assert "oggetto: prepagato" in italian and "quantità: 500,00 €" in italian, italian


@pytest.mark.usefixtures("readers")
def test_the_gateways_reason_reads_in_the_readers_words(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """A card declined for insufficient funds: "(provision insuffisante)", "(fondi insufficienti)", in
    the reply, the invoice and the audit."""
    with sessions.begin() as s:
        agency = make_agency(s, currency="EUR")
        make_profile(s, agency, behaviour="declined")
        for user in (FR, IT):
            s.add(Member(agency_id=agency.id, user_id=user, role="billing", added_by="t", created_at=NOW))
    card = http.command("/credits", "buy prepaid 50", user=FR)
    http.click("credits_buy_confirm", _button(card.body, "credits_buy_confirm"), user=FR)
    said = _said(http.slack)
    assert "(provision insuffisante)" in said and "insufficient" not in said, said
    number = re.search(r"INV-\d{4}-\d+", said)
    assert number is not None, said
    invoice = _plain(http.command("/billing", f"invoice {number.group(0)}", user=IT).text)
    assert "fondi insufficienti" in invoice and "insufficient funds" not in invoice, invoice
    audit = _plain(http.command("/agency", "audit", user=FR).text)
    assert "provision insuffisante" in audit and "insufficient funds" not in audit, audit


@pytest.mark.usefixtures("readers")
def test_channel_messages_and_their_edits_are_in_the_agencys_language(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack, clock: FixedClock, settings: Settings
) -> None:
    """An Italian agency: a French member's request is posted in Italian; a French approver's click
    edits it in Italian, and the expiry job edits another in Italian too; the replies to the French
    members stay French."""
    _agency(sessions, approval_threshold=Decimal(100), language="it")
    first = _request(http, slack, FR)
    posted = payload_text(slack.of("chat.postMessage")[-1].params)
    assert "Richiesta di approvazione" in posted and "Demande" not in posted, posted
    assert "attend dans" in _said(slack)  # the requester's own reply is French
    http.click("approval_reject", str(first), user="U0OWNER")
    edited = payload_text(slack.of("chat.update")[-1].params)
    assert "rifiutata" in edited and "approval_approve" not in json.dumps(slack.of("chat.update")[-1].params)
    _request(http, slack, FR)
    clock.advance(timedelta(hours=25))
    report = run_jobs(settings, "approvals", clock=clock)[0]
    assert report.counts.get("message_updated") == 1, report.counts
    expired = payload_text(slack.of("chat.update")[-1].params)
    assert "Scaduta il" in expired or "Scaduto il" in expired, expired
    assert "Expired" not in expired and "Expiré" not in expired


@pytest.mark.usefixtures("readers")
def test_notice_view_reply_and_seats_read_in_the_readers_words(
    http: SlackHttp, sessions: sessionmaker[Session], provider: SimulatedProvider
) -> None:
    """The notice's View reply: "Bundle Enterprise 25 000 contacts, mensuel" (was "bundle enterprise
    25000 monthly"); a seat administrator "attivo · amministratore"; counted licenses agree."""
    with sessions.begin() as s:
        agency = make_agency(s, currency="EUR", notice_channel="C0NOTICES")
        for user in (FR, IT):
            s.add(Member(agency_id=agency.id, user_id=user, role="owner", added_by="t", created_at=NOW))
        big = make_account(s, agency, name="big", product="bundle", tier="enterprise", contacts=25000)
        notice = Notice(
            agency_id=agency.id,
            kind="renewal_coming",
            account_id=big.id,
            due_on=date(2026, 12, 10),
            dedupe_key="renewal:big",
            payload={},
            status="sent",
            next_attempt_at=NOW,
            created_at=NOW,
        )
        s.add(notice)
        seats = make_account(
            s,
            agency,
            name="team",
            product="business-licenses",
            tier="licenses",
            contacts=None,
            seats=2,
            frequency="annual",
            period_end=date(2027, 11, 10),
            provider_ref="acc_team",
        )
        s.add(
            SeatMember(
                account_id=seats.id,
                email="ana@x.io",
                status="active",
                is_admin=True,
                invited_at=NOW,
                activated_at=datetime(2026, 11, 11, tzinfo=NOW.tzinfo),
            )
        )
        s.flush()
        notice_id = notice.id
    provider.accounts["acc_team"] = {"name": "team", "members": []}
    http.click("notice_view", str(notice_id), user=FR)
    view = _plain(_said(http.slack))
    assert "Bundle Enterprise 25 000 contacts, mensuel" in view, view
    assert "monthly" not in view and "bundle enterprise" not in view
    card = _plain(http.command("/seats", "team", user=IT).text)
    assert "attivo · amministratore" in card and "administrator" not in card, card
    removed = _plain(http.command("/seats", "remove team ana@x.io", user=IT).text)
    assert "2 licenze libere" in removed or "licenza libera" in removed, removed
    assert "(s)" not in removed and "(i)" not in removed


def test_an_agency_name_with_an_article_takes_the_articulated_preposition(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """ "Crediti della mia agenzia", "Crédits du Comptoir": never "di La", "de Le"."""
    _agency(sessions, name="My agency")
    italian = http.command("/credits", user=IT).text
    assert "Crediti della mia agenzia" in italian and "di La" not in italian, italian
    _rename(sessions, "Le Comptoir")
    assert "Crédits du Comptoir" in http.command("/credits", user=FR).text


def _rename(sessions: sessionmaker[Session], name: str) -> None:
    from domain.store.models import Agency

    with sessions.begin() as s:
        for agency in s.scalars(select(Agency)):
            agency.name = name


SHELL = "\n".join(
    [
        "/credits",
        "/agency members add U0OTHER viewer",
        "/agency members",
        "/billing profiles add",
        "3",
        "Declined card",
        "/credits buy prepaid 500",
        "1",
        "/agency audit",
        "",
    ]
)


@pytest.mark.parametrize(
    ("locale", "expected", "english"),
    [
        (
            "fr",
            (
                "CRÉDITS DE MON AGENCE",
                "@U0OTHER est maintenant lecteur",
                "(provision insuffisante)",
                "quantité : 500,00",
            ),
            ("viewer", "insufficient funds", "500.00", "prepaid"),
        ),
        (
            "it",
            (
                "CREDITI DELLA MIA AGENZIA",
                "@U0OTHER ora è lettore",
                "(fondi insufficienti)",
                "quantità: 500,00",
            ),
            ("viewer", "insufficient funds", "500.00", "prepaid", "DI LA MIA"),
        ),
    ],
)
def test_the_shell_reads_in_its_locale(
    tmp_path: Path, locale: str, expected: tuple[str, ...], english: tuple[str, ...]
) -> None:
    """`reseller-bot shell --locale fr|it`: the credits header, a role, a declined card's reason and
    the audit's quantity read in that language."""
    result = run_cli(
        tmp_path, "shell", "--locale", locale, stdin=SHELL, DATABASE_URL=f"sqlite:///{tmp_path / 's.db'}"
    )
    assert result.returncode == 0, result.stderr
    said = [line for line in _plain(result.stdout).splitlines() if not line.startswith("reseller>")]
    out = " ".join(" ".join(said).split())  # what the app wrote, without the typed commands
    for words in expected:
        assert words in out, (words, out)
    for word in english:
        assert word not in out.replace("`/agency members add @maria billing`", ""), (word, out)


def test_a_notice_edited_by_a_click_stays_in_the_agencys_language(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    """A French member presses Buy prepaid on an Italian agency's notice: the note that replaces the
    button in the channel is Italian; the purchase modal opened for the member is French."""
    with sessions.begin() as s:
        agency = make_agency(s, currency="EUR", language="it", notice_channel="C0NOTICES")
        s.add(Member(agency_id=agency.id, user_id=FR, role="owner", added_by="t", created_at=NOW))
        make_profile(s, agency)
        notice = Notice(
            agency_id=agency.id,
            kind="low_balance",
            account_id=None,
            due_on=date(2026, 12, 1),
            dedupe_key="low:1",
            payload={"balance": "10.00", "threshold": "100.00", "reason": "threshold"},
            status="sent",
            next_attempt_at=NOW,
            created_at=NOW,
        )
        s.add(notice)
        s.flush()
        notice_id = notice.id
    button = {
        "type": "button",
        "action_id": "notice_buy_prepaid",
        "value": str(notice_id),
        "text": {"type": "plain_text", "text": "Compra"},
    }
    blocks = [
        {
            "type": "section",
            "block_id": f"notice:{notice_id}",
            "text": {"type": "mrkdwn", "text": "Saldo basso"},
        },
        {"type": "actions", "block_id": f"actions:{notice_id}", "elements": [button]},
    ]
    http.click(
        "notice_buy_prepaid",
        str(notice_id),
        FR,
        surface="message",
        channel="C0NOTICES",
        message={"ts": "1700000000.000100", "text": "Saldo basso", "blocks": blocks},
    )
    edits = [c.params for c in http.slack.of("response_url") if c.params.get("replace_original")]
    note = payload_text(edits[-1])
    assert f"<@{FR}> sta acquistando credito prepagato" in note, note
    assert "achète" not in note
    opened = payload_text({"blocks": http.slack.of("views.open")[-1].params["view"]["blocks"]})
    assert "prépayé" in opened, opened
