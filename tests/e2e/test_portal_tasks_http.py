"""Portal tasks over signed HTTP (SPEC §9), with a vendor whose API offers nothing: a status change,
branding, an invitation and password help reach no vendor, are recorded in the desk, and each posts
one task to the agency channel (once, however often the sender runs) with a Done button that a
member presses; others are refused. `/agency tasks`, App Home and the daily reminder list the open
ones; the agency's language is used throughout."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from domain.clock import FixedClock
from domain.store.models import Account, Agency, AuditEntry, Member, Notice, PortalTask, SeatMember
from tests.e2e.test_accounts_edit_http import initial_values
from tests.factories import NOW, make_account, make_agency, make_profile
from tests.portal_fakes import PORTAL, NoApiProvider
from tests.slackhttp import SlackHttp, payload_text, text_input
from tests.slackhttp import select as pick

CHANNEL = "C0NOTICES"
Desk = tuple[SlackHttp, dict[str, Any]]


@pytest.fixture
def provider() -> NoApiProvider:
    """The desk's default vendor for these tests: no API at all (what `manual` is)."""
    return NoApiProvider()


def setup(sessions: sessionmaker[Session], language: str = "en") -> None:
    with sessions.begin() as s:
        agency = make_agency(s, notice_channel=CHANNEL, language=language)
        profile = make_profile(s, agency)
        make_account(
            s,
            agency,
            name="acme",
            billing_profile_id=profile.id,
            price_per_cycle=Decimal("99.00"),
            provider_ref="acc_1",
            custom_domain="crm.acme.example",
        )
        make_account(
            s,
            agency,
            name="seated",
            product="business-licenses",
            tier="licenses",
            contacts=None,
            seats=3,
            provider_ref="acc_2",
        )
        for user, role in (("U0VIEW", "viewer"), ("U0MGR", "manager")):
            s.add(Member(agency_id=agency.id, user_id=user, role=role, added_by="t", created_at=NOW))


def run_notices(http: SlackHttp, extras: dict[str, Any]) -> None:
    assert http.command("/agency", "notices run").status == 200
    for worker in extras.get("notice_runs", []):
        worker.join(10)


def disable_acme(http: SlackHttp) -> None:
    http.command("/accounts", "edit acme")
    view = http.opened_view()
    values = initial_values(view)
    values["status_action"] = pick("disable")
    values["reason"] = text_input("unpaid invoices")
    values["login_message"] = text_input("Call <us> & pay")
    reply = http.submit(view, values)
    assert reply.status == 200 and reply.body.get("response_action") is None, reply.body


def said(http: SlackHttp) -> str:
    calls = [c for c in http.slack.calls if c.method in ("chat.postEphemeral", "response_url")]
    return "\n".join(payload_text(c.params) for c in calls)


def done_button(post: Any) -> tuple[str, dict[str, Any]]:
    """The Done button's value on a posted message, and the message as a click carries it."""
    value = next(
        e["value"]
        for b in post.params["blocks"]
        for e in [*b.get("elements", []), b.get("accessory") or {}]
        if e.get("action_id") == "portal_task_done"
    )
    return value, {"ts": post.response["ts"], "text": post.params["text"], "blocks": post.params["blocks"]}


