"""Issue 15 §4: the desk with `RESELLER_PROVIDER=activecampaign`, over signed HTTP, against the
Partners Hub stand-in (a real HTTP server on 127.0.0.1 that checks every request against the
document), slow and failing; a portfolio of 2,500 vendor accounts imported twice; portal tasks for
what the API does not offer; and the `manual` vendor.

The app's provider is the ActiveCampaign adapter with the stand-in's short timeouts (`FAST`); the
slow test gives it a read timeout above the stand-in's delay."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.operations import drain_all
from bot.shell.localslack import LocalSlack
from domain.clock import FixedClock
from domain.simulated import SimulatedGateway
from domain.store.models import Account, Invoice, VendorOperation
from domain.vendors.activecampaign import ActiveCampaignProvider
from tests.e2e.test_accounts_http import add_values, created_view
from tests.slackhttp import SlackHttp, payload_text
from tests.standins.fixtures import provider_for
from tests.standins.partners_hub import PartnersHub

ACCOUNTS = "/api/child-accounts/v1/"
VENDOR_PROFILE = "pm_8f3a2c"


@pytest.fixture
def provider(request: pytest.FixtureRequest, partners_hub: PartnersHub) -> Iterator[ActiveCampaignProvider]:
    """The app under test talks to the stand-in (options from an indirect parametrization)."""
    adapter = provider_for(partners_hub, **getattr(request, "param", {}))
    yield adapter
    adapter.close()


def _count(db: Engine, model: Any) -> int:
    with db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def _creates(hub: PartnersHub) -> list[Any]:
    return hub.calls("POST", ACCOUNTS)


def vendor_profile(http: SlackHttp, sessions: sessionmaker[Session]) -> int:
    """The agency (made by its first command) and the billing profile it names at the vendor, added
    through `/billing profiles add`: the vendor bills the agency, so the form asks for its id."""
    from domain.store.models import BillingProfile
    from tests.slackhttp import select as pick
    from tests.slackhttp import text_input

    http.command("/agency", "members")
    http.command("/billing", "profiles add")
    view = http.opened_view()
    assert "test_card" not in json.dumps(view) and "reference" in json.dumps(view)
    values = {
        "reference": text_input(VENDOR_PROFILE),
        "brand": pick("visa"),
        "last4": text_input("4242"),
        "expiry": text_input("08/29"),
        "label": text_input("Vendor card"),
    }
    reply = http.submit(view, values)
    assert reply.status == 200 and "errors" not in reply.body, reply.body
    with sessions() as s:
        return s.scalars(select(BillingProfile.id)).one()


def _open_add(http: SlackHttp, sessions: sessionmaker[Session]) -> tuple[dict[str, Any], int]:
    profile_id = vendor_profile(http, sessions)
    http.command("/accounts", "add")
    return http.opened_view(), profile_id


@pytest.mark.parametrize("provider", [{"timeout": 5.0}], indirect=True)
def test_a_slow_vendor_creates_the_account_after_an_instant_answer(
    http: SlackHttp,
    slack: LocalSlack,
    sessions: sessionmaker[Session],
    db: Engine,
    gateway: SimulatedGateway,
    partners_hub: PartnersHub,
) -> None:
    view, profile_id = _open_add(http, sessions)
    partners_hub.delay = 2.0  # every call from now on: longer than a comfortable ack, under the timeout
    mark = slack.mark()
    started = time.perf_counter()
    reply = http.submit(view, add_values(profile_id))
    elapsed = time.perf_counter() - started
    print(f"\nsubmission answered in {elapsed * 1000:.0f} ms with a vendor taking 2 s a call")
    assert elapsed < 1.0 and "Creating" in json.dumps(reply.body["view"])
    shown = created_view(slack, mark)
    assert "acme-shop" in json.dumps(shown) and "Password" in json.dumps(shown)
    told = [c.params for c in slack.since(mark) if c.method == "chat.postEphemeral"]
    assert len(told) == 1 and told[0]["user"] == "U0OWNER" and "acme-shop" in told[0]["text"]
    assert "Password" not in json.dumps(told)  # the password only in the creator's modal
    creates = _creates(partners_hub)
    assert len(creates) == 1
    body = creates[0].body
    assert body["account_name"] == "acme-shop" and body["email"] == "boss@acme.example"
    assert body["billing_interval"] == 1 and body["products"]
    assert (body["language"], body["timezone"], body["country"]) == ("italian", "Europe/Rome", "IT")
    assert body["profile"] == VENDOR_PROFILE  # the vendor's billing-profile id, as the agency gave it
    order = [(c.method, ("search", "acme-shop") in c.query) for c in partners_hub.requests]
    assert ("GET", True) in order[order.index(("POST", False)) + 1 :], order  # then found by name
    with sessions() as s:
        account = s.scalars(select(Account)).one()
        assert account.status == "active" and account.provider_ref
        invoice = s.scalars(select(Invoice)).one()
        assert invoice.billed_by == "vendor" and invoice.status == "paid"
    assert gateway.charges == []


def _submit_and_wait(
    http: SlackHttp, slack: LocalSlack, view: dict[str, Any], profile_id: int, name: str = "acme-shop"
) -> dict[str, Any]:
    mark = slack.mark()
    reply = http.submit(view, add_values(profile_id, name))
    assert reply.body.get("response_action") == "update", reply.body
    return created_view(slack, mark)


def test_a_refused_email_names_the_field_voids_the_invoice_and_frees_the_name(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session], db: Engine, partners_hub: PartnersHub
) -> None:
    view, profile_id = _open_add(http, sessions)
    refused = [{"propertyPath": "email", "title": "This value is not a valid email address."}]
    partners_hub.fail_next(1, 422, violations=refused, method="POST", path=ACCOUNTS)
    failed = json.dumps(_submit_and_wait(http, slack, view, profile_id))
    assert "Client email" in failed and "not a valid email address" in failed and "voided" in failed
    assert _count(db, Account) == 0 and len(_creates(partners_hub)) == 1
    with db.connect() as conn:
        assert conn.execute(select(Invoice.status)).scalar_one() == "void"
    http.command("/accounts", "add")
    shown = json.dumps(_submit_and_wait(http, slack, http.opened_view(), profile_id))
    assert "Password" in shown  # the name is free again: created at the second try
    assert _count(db, Account) == 1 and partners_hub.by_name("acme-shop") is not None


def test_a_refused_key_names_the_setting_and_never_shows_the_key(
    http: SlackHttp,
    slack: LocalSlack,
    sessions: sessionmaker[Session],
    db: Engine,
    partners_hub: PartnersHub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    view, profile_id = _open_add(http, sessions)
    mark = slack.mark()
    partners_hub.fail_next(1, 401, method="POST", path=ACCOUNTS)
    failed = json.dumps(_submit_and_wait(http, slack, view, profile_id))
    assert "AC_PARTNER_API_KEY" in failed and "refused the API key" in failed and "voided" in failed
    everything = json.dumps([c.params for c in slack.since(mark)], default=str)
    assert partners_hub.api_key not in everything and partners_hub.api_key not in caplog.text
    assert "/api/child-accounts/v1/" in caplog.text  # the log was captured: the check can fail
    assert _count(db, Account) == 0 and len(_creates(partners_hub)) == 1


@pytest.mark.parametrize(("status", "retry_after"), [(429, 0.05), (503, None)])
def test_a_busy_vendor_is_tried_again_and_one_account_made(
    http: SlackHttp,
    slack: LocalSlack,
    sessions: sessionmaker[Session],
    db: Engine,
    partners_hub: PartnersHub,
    status: int,
    retry_after: float | None,
) -> None:
    view, profile_id = _open_add(http, sessions)
    partners_hub.fail_next(1, status, retry_after=retry_after, method="POST", path=ACCOUNTS)
    assert "Password" in json.dumps(_submit_and_wait(http, slack, view, profile_id))
    assert len(_creates(partners_hub)) == 2  # the refused one, then the one that made it
    assert len(partners_hub.accounts) == 1 and _count(db, Account) == 1


def test_a_vendor_that_hangs_is_tried_again_later_and_makes_one_account(
    http: SlackHttp,
    slack: LocalSlack,
    settings: Any,
    sessions: sessionmaker[Session],
    db: Engine,
    clock: FixedClock,
    partners_hub: PartnersHub,
) -> None:
    from pydantic import SecretStr

    from bot.operations import sweep_operations

    view, profile_id = _open_add(http, sessions)
    partners_hub.hang_next(4, 0.6, method="POST", path=ACCOUNTS)  # every attempt of the first run
    mark = slack.mark()
    http.submit(view, add_values(profile_id))
    assert drain_all(30)
    with sessions() as s:
        op = s.scalars(select(VendorOperation)).one()
        assert op.state == "pending" and op.next_attempt_at is not None and op.attempts == 1
        assert s.scalars(select(Account.status)).one() == "creating"
    assert len(_creates(partners_hub)) == 4 and not partners_hub.accounts
    vendor = settings.model_copy(  # the scheduler's sweep builds its vendor from the settings
        update={
            "reseller_provider": "activecampaign",
            "ac_partner_api_url": partners_hub.url,
            "ac_partner_api_key": SecretStr(partners_hub.api_key),
        }
    )
    assert sweep_operations(vendor, sessions, clock) == []  # not due yet: nothing runs
    clock.advance(timedelta(minutes=5))
    outcomes = sweep_operations(vendor, sessions, clock)
    assert [o.state for o in outcomes] == ["succeeded"]
    assert sweep_operations(vendor, sessions, clock) == []  # done: a later sweep makes nothing
    assert len(partners_hub.accounts) == 1 and len(_creates(partners_hub)) == 5
    with sessions() as s:
        assert s.scalars(select(Account.status)).one() == "active"
    told = [c for c in slack.since(mark) if c.method in ("chat.postEphemeral", "views.update")]
    assert told and "acme-shop" in json.dumps([c.params for c in told], default=str)


def test_a_retried_and_a_double_submission_create_one_account(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session], db: Engine, partners_hub: PartnersHub
) -> None:
    from urllib.parse import urlencode

    from tests.slackhttp import modal_view, slack_user, trigger_id

    view, profile_id = _open_add(http, sessions)
    partners_hub.delay = 0.1  # the vendor is still at work when the retry and the second click come
    payload = {
        "type": "view_submission",
        "team": {"id": "T0TEST", "domain": "test"},
        "api_app_id": "A0TEST",
        "token": "x",
        "trigger_id": trigger_id(),
        "enterprise": None,
        "is_enterprise_install": False,
        "user": slack_user("U0OWNER"),
        "view": modal_view(view, add_values(profile_id)),
        "response_urls": [],
    }
    body = urlencode({"payload": json.dumps(payload)})
    first = http.post(body)
    retried = http.post(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    again = http.submit(view, add_values(profile_id))  # a second click on Create
    assert first.status == retried.status == again.status == 200
    assert drain_all(30)
    assert len(_creates(partners_hub)) == 1 and len(partners_hub.accounts) == 1
    assert _count(db, Account) == 1 and _count(db, Invoice) == 1 and _count(db, VendorOperation) == 1


def test_an_import_of_2500_vendor_accounts_twice_adds_them_once(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session], db: Engine, partners_hub: PartnersHub
) -> None:
    from tests.e2e.test_import_http import _finished

    view, profile_id = _open_add(http, sessions)  # one account the desk made at the vendor itself
    assert "Password" in json.dumps(_submit_and_wait(http, slack, view, profile_id))
    partners_hub.seed(2500)
    mark = http.slack.mark()
    started = time.perf_counter()
    reply = http.command("/agency", "import")
    assert reply.status == 200 and "progress" in reply.body["text"]
    calls = _finished(http.slack, mark, "Import done")
    print(f"\n2,500 vendor accounts imported in {time.perf_counter() - started:.1f} s")
    posts = [c for c in calls if c.method == "chat.postMessage"]
    updates = [c for c in calls if c.method == "chat.update"]
    assert len(posts) == 1, "one progress message"
    where = (posts[0].response["channel"], posts[0].response["ts"])
    assert updates and {(c.params["channel"], c.params["ts"]) for c in updates} == {where}
    summary = payload_text(updates[-1].params)
    assert "2,500 added, 1 already there, 0 skipped" in summary, summary
    assert "2,500 accounts have a plan to confirm" in summary  # the vendor's list shows no plan
    pages = [c for c in partners_hub.calls("GET", ACCOUNTS) if ("page", "26") in c.query]
    assert pages and all(("limit", "100") in c.query for c in partners_hub.calls("GET", ACCOUNTS))
    assert _count(db, Account) == 2501
    mark = http.slack.mark()
    http.command("/agency", "import")
    final = payload_text(_finished(http.slack, mark, "Import done")[-1].params)
    assert "0 added, 2,501 already there" in final
    assert _count(db, Account) == 2501 and len(_creates(partners_hub)) == 1
    assert partners_hub.violations == []  # every request the stand-in received was valid


CHANNEL = "C0NOTICES"


def _agency_with_channel(sessions: sessionmaker[Session]) -> int:
    from tests.factories import make_agency, make_profile

    with sessions.begin() as s:
        agency = make_agency(s, notice_channel=CHANNEL)
        return make_profile(s, agency).id


def _task_posts(slack: LocalSlack) -> list[Any]:
    return [c for c in slack.of("chat.postMessage") if "portal_task_done" in json.dumps(c.params)]


def test_what_the_api_lacks_on_an_account_it_made_becomes_one_portal_task_each(
    desk: tuple[SlackHttp, dict[str, Any]],
    slack: LocalSlack,
    sessions: sessionmaker[Session],
    gateway: SimulatedGateway,
    partners_hub: PartnersHub,
) -> None:
    """An account created at the stand-in, then its plan edited and it disabled: the desk records
    both, posts one task each to the channel (the sender run three times), and sends the vendor
    nothing but the list and create calls."""
    from domain.store.models import PortalTask
    from tests.e2e.test_accounts_edit_http import initial_values
    from tests.e2e.test_portal_tasks_http import disable_acme, run_notices
    from tests.slackhttp import select as pick

    http, extras = desk
    profile_id = _agency_with_channel(sessions)
    http.command("/accounts", "add")
    assert "Password" in json.dumps(_submit_and_wait(http, slack, http.opened_view(), profile_id, "acme"))
    http.command("/accounts", "edit acme")
    view = http.opened_view()
    values = initial_values(view)
    values["plan_tier"] = pick("professional")
    body = http.submit(view, values).body
    assert body.get("response_action") == "update", body
    http.submit(body["view"], {})
    disable_acme(http)
    assert drain_all(30)
    with sessions() as s:
        tasks = s.scalars(select(PortalTask)).all()
        assert sorted(t.action for t in tasks) == ["plan", "status"], [t.action for t in tasks]
        assert s.scalars(select(Account.status)).one() == "disabled"
    for _ in range(3):
        run_notices(http, extras)
    posts = _task_posts(slack)
    assert len(posts) == 2 and {p.params["channel"] for p in posts} == {CHANNEL}
    assert {(c.method, c.path) for c in partners_hub.requests} <= {
        ("GET", ACCOUNTS),
        ("POST", ACCOUNTS),
        ("GET", "/api/locales/v1/catalogs"),
    }
    assert len(_creates(partners_hub)) == 1
    with sessions() as s:  # money moves once: the vendor bills the first cycle and the upgrade
        billed = s.execute(select(Invoice.billed_by, Invoice.status)).all()
        assert len(billed) == 2 and set(billed) == {("vendor", "paid")}, billed
    assert gateway.charges == []


@pytest.fixture
def manual_http(
    settings: Any, clock: FixedClock, sessions: sessionmaker[Session], catalog: Any, slack: LocalSlack
) -> Any:
    """The app as `RESELLER_PROVIDER=manual` builds it (its vendors from the settings)."""
    from bot.app import build_app
    from tests.conftest import SECRET
    from tests.slackhttp import serve_app

    manual = settings.model_copy(update={"reseller_provider": "manual"})
    extras: dict[str, Any] = {"notices": {"sleep": lambda s: clock.advance(timedelta(seconds=s))}}
    app = build_app(manual, clock=clock, sessions=sessions, catalog=catalog, extras=extras)
    with serve_app(app) as base_url:
        yield SlackHttp(base_url, SECRET, slack), extras


def test_with_the_manual_vendor_adding_an_account_opens_a_portal_task_to_create_it(
    manual_http: tuple[SlackHttp, dict[str, Any]],
    slack: LocalSlack,
    sessions: sessionmaker[Session],
) -> None:
    from domain.store.models import PortalTask
    from tests.e2e.test_portal_tasks_http import done_button, run_notices

    http, extras = manual_http
    profile_id = _agency_with_channel(sessions)
    http.command("/accounts", "add")
    mark = slack.mark()
    http.submit(http.opened_view(), add_values(profile_id))
    assert drain_all(30)
    with sessions() as s:
        op = s.scalars(select(VendorOperation)).one()
        task = s.scalars(select(PortalTask)).one()
        assert op.state == "succeeded" and op.result.get("portal_task") == task.id
        assert task.action == "provision" and task.state == "open"
    shown = [c.params["view"] for c in slack.since(mark) if c.method == "views.update"]
    assert shown and "Account recorded" in json.dumps(shown[-1])
    for _ in range(3):
        run_notices(http, extras)
    posts = _task_posts(slack)
    assert len(posts) == 1 and posts[0].params["channel"] == CHANNEL
    assert "acme-shop" in payload_text(posts[0].params)
    value, _message = done_button(posts[0])
    assert value == str(task.id)  # the Done button carries the task's id only


def test_an_answer_lost_in_a_hang_is_found_by_name_on_the_next_attempt(
    http: SlackHttp,
    settings: Any,
    sessions: sessionmaker[Session],
    db: Engine,
    clock: FixedClock,
    partners_hub: PartnersHub,
) -> None:
    """The vendor made the account but every answer was lost: the next durable attempt finds it by
    name instead of creating it again (the vendor would refuse the name as taken)."""
    from pydantic import SecretStr

    from bot.operations import sweep_operations

    view, profile_id = _open_add(http, sessions)
    partners_hub.hang_next(4, 0.6, method="POST", path=ACCOUNTS)
    http.submit(view, add_values(profile_id))
    assert drain_all(30)
    assert len(_creates(partners_hub)) == 4
    partners_hub.add_account("acme-shop", email="boss@acme.example")  # what the last lost answer made
    clock.advance(timedelta(minutes=5))
    vendor = settings.model_copy(
        update={
            "reseller_provider": "activecampaign",
            "ac_partner_api_url": partners_hub.url,
            "ac_partner_api_key": SecretStr(partners_hub.api_key),
        }
    )
    assert [o.state for o in sweep_operations(vendor, sessions, clock)] == ["succeeded"]
    assert len(partners_hub.accounts) == 1 and len(_creates(partners_hub)) == 4  # not sent again
    made = partners_hub.by_name("acme-shop")
    with sessions() as s:
        account = s.scalars(select(Account)).one()
        assert made is not None and account.status == "active" and account.provider_ref == str(made["id"])
