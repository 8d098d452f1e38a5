"""Issue 18 §1: what the vendor's portal has and the desk did not, over signed HTTP.

Billing profiles whose label and expiry change (SPEC §7); the vendor's links (partner portal, agency
FAQ, customer-experience team) in `/agency help` and App Home; the overview's chosen columns; the
monthly prepaid advice; global shortcuts and a shared quote.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.shell.localslack import LocalSlack
from domain.catalog import Catalog, parse_catalog
from domain.store.models import AuditEntry, BillingProfile
from tests.e2e.test_agency_http import row_counts
from tests.slackhttp import SlackHttp, payload_text, text_input
from tests.slackhttp import select as pick


# billing profiles: label and expiry ------------------------------------------------------------------
def _profile(http: SlackHttp, label: str = "Office card") -> int:
    """A test-card profile; its id (ids are not reset between tests on PostgreSQL)."""
    http.command("/agency", "members")
    http.command("/billing", "profiles add")
    reply = http.submit(http.opened_view(), {"test_card": pick("4242"), "label": text_input(label)})
    assert "errors" not in reply.body
    said = http.slack.of("chat.postEphemeral")[-1].params["text"]
    found = re.search(r"Billing profile (\d+) added", said) or re.search(r"(\d+)", said)
    assert found is not None
    return int(found.group(1))


def _edit(http: SlackHttp, label: str, expiry: str, profile_id: int, user: str = "U0OWNER") -> Any:
    opened = http.command("/billing", f"profiles edit {profile_id}", user=user)
    assert opened.status == 200 and not opened.body.get("text"), opened.text
    view = http.opened_view()
    assert view["callback_id"] == "billing_profile_edit"
    return http.submit(view, {"label": text_input(label), "expiry": text_input(expiry)}, user=user)


def _rows(sessions: sessionmaker[Session]) -> tuple[list[BillingProfile], list[AuditEntry]]:
    with sessions() as s:
        profiles = list(s.scalars(select(BillingProfile)))
        audit = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "billing_profile.changed")))
        return profiles, audit


def test_a_profile_label_and_expiry_change_once_audited(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session]
) -> None:
    pid = _profile(http)
    http.command("/billing", f"profiles edit {pid}")
    filled = {
        b["block_id"]: b["element"].get("initial_value")
        for b in http.opened_view()["blocks"]
        if b["type"] == "input"
    }
    assert filled == {"label": "Office card", "expiry": "12/31"}
    reply = _edit(http, "Finance <Visa>", "08/29", pid)
    assert reply.status == 200 and "errors" not in reply.body
    said = slack.of("chat.postEphemeral")[-1].params["text"]
    assert "Finance &lt;Visa&gt;" in said and "08/2029" in said
    reply = _edit(http, "Finance <Visa>", "08/2029", pid)  # the same values again: a retry changes nothing
    assert "nothing changed" in slack.of("chat.postEphemeral")[-1].params["text"]
    profiles, audit = _rows(sessions)
    assert [(p.label, p.exp_month, p.exp_year) for p in profiles] == [("Finance <Visa>", 8, 2029)]
    assert len(audit) == 1
    assert audit[0].before == {"label": "Office card", "expiry": "12/2031"}
    assert audit[0].after == {"label": "Finance <Visa>", "expiry": "08/2029"}
    assert "billing profile changed" in http.command("/agency", "audit 3").text


@pytest.mark.parametrize(
    ("label", "expiry", "field", "words"),
    [
        ("Ok", "01/20", "expiry", "expired"),
        ("Ok", "13/29", "expiry", "MM/YY"),
        ("Ok", "", "expiry", "MM/YY"),
        ("card 4242 4242 4242 4242", "08/29", "label", "card number"),
    ],
)
def test_a_bad_field_is_named_and_nothing_is_written(
    http: SlackHttp,
    sessions: sessionmaker[Session],
    db: Engine,
    label: str,
    expiry: str,
    field: str,
    words: str,
) -> None:
    pid = _profile(http)
    before = row_counts(db)
    reply = _edit(http, label, expiry, pid)
    assert list(reply.body["errors"]) == [field]
    assert words.lower() in reply.body["errors"][field].lower()
    assert row_counts(db) == before
    assert [(p.label, p.exp_month) for p in _rows(sessions)[0]] == [("Office card", 12)]


def test_only_money_roles_change_a_profile_and_only_their_agency(
    http: SlackHttp, slack: LocalSlack, sessions: sessionmaker[Session]
) -> None:
    pid = _profile(http)
    http.command("/agency", "members add <@U0VIEW> viewer")
    refused = http.command("/billing", f"profiles edit {pid}", user="U0VIEW")
    assert "role" in refused.text.lower()
    assert "no billing profile 99,999,999" in http.command("/billing", "profiles edit 99999999").text
    assert "/billing profiles edit 2" in http.command("/billing", "profiles edit x").text
    # a modal whose metadata names another profile (tampered) is refused on its first input
    http.command("/billing", f"profiles edit {pid}")
    view = http.opened_view()
    view["private_metadata"] = json.dumps({"profile": 77777777})
    reply = http.submit(view, {"label": text_input("x"), "expiry": text_input("08/29")})
    assert "no billing profile 77,777,777" in reply.body["errors"]["label"]
    assert [p.label for p in _rows(sessions)[0]] == ["Office card"]


def test_the_list_has_an_edit_button_that_opens_the_modal(http: SlackHttp) -> None:
    pid = _profile(http)
    listing = http.command("/billing", "profiles")
    buttons = [
        b["accessory"]
        for b in listing.body["blocks"]
        if b.get("accessory", {}).get("action_id") == "billing_profile_edit_open"
    ]
    assert [b["value"] for b in buttons] == [str(pid)]
    http.click("billing_profile_edit_open", str(pid))
    assert http.opened_view()["callback_id"] == "billing_profile_edit"


def test_the_edit_modal_speaks_french(
    http: SlackHttp, slack: LocalSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(slack.user_locales, "U0OWNER", "fr-FR")
    pid = _profile(http)
    http.command("/billing", f"profiles edit {pid}")
    view = json.dumps(http.opened_view(), ensure_ascii=False)
    assert f"Profil de facturation {pid}" in view and "Modifier le profil" in view and "Expiration" in view


# the vendor's links ----------------------------------------------------------------------------------
def test_agency_help_and_app_home_link_the_vendor_portal_faq_and_support(
    http: SlackHttp, catalog: Catalog
) -> None:
    vendor = catalog.vendor("simulated")
    assert vendor is not None
    help_text = http.command("/agency", "help").raw
    home = json.dumps(http.home())
    for shown in (help_text, home):
        assert vendor.portal_url in shown and vendor.faq_url in shown
        assert f"{vendor.support_email}" in shown
        assert "partner portal" in shown and "customer experience team" in shown


def test_the_links_follow_the_provider_key_with_the_default_for_others(catalog: Catalog) -> None:
    default = catalog.vendor("default")
    assert default is not None
    assert catalog.vendor("manual") == default
    assert catalog.vendor("activecampaign") is not None
    assert catalog.vendor("simulated") != default


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        (
            {"portal_url": "http://x.example/", "faq_url": "https://x/", "support_email": "a@b.co"},
            "portal_url",
        ),
        ({"portal_url": "https://x/|evil", "faq_url": "https://x/", "support_email": "a@b.co"}, "portal_url"),
        ({"portal_url": "https://x/", "faq_url": "https://x/"}, "support"),
        (
            {"portal_url": "https://x/", "faq_url": "https://x/", "support_email": "not-an-address"},
            "support_email",
        ),
    ],
)
def test_a_bad_vendor_entry_stops_the_catalog_naming_the_field(entry: dict[str, str], problem: str) -> None:
    import tomllib
    from importlib import resources

    data = tomllib.loads(resources.files("domain.data").joinpath("catalog.toml").read_text(encoding="utf-8"))
    data["vendors"] = {"acme": {"name": "Acme", **entry}}
    with pytest.raises(Exception, match=f"vendors.acme.*{problem}"):
        parse_catalog(data, "test")


# global shortcuts and a shared quote -----------------------------------------------------------------
def _shortcut(http: SlackHttp, callback_id: str, user: str = "U0OWNER") -> Any:
    return http.interaction({"type": "shortcut", "callback_id": callback_id, "user": {"id": user}})


def test_the_manifest_declares_the_two_global_shortcuts_the_app_listens_to() -> None:
    import yaml

    from tests.unit.test_manifest import ROOT

    manifest = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    shortcuts = {s["callback_id"]: s for s in manifest["features"]["shortcuts"]}
    assert set(shortcuts) == {"accounts_new_shortcut", "quote_shortcut"}
    assert {s["name"] for s in shortcuts.values()} == {"New account", "Quote"}
    assert all(s["type"] == "global" for s in shortcuts.values())


def test_the_new_account_shortcut_opens_the_add_modal(http: SlackHttp) -> None:
    http.command("/agency", "members")
    reply = _shortcut(http, "accounts_new_shortcut")
    assert reply.status == 200
    shortcut_view = http.opened_view()
    http.command("/accounts", "add")
    assert shortcut_view["callback_id"] == http.opened_view()["callback_id"] == "accounts_add"
    assert [b.get("block_id") for b in shortcut_view["blocks"]] == [
        b.get("block_id") for b in http.opened_view()["blocks"]
    ]


def test_a_viewer_is_told_in_the_dm_that_the_shortcut_is_not_for_their_role(
    http: SlackHttp, slack: LocalSlack
) -> None:
    http.command("/agency", "members add <@U0VIEW> viewer")
    mark = slack.mark()
    assert _shortcut(http, "accounts_new_shortcut", user="U0VIEW").status == 200
    posts = [c for c in slack.since(mark) if c.method == "chat.postMessage"]
    assert not [c for c in slack.since(mark) if c.method == "views.open"]
    assert posts and posts[0].params["channel"] == "U0VIEW" and "role" in json.dumps(posts[0].params)


def test_the_quote_shortcut_opens_the_quote_modal_and_the_quote_comes_to_the_dm(
    http: SlackHttp, slack: LocalSlack
) -> None:
    http.command("/agency", "members")
    assert _shortcut(http, "quote_shortcut").status == 200
    view = http.opened_view()
    assert view["callback_id"] == "quote_modal"
    mark = slack.mark()
    reply = http.submit(view, {})
    assert reply.status == 200 and "errors" not in reply.body, reply.body
    posts = [c for c in slack.since(mark) if c.method == "chat.postMessage"]
    assert [p.params["channel"] for p in posts] == ["U0OWNER"]
    assert "per cycle" in json.dumps(posts[0].params)


def _share_button(reply: Any) -> str:
    values = [
        e["value"]
        for b in reply.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "quote_share"
    ]
    assert len(values) == 1
    return str(values[0])


def test_share_quote_posts_once_to_the_channel_in_the_agencys_language(
    http: SlackHttp, slack: LocalSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    http.command("/agency", "members")
    monkeypatch.setitem(slack.user_locales, "U0OWNER", "fr-FR")  # the person reads French…
    quoted = http.command("/quote", "plus 2500 annual")
    value = _share_button(quoted)
    assert "plus" not in value and len(value) == 48  # only a held id: no plan, no amount, no channel
    mark = slack.mark()
    http.click("quote_share", value)
    http.click("quote_share", value)  # a second click (or Slack's retry) posts nothing again
    posts = [c for c in slack.since(mark) if c.method == "chat.postMessage"]
    assert len(posts) == 1 and posts[0].params["channel"] == "C0TEST"
    shared = json.dumps(posts[0].params, ensure_ascii=False)
    assert "Quote: Marketing" in shared and "Devis" not in shared  # …the channel reads English
    assert "<@U0OWNER>" in shared and "Create account" not in shared
    answers = [c for c in slack.since(mark) if c.method == "response_url"]
    assert "Already done" in json.dumps(answers[-1].params, ensure_ascii=False) or "Déjà" in json.dumps(
        answers[-1].params, ensure_ascii=False
    )


def test_only_the_person_who_quoted_shares_it_and_a_forged_id_is_refused(
    http: SlackHttp, slack: LocalSlack
) -> None:
    http.command("/agency", "members")
    http.command("/agency", "members add <@U0MGR> manager")
    value = _share_button(http.command("/quote", "plus 2500 annual"))
    mark = slack.mark()
    http.click("quote_share", value, user="U0MGR")
    http.click("quote_share", "f" * 48)
    assert not [c for c in slack.since(mark) if c.method == "chat.postMessage"]
    said = json.dumps([c.params for c in slack.since(mark)])
    assert "only they can confirm" in said and "not valid any more" in said


# the overview's columns ------------------------------------------------------------------------------
def _with_accounts(sessions: sessionmaker[Session]) -> None:
    from tests.factories import make_account, make_agency, make_profile

    with sessions.begin() as s:
        agency = make_agency(s)
        profile = make_profile(s, agency)
        make_account(
            s,
            agency,
            name="acme-shop",
            client_name="Acme <Shop>",
            billing_profile_id=profile.id,
            client_price=Decimal("200"),
        )


def _columns_button(reply: Any) -> dict[str, Any]:
    found = [
        e
        for b in reply.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == "accounts_columns"
    ]
    assert len(found) == 1
    return dict(found[0])


def _choose(http: SlackHttp, value: str, columns: list[str]) -> Any:
    http.click("accounts_columns", value)
    view = http.opened_view()
    assert view["callback_id"] == "accounts_columns_save"
    return http.submit(view, {"columns": _ticked(columns)})


def _ticked(values: list[str]) -> dict[str, Any]:
    return {
        "type": "checkboxes",
        "selected_options": [{"text": {"type": "plain_text", "text": v}, "value": v} for v in values],
    }


def _row(reply: Any) -> str:
    return next(
        b["text"]["text"]
        for b in reply.body["blocks"]
        if b["type"] == "section" and "acme-shop" in b["text"]["text"]
    )


def test_the_member_chooses_the_overview_columns_and_they_are_kept(
    http: SlackHttp, sessions: sessionmaker[Session], slack: LocalSlack
) -> None:
    _with_accounts(sessions)
    first = http.command("/accounts")
    row = _row(first)
    assert "Acme &lt;Shop&gt;" in row and "per cycle" in row and "renews" in row and "margin" in row
    assert _columns_button(first)["value"] == "(overview)"
    http.click("accounts_columns", "(overview)")
    ticked = [o["value"] for o in http.opened_view()["blocks"][0]["element"]["initial_options"]]
    assert ticked == ["client", "plan", "status", "expiry", "cost", "margin"]
    reply = _choose(http, "", ["cost", "client"])
    assert reply.status == 200 and "errors" not in reply.body
    row = _row(http.command("/accounts"))
    assert "Acme &lt;Shop&gt;" in row and "per cycle" in row
    assert "renews" not in row and "margin" not in row and "active" not in row
    # another member still sees every column
    http.command("/agency", "members add <@U0MGR> manager")
    assert "renews" in _row(http.command("/accounts", user="U0MGR"))
    # the same choice again writes nothing more
    _choose(http, "", ["client", "cost"])
    with sessions() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action == "view.columns")))
    assert len(entries) == 1 and entries[0].after == {"columns": "client, cost"}
    assert "overview" not in http.command("/accounts", "views").text  # not listed as a named view


def test_a_saved_view_keeps_its_own_columns(http: SlackHttp, sessions: sessionmaker[Session]) -> None:
    _with_accounts(sessions)
    http.command("/accounts")
    _choose(http, "", ["status"])
    http.command("/accounts", "views save mine status:all")  # takes the overview's columns
    shown = http.command("/accounts", "view mine")
    assert _columns_button(shown)["value"] == "mine"
    assert "active" in _row(shown) and "per cycle" not in _row(shown)
    _choose(http, "mine", ["cost"])
    assert "per cycle" in _row(http.command("/accounts", "view mine"))
    assert "active" in _row(http.command("/accounts"))  # the plain overview kept its own


@pytest.mark.parametrize("values", [["client", "password"], ["client"] * 7, "client"])
def test_unknown_columns_are_refused_on_the_field(
    http: SlackHttp, sessions: sessionmaker[Session], db: Engine, values: Any
) -> None:
    _with_accounts(sessions)
    http.command("/accounts")
    http.click("accounts_columns", "")
    view = http.opened_view()
    before = row_counts(db)
    if isinstance(values, list):
        reply = http.submit(view, {"columns": _ticked(values)})
    else:
        reply = http.submit(view, {"columns": {"type": "checkboxes", "selected_options": values}})
    assert "columns" in reply.body["errors"]
    assert row_counts(db) == before


def test_no_column_at_all_leaves_the_name_and_the_buttons(
    http: SlackHttp, sessions: sessionmaker[Session]
) -> None:
    _with_accounts(sessions)
    http.command("/accounts")
    _choose(http, "", [])
    reply = http.command("/accounts")
    assert _row(reply) == "*acme-shop*"
    assert any(
        e.get("action_id") == "accounts_login"
        for b in reply.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    )


# the monthly prepaid advice --------------------------------------------------------------------------
DEC_1 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _advice_portfolio(sessions: sessionmaker[Session], advice_day: int = 1) -> tuple[int, list[int]]:
    """Three paid accounts renewing in December (one earmarked 40.00), one in January, one trial;
    50.00 of general prepaid credit."""
    from domain import ledger
    from tests.factories import make_account, make_agency, make_profile

    with sessions.begin() as s:
        agency = make_agency(s, notice_channel="C0NOTICES", prepaid_advice_day=advice_day)
        profile = make_profile(s, agency)
        ids = [
            make_account(
                s, agency, name=f"dec-{n}", billing_profile_id=profile.id, period_end=date(2026, 12, day)
            ).id
            for n, day in enumerate((1, 10, 31))
        ]
        make_account(s, agency, name="jan", billing_profile_id=profile.id, period_end=date(2027, 1, 1))
        make_account(
            s,
            agency,
            name="trial",
            pricing_version="V1",
            product="EM",
            tier="trial",
            status="trial",
            period_end=date(2026, 12, 5),
        )
        for amount, account in ((Decimal("50.00"), None), (Decimal("40.00"), ids[1])):
            ledger.append(
                s,
                agency_id=agency.id,
                pool="prepaid",
                amount=amount,
                kind="purchase",
                actor="U0OWNER",
                at=DEC_1,
                account_id=account,
            )
        return agency.id, ids


def _charges(sessions: sessionmaker[Session], catalog: Catalog, ids: list[int]) -> list[Decimal]:
    """Each account's renewal charge as the billing run computes it (the digest's own function)."""
    from domain.notices.sweep import renewal_charge
    from domain.portfolio import count_active_paid
    from domain.store.models import Account

    with sessions() as s:
        accounts = [s.get(Account, i) for i in ids]
        count = count_active_paid(s, accounts[0].agency_id)  # type: ignore[union-attr]
        found = [renewal_charge(s, catalog, a, count) for a in accounts if a]
    return [c.total for c in found if c is not None]


def _run(http: SlackHttp, extras: dict[str, Any]) -> None:
    http.command("/agency", "notices run")
    for worker in extras.get("notice_runs", []):
        worker.join(10)


def test_on_the_advice_day_the_month_is_priced_once_and_buy_prepaid_confirms_the_difference(
    desk: tuple[SlackHttp, dict[str, Any]],
    sessions: sessionmaker[Session],
    clock: Any,
    catalog: Catalog,
    slack: LocalSlack,
) -> None:
    from domain.store.models import Invoice, Notice

    http, extras = desk
    clock.set(DEC_1)
    _, ids = _advice_portfolio(sessions)
    charges = _charges(sessions, catalog, ids)
    assert len(charges) == 3 and all(c > 0 for c in charges)
    cost = sum(charges, Decimal(0))
    shortfall = cost - min(charges[1], Decimal("40.00")) - Decimal("50.00")
    to_buy = shortfall.to_integral_value(rounding="ROUND_CEILING")
    _run(http, extras)
    _run(http, extras)  # a second run the same day
    clock.set(DEC_1 + timedelta(days=1))
    _run(http, extras)  # and the next day: still one advice this month
    with sessions() as s:
        advices = list(s.scalars(select(Notice).where(Notice.kind == "prepaid_advice")))
    assert len(advices) == 1
    assert advices[0].payload["cost"] == str(cost) and advices[0].payload["renewals"] == 3
    posts = [p for p in slack.of("chat.postMessage") if f"notice:{advices[0].id}" in json.dumps(p.params)]
    assert len(posts) == 1 and posts[0].params["channel"] == "C0NOTICES"
    said = payload_text(posts[0].params)
    assert f"Dec 1, 2026 to Dec 31, 2026, 3 renewals will cost ${cost:,} after discounts" in said
    assert "Prepaid balance: $50.00" in said and f"Buy ${to_buy:,.2f} of prepaid credit" in said

    # Buy prepaid: the amount is worked out again at the click, and the usual confirm card follows
    mark = slack.mark()
    http.click(
        "notice_buy_prepaid",
        str(advices[0].id),
        surface="message",
        channel="C0NOTICES",
        message={
            "ts": posts[0].response["ts"],
            "text": posts[0].params["text"],
            "blocks": posts[0].params["blocks"],
        },
    )
    card = next(
        c.params
        for c in slack.since(mark)
        if c.method == "response_url" and "credits_buy_confirm" in json.dumps(c.params)
    )
    assert f"${to_buy:,.2f} of prepaid credit" in payload_text(card)
    confirm = next(
        e["value"]
        for b in card["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "credits_buy_confirm"
    )
    http.click("credits_buy_confirm", confirm)
    http.click("credits_buy_confirm", confirm)
    with sessions() as s:
        bought = list(s.scalars(select(Invoice)))
    assert len(bought) == 1 and bought[0].total == to_buy
    # now the balance covers the month: /credits and the App Home say so, with no button
    for shown in (http.command("/credits").raw, json.dumps(http.home())):
        assert "covers the month" in shown and "credits_advice_buy" not in shown


def test_credits_and_app_home_show_the_same_figure_with_a_buy_button(
    http: SlackHttp, sessions: sessionmaker[Session], clock: Any, catalog: Catalog, slack: LocalSlack
) -> None:
    clock.set(DEC_1)
    _, ids = _advice_portfolio(sessions)
    charges = _charges(sessions, catalog, ids)
    cost = sum(charges, Decimal(0))
    credits = http.command("/credits")
    home = http.home()
    for shown in (credits.text, payload_text({"blocks": home["blocks"]})):
        assert f"3 renewals will cost ${cost:,}" in shown
    assert "credits_advice_buy" in credits.raw and "credits_advice_buy" in json.dumps(home)
    mark = slack.mark()
    http.click("credits_advice_buy", "anything")  # the value is not read
    assert "credits_buy_confirm" in json.dumps([c.params for c in slack.since(mark)])
    # a viewer sees the figure but cannot buy
    http.command("/agency", "members add <@U0VIEW> viewer")
    mark = slack.mark()
    http.click("credits_advice_buy", "month", user="U0VIEW")
    said = json.dumps([c.params for c in slack.since(mark)])
    assert "credits_buy_confirm" not in said and "role" in said


def test_the_advice_day_is_the_last_agency_setting_and_is_validated(
    http: SlackHttp, sessions: sessionmaker[Session], db: Engine
) -> None:
    from domain.store.models import Agency

    http.command("/agency", "members")
    http.command("/agency", "settings")
    view = http.opened_view()
    last = view["blocks"][-1]
    assert last["block_id"] == "prepaid_advice_day" and last["element"]["initial_value"] == "1"
    for bad in ("0", "29", "x"):
        before = row_counts(db)
        reply = http.submit(view, {"prepaid_advice_day": {"type": "number_input", "value": bad}})
        assert "1 to 28" in reply.body["errors"]["prepaid_advice_day"]
        assert row_counts(db) == before
    reply = http.submit(view, {"prepaid_advice_day": {"type": "number_input", "value": "15"}})
    assert "errors" not in reply.body
    with sessions() as s:
        assert s.scalars(select(Agency)).one().prepaid_advice_day == 15


def test_no_advice_before_the_day_nor_long_after_it(
    desk: tuple[SlackHttp, dict[str, Any]], sessions: sessionmaker[Session], clock: Any
) -> None:
    from domain.store.models import Notice

    http, extras = desk
    _advice_portfolio(sessions, advice_day=5)
    for day in (4, 9):  # the day before, and past the catch-up days
        clock.set(DEC_1.replace(day=day))
        _run(http, extras)
    with sessions() as s:
        assert not list(s.scalars(select(Notice).where(Notice.kind == "prepaid_advice")))
    clock.set(DEC_1.replace(day=6))  # the 5th was missed: caught up the next day
    _run(http, extras)
    with sessions() as s:
        assert len(list(s.scalars(select(Notice).where(Notice.kind == "prepaid_advice")))) == 1