def test_changes_without_an_api_post_one_task_each_and_done_updates_it(
    desk: Desk, sessions: sessionmaker[Session], provider: NoApiProvider
) -> None:
    """Disable, branding, an invitation and a password reset: the desk records each, the replies say
    a portal task was opened instead, nothing reaches the vendor; the sender posts each task once
    (run three times); Done by a manager is audited and updates the message; a second Done says
    who did it."""
    http, extras = desk
    setup(sessions)
    disable_acme(http)
    assert "portal task" in said(http)
    branding = http.command("/accounts", "branding acme remove")
    assert "portal task" in branding.text
    invited = http.command("/seats", "add seated ana@example.com")
    assert "Invited to seated" in invited.text and "portal task" in invited.text
    reset = http.command("/accounts", "access acme password")
    assert "no password was made" in reset.text and "`" not in reset.text  # no password shown
    assert provider.events == []
    with sessions() as s:
        assert s.scalars(select(Account.status).where(Account.name == "acme")).one() == "disabled"
        assert s.scalars(select(SeatMember.email)).all() == ["ana@example.com"]
        assert s.scalar(select(func.count(PortalTask.id))) == 4
    for _ in range(3):
        run_notices(http, extras)
    posts = [
        c for c in http.slack.of("chat.postMessage") if c.params.get("text", "").startswith("Portal task")
    ]
    assert len(posts) == 4 and {p.params["channel"] for p in posts} == {CHANNEL}
    status_post = next(p for p in posts if "disabled" in payload_text(p.params))
    text = payload_text(status_post.params)
    assert "Set *acme* to disabled." in text and "Call &lt;us&gt; &amp; pay" in text and PORTAL in text
    value, message = done_button(status_post)
    before = len(http.slack.of("response_url"))
    reply = http.click(
        "portal_task_done", value, "U0MGR", surface="message", channel=CHANNEL, message=message
    )
    assert reply.status == 200
    updated = http.slack.of("response_url")[before:]
    assert updated[-1].params.get("replace_original") is True
    assert "Done by <@U0MGR>" in payload_text(updated[-1].params)
    assert "portal_task_done" not in str(updated[-1].params["blocks"])
    http.click("portal_task_done", value, "U0OWNER", surface="message", channel=CHANNEL, message=message)
    assert "Already done by <@U0MGR>" in payload_text(http.slack.of("response_url")[-1].params)
    with sessions() as s:
        done = s.scalars(select(AuditEntry).where(AuditEntry.action == "portal_task.done")).all()
        assert [(a.actor, a.target) for a in done] == [("U0MGR", "acme")]
        assert s.scalar(select(func.count(PortalTask.id)).where(PortalTask.state == "open")) == 3


def test_forged_done_from_a_viewer_or_another_agency_writes_nothing(
    desk: Desk, sessions: sessionmaker[Session]
) -> None:
    """A viewer's Done, another workspace's owner's Done and made-up ids are refused: no row changes."""
    http, _ = desk
    setup(sessions)
    with sessions.begin() as s:
        make_agency(s, team_id="T0OTHER", owner="U0OTHER")
    http.command("/accounts", "access acme reset")
    with sessions() as s:
        task_id = s.scalars(select(PortalTask.id)).one()
        before = (s.scalar(select(func.count(AuditEntry.id))), s.scalars(select(PortalTask.state)).all())
    http.click("portal_task_done", str(task_id), "U0VIEW")
    assert "does not allow" in said(http)
    http.interaction(
        {
            "type": "block_actions",
            "team": {"id": "T0OTHER"},
            "user": {"id": "U0OTHER", "team_id": "T0OTHER"},
            "channel": {"id": "C0THEIRS"},
            "response_url": http.slack.response_url("theirs"),
            "actions": [{"action_id": "portal_task_done", "value": str(task_id), "type": "button"}],
        }
    )
    for value in ("", "abc", "-1", "9" * 30, str(task_id + 1000)):
        assert http.click("portal_task_done", value).status == 200
    assert said(http).count("This portal task is not there.") >= 4
    with sessions() as s:
        after = (s.scalar(select(func.count(AuditEntry.id))), s.scalars(select(PortalTask.state)).all())
    assert after == before == (before[0], ["open"])


def test_agency_tasks_and_app_home_list_open_tasks_and_done_from_home_updates_the_post(
    desk: Desk, sessions: sessionmaker[Session]
) -> None:
    """`/agency tasks` and App Home list the open tasks with Done; Done pressed on the App Home updates
    the task's channel message (chat.update) and the task leaves both lists."""
    http, extras = desk
    setup(sessions)
    assert "none open" in http.command("/agency", "tasks").text
    http.command("/accounts", "access acme reset")
    run_notices(http, extras)
    listed = http.command("/agency", "tasks")
    assert "1 portal task open" in listed.text and "Send the client of *acme* a password reset" in listed.text
    assert "portal_task_done" in str(listed.body["blocks"])
    home = http.home()
    assert "portal task open" in str(home["blocks"]) and "portal_task_done" in str(home["blocks"])
    with sessions() as s:
        task = s.scalars(select(PortalTask)).one()
    assert task.message_ts is not None
    http.click("portal_task_done", str(task.id), surface="home", view=home)
    updates = http.slack.of("chat.update")
    assert updates and updates[-1].params["ts"] == task.message_ts
    assert "Done by <@U0OWNER>" in payload_text(updates[-1].params)
    assert "none open" in http.command("/agency", "tasks").text
    assert "portal_task_done" not in str(http.home()["blocks"])


