"""Portal-task rules without a database (SPEC §9): a task never carries a secret, the same change
has the same key, a product's provider comes from the catalog, a vendor without the capability is
never called, and a task reads whole (values, portal link, Done) in every language within Slack's
limits, whatever the values hold."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import portal_tasks
from bot.i18n import Translator
from domain.catalog import CatalogError, load_catalog
from domain.data import __file__ as data_init
from domain.notices import rules
from domain.ports import Capability
from domain.simulated import SimulatedProvider
from domain.vendors import tasks
from domain.vendors.tasks import TaskView
from tests.portal_fakes import PORTAL, NoApiProvider, PartialProvider
from tests.slack_limits import check_message

PLAN = {
    "version": "V3",
    "product": "marketing",
    "tier": "plus",
    "contacts": 2500,
    "frequency": "annual",
    "seats": 3,
    "addons": ["sms"],
    "limits": [["activities", "extended"]],
}
VALUES: dict[str, dict[str, Any]] = {
    Capability.PLAN: {"plan": PLAN, "status": "active"},
    Capability.STATUS: {"status": "disabled", "login_message": "Pay <now> & *bold*"},
    Capability.BRANDING: {
        "branding": {"name": "Acme", "colour": "#112233"},
        "custom_domain": "crm.acme.example",
    },
    Capability.NOTIFICATION_EMAIL: {"notification_email": "ops@agency.example"},
    Capability.PASSWORD: {"reset_email": "client@example.com"},
    Capability.TEMPLATES: {"share_link": "https://share.example/t/1?a=1&b=2"},
    Capability.MEMBERS: {"invite": "ana@example.com"},
    Capability.SNAPSHOT: {"snapshot": "acme 2026-11-25 09:30"},
}


def task(action: str, values: dict[str, Any], state: str = "open", account: str = "acme") -> TaskView:
    return TaskView(
        id=7,
        account=account,
        action=action,
        values=values,
        provider="manual",
        portal_url=PORTAL,
        state=state,
        created_by="U0OWNER",
        created_at=datetime(2026, 11, 25, tzinfo=UTC),
        done_by="U0MGR" if state == "done" else None,
        done_at=datetime(2026, 11, 26, tzinfo=UTC) if state == "done" else None,
        channel=None,
        message_ts=None,
    )


@pytest.mark.parametrize("key", ["password", "new_password", "api_key", "Secret", "token"])
def test_a_task_never_carries_a_secret(key: str) -> None:
    """Values naming a secret are refused before anything is written."""
    with pytest.raises(ValueError, match="never carries a secret"):
        tasks.check_values({key: "x"})
    assert tasks.check_values({"reset_email": "a@b.c"}) == {"reset_email": "a@b.c"}


def test_the_same_change_has_the_same_key() -> None:
    """Key order does not matter; the account, the action and every value do."""
    key = tasks.task_key("acme", "status", {"status": "disabled", "login_message": "x"})
    assert key == tasks.task_key("acme", "status", {"login_message": "x", "status": "disabled"})
    others = {
        tasks.task_key("acme2", "status", {"status": "disabled", "login_message": "x"}),
        tasks.task_key("acme", "plan", {"status": "disabled", "login_message": "x"}),
        tasks.task_key("acme", "status", {"status": "disabled", "login_message": "y"}),
    }
    assert key not in others and len(others) == 3 and len(key) <= 200


def test_a_product_names_its_provider_in_the_catalog(tmp_path: Path) -> None:
    """The per-seat product is `manual`; others follow the default; an unknown name stops start-up
    with one line naming the field."""
    catalog = load_catalog()
    assert catalog.provider_of("business-licenses") == "manual"
    assert catalog.provider_of("marketing") is None and catalog.provider_of("nope") is None
    default, manual = SimulatedProvider(), NoApiProvider()
    assert tasks.choose(default, {"manual": manual}, "manual") is manual
    assert tasks.choose(default, {}, "manual") is default  # not configured: the default serves it
    text = Path(data_init).with_name("catalog.toml").read_text("utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('\nprovider = "manual"', '\nprovider = "acme"', 1), "utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(bad)
    assert "versions.V3.products.business-licenses.provider:" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_vendor_without_the_capability_is_never_called() -> None:
    """`run_or_task` calls the vendor only when its API offers every capability asked for, and
    `fetch_or_none` reads nothing from one that does not."""
    calls: list[str] = []
    partial, full = PartialProvider(), SimulatedProvider()
    assert partial.supports(Capability.SNAPSHOT) and not partial.supports(Capability.STATUS)
    assert not NoApiProvider().supports(Capability.PROVISION) and full.supports(Capability.MEMBERS)
    assert tasks.fetch_or_none(partial, Capability.PASSWORD, lambda: calls.append("x")) is None
    assert tasks.fetch_or_none(full, Capability.PASSWORD, lambda: "read") == "read"
    assert calls == []


def test_portal_tasks_are_single_messages_and_never_muted() -> None:
    """Each task is its own message (its Done button updates only it); neither kind is in the list
    `/agency notices mute` accepts."""
    planned = rules.plan_messages([(1, rules.PORTAL_TASK), (2, rules.PORTAL_TASK), (3, rules.RENEWAL_COMING)])
    assert [(p.kind, p.notice_ids) for p in planned] == [
        (rules.RENEWAL_COMING, (3,)),
        (rules.PORTAL_TASK, (1,)),
        (rules.PORTAL_TASK, (2,)),
    ]
    assert rules.PORTAL_TASK not in rules.KINDS and rules.PORTAL_TASKS_OPEN not in rules.KINDS


@pytest.mark.parametrize("lang", ["en", "fr", "it"])
@pytest.mark.parametrize("action", list(VALUES))
def test_every_task_reads_whole_in_every_language(lang: str, action: str) -> None:
    """Every action's card names the account and its values, links the portal and has Done; the
    card, the reminder and the list fit Slack's limits; user text is escaped."""
    t = Translator(lang)
    card = portal_tasks.card(t, task(action, VALUES[action]))
    check_message(card)
    text = str(card)
    assert "*acme*" in text and PORTAL in text and portal_tasks.DONE_ACTION in text
    if action == Capability.STATUS:
        assert "Pay &lt;now&gt; &amp; *bold*" in text
    if action == Capability.PLAN:
        assert "marketing plus" in text and "activities extended" in text
    for value in ("ops@agency.example", "ana@example.com", "client@example.com", "crm.acme.example"):
        if value in str(VALUES[action]):
            assert value in text
    done = portal_tasks.card(t, task(action, VALUES[action], state="done"))
    assert portal_tasks.DONE_ACTION not in str(done) and "<@U0MGR>" in str(done)
    payload = {
        "count": 60,
        "tasks": [
            {"task_id": i, "account": f"a{i}", "action": action, "values": VALUES[action]} for i in range(45)
        ],
    }
    reminder = portal_tasks.reminder(t, payload)
    check_message(reminder)
    listing = portal_tasks.listing(t, 60, [task(action, VALUES[action])] * 25)
    check_message({"text": "x", "blocks": [b.to_dict() for b in listing]})


@given(
    action=st.sampled_from([*list(Capability), "unknown"]),
    values=st.dictionaries(
        st.sampled_from(["plan", "status", "login_message", "branding", "custom_domain", "invite", "x"]),
        st.text(max_size=3000) | st.none() | st.integers() | st.just({}),
        max_size=6,
    ),
    account=st.text(min_size=1, max_size=80),
)
def test_any_values_render_within_limits(action: str, values: dict[str, Any], account: str) -> None:
    """Whatever a stored task holds (odd types, long text, markup), its card renders within limits."""
    safe = {k: v for k, v in values.items() if not (k == "plan" and not isinstance(v, dict))}
    if isinstance(safe.get("branding"), str | int):
        safe.pop("branding")
    check_message(portal_tasks.card(Translator("fr"), task(action, safe, account=account)))
