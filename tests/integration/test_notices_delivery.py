"""Delivery against the Slack stand-in: failures are retried and nothing is lost or posted twice;
a crash between post and mark is recovered without a second post; many notices become digests."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.jobs.notifier import run_notices
from bot.settings import Settings
from bot.shell.localslack import DROPPED, LocalSlack
from domain.catalog import Catalog
from domain.clock import FixedClock
from domain.notices import delivery
from domain.store.models import Agency, Notice
from tests.factories import make_account, make_agency
from tests.integration.test_notices_days import DAY0, portfolio, posted_ids
from tests.slack_limits import check_message

MORNING = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)


class HistorySlack(LocalSlack):
    """The stand-in, plus `conversations.history` answered from what was really posted."""

    def _answer(self, method: str, params: dict[str, Any], token: str = "") -> dict[str, Any]:
        if method == "conversations.history":
            messages = [
                {"ts": c.response.get("ts"), "metadata": c.params.get("metadata")}
                for c in self.calls
                if c.method == "chat.postMessage"
                and c.status == 200
                and c.params.get("channel") == params.get("channel")
            ]
            return {"ok": True, "messages": messages[::-1]}
        return super()._answer(method, params, token)


def virtual_sleep(clock: FixedClock, log: list[float]) -> Any:
    def sleep(seconds: float) -> None:
        log.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    return sleep


def many_renewals(
    sessions: sessionmaker[Session], n: int, channel: str | None = "C0NOTICES", team_id: str = "T0TEST"
) -> int:
    with sessions() as s, s.begin():
        agency = make_agency(s, team_id=team_id, notice_channel=channel)
        for i in range(n):
            make_account(s, agency, name=f"bulk-{i:03d}", period_end=DAY0 + timedelta(days=7))
        return agency.id


def statuses(sessions: sessionmaker[Session]) -> Counter[str]:
    with sessions() as s:
        return Counter(s.scalars(select(Notice.status)))


def test_a_third_of_calls_failing_loses_nothing_and_doubles_nothing(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, slack: LocalSlack, catalog: Catalog
) -> None:
    """With every third Slack call answered 429 or 500, three weeks of daily runs post every notice
    once; 429s wait for Retry-After through the injected sleep, never for real."""
    portfolio(sessions)
    clock, sleeps = FixedClock(MORNING), []
    slack.fail_every = 3
    for n in range(21):
        clock.set(MORNING + timedelta(days=n))
        run_notices(settings, sessions, catalog, clock, sleep=virtual_sleep(clock, sleeps))
    slack.fail_every = 0
    failed = [c for c in slack.calls if c.method == "chat.postMessage" and c.status != 200]
    assert failed, "the stand-in answered no errors"
    posted = posted_ids(slack)
    assert len(posted) == len(set(posted))
    with sessions() as s:
        assert set(posted) == set(s.scalars(select(Notice.id)))
    assert statuses(sessions) == {"sent": len(posted)}


def test_slack_down_keeps_notices_for_the_next_run(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, slack: LocalSlack, catalog: Catalog
) -> None:
    """When every attempt fails the notices go back to the outbox with the error and a backoff, and
    the next run after it posts them once; a 429's Retry-After is honoured."""
    many_renewals(sessions, 3)
    clock, sleeps = FixedClock(MORNING), []
    slack.fail_next(500, method="chat.postMessage", times=5)
    report = run_notices(settings, sessions, catalog, clock, sleep=virtual_sleep(clock, sleeps))[0]
    assert report.counts["failed"] == 4 and not slack.of("chat.postMessage")  # 3 renewals, 1 digest
    with sessions() as s:
        rows = s.scalars(select(Notice)).all()
        assert {r.status for r in rows} == {"pending"} and all(r.last_error for r in rows)
    run_notices(settings, sessions, catalog, clock, sleep=virtual_sleep(clock, sleeps))
    assert not slack.of("chat.postMessage"), "retried before its backoff"
    clock.advance(timedelta(minutes=5))
    slack.fail_next(429, method="chat.postMessage", retry_after=7)
    run_notices(settings, sessions, catalog, clock, sleep=virtual_sleep(clock, sleeps))
    assert 7.0 in sleeps
    assert len(slack.of("chat.postMessage")) == 2 and statuses(sessions) == {"sent": 4}