def test_the_daily_reminder_repeats_open_tasks_until_done(
    desk: Desk, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    """A task left open is repeated by the next days' runs (once a day), each with Done; once done
    it is not repeated again."""
    http, extras = desk
    setup(sessions)
    http.command("/seats", "add seated bo@example.com")
    run_notices(http, extras)

    def reminders() -> list[Any]:
        return [c for c in http.slack.of("chat.postMessage") if "still open" in str(c.params.get("text"))]

    assert reminders() == []
    for day in (1, 2):
        clock.advance(timedelta(days=1))
        run_notices(http, extras)
        run_notices(http, extras)
        assert len(reminders()) == day
    text = payload_text(reminders()[-1].params)
    assert "Invite bo@example.com to *seated*." in text
    value, message = done_button(reminders()[-1])
    http.click("portal_task_done", value, surface="message", channel=CHANNEL, message=message)
    clock.advance(timedelta(days=1))
    run_notices(http, extras)
    assert len(reminders()) == 2
    with sessions() as s:
        kinds = s.scalars(select(Notice.kind).where(Notice.kind.like("portal%"))).all()
    assert sorted(kinds) == ["portal_task", "portal_tasks_open", "portal_tasks_open"]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", ("Tâche sur le portail", "Mettre *acme* à l'état désactivé", "Terminé")),
        ("it", ("Attività sul portale", "Imposta *acme* come disattivato", "Fatto")),
    ],
)
def test_the_task_reads_in_the_agencys_language(
    desk: Desk, sessions: sessionmaker[Session], language: str, words: tuple[str, ...]
) -> None:
    """The posted task, its button and the reply are in the agency's language."""
    http, extras = desk
    setup(sessions, language=language)
    disable_acme(http)
    run_notices(http, extras)
    [post] = [c for c in http.slack.of("chat.postMessage") if "portal_task_done" in str(c.params["blocks"])]
    text = payload_text(post.params)
    for word in words:
        assert word in text, text


def test_sign_on_without_an_api_says_so_and_opens_no_task(
    desk: Desk, sessions: sessionmaker[Session], provider: NoApiProvider
) -> None:
    """Login with a vendor offering no sign-on link: the member is told to sign in at the portal;
    nothing is sent to the vendor and no task is opened (it is for the person asking, now)."""
    http, _ = desk
    setup(sessions)
    http.click("accounts_login", "acme")
    assert "offers no sign-on link" in said(http) and PORTAL in said(http)
    with sessions() as s:
        assert s.scalar(select(func.count(PortalTask.id))) == 0
        assert s.scalars(select(Agency.language)).all() == ["en"]
    assert provider.events == []


def test_an_upgrade_without_a_plan_api_is_charged_recorded_and_posted_once(
    desk: Desk, sessions: sessionmaker[Session], provider: NoApiProvider
) -> None:
    """Edit → professional → confirm: the desk charges and records the new plan as before, the vendor
    is not called, the reply says a portal task was opened, and the task (the new plan in full) is
    posted once however many times the sender runs."""
    http, extras = desk
    setup(sessions)
    http.command("/accounts", "edit acme")
    view = http.opened_view()
    values = initial_values(view)
    values["plan_tier"] = pick("professional")
    body = http.submit(view, values).body
    assert body.get("response_action") == "update", body
    http.submit(body["view"], {})
    assert "plan changed now" in said(http) and "portal task" in said(http)
    assert provider.events == []
    with sessions() as s:
        assert s.scalars(select(Account.tier).where(Account.name == "acme")).one() == "professional"
        [task] = s.scalars(select(PortalTask)).all()
        assert (task.action, task.values["plan"]["tier"]) == ("plan", "professional")
    run_notices(http, extras)
    run_notices(http, extras)
    posts = [c for c in http.slack.of("chat.postMessage") if "portal_task_done" in str(c.params["blocks"])]
    assert len(posts) == 1 and "Change the plan of *acme* to marketing professional" in payload_text(
        posts[0].params
    )