def test_crash_between_post_and_mark_is_recovered_without_a_second_post(
    db: Engine,
    sessions: sessionmaker[Session],
    settings: Settings,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process dies after Slack took the message and before the outbox knew: while the claim is
    fresh nobody touches it, and once stale the next sender finds the post by its marker and only
    records its ts."""
    server = HistorySlack().start()
    try:
        local = settings.model_copy(update={"slack_api_url": server.api_url})
        many_renewals(sessions, 2)
        clock = FixedClock(MORNING)  # first post: renewals; second: the weekly digest

        def crash(*args: Any, **kwargs: Any) -> int:
            raise SystemExit("killed")

        monkeypatch.setattr(delivery, "mark_message_sent", crash)
        with pytest.raises(SystemExit):
            run_notices(local, sessions, catalog, clock, sleep=virtual_sleep(clock, []))
        monkeypatch.undo()
        assert len(server.of("chat.postMessage")) == 1 and statuses(sessions) == {"sending": 3}
        report = run_notices(local, sessions, catalog, clock, sleep=virtual_sleep(clock, []))[0]
        assert report.counts.get("busy") == 1 and len(server.of("chat.postMessage")) == 1
        clock.advance(delivery.LEASE + timedelta(seconds=1))
        report = run_notices(local, sessions, catalog, clock, sleep=virtual_sleep(clock, []))[0]
        assert report.counts.get("recovered") == 2  # the two renewals; the weekly digest was never posted
        posts = server.of("chat.postMessage")
        assert len(posts) == 2 and statuses(sessions) == {"sent": 3}
        with sessions() as s:
            renewal_ts = set(s.scalars(select(Notice.message_ts).where(Notice.kind == "renewal_coming")))
        assert renewal_ts == {posts[0].response["ts"]}
    finally:
        server.stop()


class ClockSlack(LocalSlack):
    """The stand-in on the test's clock: messages are stamped with it and history honours `oldest`."""

    def __init__(self, clock: FixedClock) -> None:
        super().__init__()
        self.clock, self.posted = clock, 0

    def _answer(self, method: str, params: dict[str, Any], token: str = "") -> dict[str, Any]:
        if method == "chat.postMessage":
            self.posted += 1
            ts = f"{self.clock.now().timestamp() + self.posted / 1e6:.6f}"
            self.history.setdefault(str(params["channel"]), []).append(
                {
                    "ts": ts,
                    "metadata": meta if isinstance(meta := params["metadata"], dict) else json.loads(meta),
                }
            )
            return {"ok": True, "channel": params["channel"], "ts": ts}
        if method == "conversations.history":
            oldest = float(params.get("oldest") or 0)
            found = [m for m in self.history.get(str(params["channel"]), []) if float(m["ts"]) >= oldest]
            return {"ok": True, "messages": found[::-1], "has_more": False}
        return super()._answer(method, params, token)


def test_a_crash_found_by_the_next_day_run_is_recovered_without_a_second_post(
    db: Engine,
    sessions: sessionmaker[Session],
    settings: Settings,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With only a daily cron, the sender that takes over a crashed claim runs a day later: it
    looks for the earlier post from when that claim was made, not just the last minutes."""
    clock = FixedClock(MORNING)
    server = ClockSlack(clock).start()
    try:
        local = settings.model_copy(update={"slack_api_url": server.api_url})
        many_renewals(sessions, 2)

        def crash(*args: Any, **kwargs: Any) -> int:
            raise SystemExit("killed")

        monkeypatch.setattr(delivery, "mark_message_sent", crash)
        with pytest.raises(SystemExit):
            run_notices(local, sessions, catalog, clock, sleep=virtual_sleep(clock, []))
        monkeypatch.undo()
        clock.advance(timedelta(days=1))
        report = run_notices(local, sessions, catalog, clock, sleep=virtual_sleep(clock, []))[0]
        assert report.counts.get("recovered") == 2
        markers = [p.params["metadata"]["event_payload"]["marker"] for p in server.of("chat.postMessage")]
        assert len(markers) == len(set(markers)) == 2, markers
        assert statuses(sessions) == {"sent": 3}
    finally:
        server.stop()


def test_a_post_whose_answer_is_lost_is_not_posted_again(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, slack: LocalSlack, catalog: Catalog
) -> None:
    """Slack took the message but the connection dropped before its answer: nothing (not even the
    Slack client's own retry) posts it again blindly; the sender finds it by its marker and records it."""
    many_renewals(sessions, 2)
    clock, sleeps = FixedClock(MORNING), []
    slack.fail_next(DROPPED, method="chat.postMessage")
    report = run_notices(settings, sessions, catalog, clock, sleep=virtual_sleep(clock, sleeps))[0]
    posts = slack.of("chat.postMessage")
    markers = [p.params["metadata"]["event_payload"]["marker"] for p in posts]
    assert len(markers) == len(set(markers)) == 2, markers  # the renewals' digest once, the weekly digest
    assert report.counts["posted"] == 3 and statuses(sessions) == {"sent": 3}
    with sessions() as s:
        renewal_ts = set(s.scalars(select(Notice.message_ts).where(Notice.kind == "renewal_coming")))
    assert renewal_ts == {posts[0].response["ts"]}


def test_a_500_after_slack_posted_is_not_posted_again(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, slack: LocalSlack, catalog: Catalog
) -> None:
    """Slack's 500 may come after the message went out: before trying again the sender looks for
    it by its marker, and records the message it finds instead of posting a second one."""
    many_renewals(sessions, 2)
    clock = FixedClock(MORNING)
    slack.fail_next(500, method="chat.postMessage", carried_out=True)
    run_notices(settings, sessions, catalog, clock, sleep=virtual_sleep(clock, []))
    markers = [p.params["metadata"]["event_payload"]["marker"] for p in slack.of("chat.postMessage")]
    assert len(markers) == len(set(markers)) == 2, markers
    assert statuses(sessions) == {"sent": 3}


def test_many_notices_become_one_digest_within_fifty_blocks(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, slack: LocalSlack, catalog: Catalog
) -> None:
    """60 renewals in one run are one message: 45 shown, "and 15 more", a button to list them all;
    the other kinds are messages of their own, a second or more apart in the channel."""
    many_renewals(sessions, 60)
    clock, sleeps = FixedClock(MORNING), []
    run_notices(settings, sessions, catalog, clock, sleep=virtual_sleep(clock, sleeps))
    calls = slack.of("chat.postMessage")
    digest = next(c for c in calls if len(c.params["metadata"]["event_payload"]["notices"]) == 60)
    check_message(digest.params)
    blocks = digest.params["blocks"]
    assert (
        len(blocks) <= 50 and sum(1 for b in blocks if str(b.get("block_id", "")).startswith("notice:")) == 45
    )
    assert any("15 more" in str(b) for b in blocks)
    assert any(e.get("action_id") == "notice_list_all" for b in blocks for e in b.get("elements", []))
    assert len(calls) == 2 and sleeps == [1.0]  # the weekly digest, paced a second after
    with sessions() as s:
        assert len(set(s.scalars(select(Notice.message_ts).where(Notice.kind == "renewal_coming")))) == 1


def test_no_channel_keeps_notices_pending_until_one_is_set(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, slack: LocalSlack, catalog: Catalog
) -> None:
    """Without a notice channel nothing is posted and the notices wait; once set they go out."""
    agency_id = many_renewals(sessions, 2, channel=None)
    clock = FixedClock(MORNING)
    report = run_notices(settings, sessions, catalog, clock, sleep=lambda s: None)[0]
    assert report.counts["waiting_for_channel"] == 3 and not slack.of("chat.postMessage")
    with sessions() as s, s.begin():
        s.get_one(Agency, agency_id).notice_channel = "C0LATER"
    run_notices(settings, sessions, catalog, clock, sleep=lambda s: None)
    assert {c.params["channel"] for c in slack.of("chat.postMessage")} == {"C0LATER"}
    assert statuses(sessions) == {"sent": 3}


def test_muted_kinds_and_snoozed_accounts_are_skipped(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, slack: LocalSlack, catalog: Catalog
) -> None:
    """A muted kind is never posted; a snoozed account's notices due within the snooze are dropped."""
    with sessions() as s, s.begin():
        agency = make_agency(s, notice_channel="C0N", notice_mutes=["billing_digest"])
        quiet = make_account(s, agency, name="quiet", period_end=DAY0 + timedelta(days=7))
        make_account(s, agency, name="loud", period_end=DAY0 + timedelta(days=7))
        agency.notice_snoozes = {str(quiet.id): date(2026, 12, 31).isoformat()}
    run_notices(
        settings, sessions, FixedClock(MORNING) and catalog, FixedClock(MORNING), sleep=lambda s: None
    )
    assert statuses(sessions) == {"sent": 1, "skipped": 2}
    text = str(slack.of("chat.postMessage")[0].params)
    assert "loud" in text and "quiet" not in text


def test_notices_speak_the_agency_language(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, slack: LocalSlack, catalog: Catalog
) -> None:
    """The channel is the agency's, so notices use the agency's language, not the poster's."""
    with sessions() as s, s.begin():
        agency = make_agency(s, notice_channel="C0N", language="it")
        for name in ("uno", "due"):
            make_account(s, agency, name=name, period_end=DAY0 + timedelta(days=7))
    run_notices(settings, sessions, catalog, FixedClock(MORNING), sleep=lambda s: None)
    texts = [str(c.params) for c in slack.of("chat.postMessage")]
    assert any("2 rinnovi in arrivo" in t and "si rinnova il" in t for t in texts)
    assert any("Addebiti dei prossimi 7 giorni" in t for t in texts)


def test_without_a_bot_token_notices_stay_in_the_outbox_and_nothing_is_tried(
    db: Engine, sessions: sessionmaker[Session], settings: Settings, slack: LocalSlack, catalog: Catalog
) -> None:
    """`reseller-bot jobs notices` with no SLACK_BOT_TOKEN (local use) sweeps, tries no Slack call and
    waits for nothing, and says plainly that the notices are kept in the outbox for a later run."""
    many_renewals(sessions, 2)
    local = settings.model_copy(update={"slack_bot_token": None})
    sleeps: list[float] = []
    report = run_notices(local, sessions, catalog, FixedClock(MORNING), sleep=sleeps.append)[0]
    assert not slack.calls and not sleeps
    assert report.counts["kept"] == 3 and "failed" not in report.counts
    assert "kept in the outbox: SLACK_BOT_TOKEN is not set" in "\n".join(report.lines)
    assert statuses(sessions) == {"pending": 3}
    assert (
        run_notices(settings, sessions, catalog, FixedClock(MORNING), sleep=sleeps.append)[0].counts["posted"]
        == 3
    )
