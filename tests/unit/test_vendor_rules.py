"""The vendor choice and the vendors' small rules: settings, the one place providers are built, the
manual provider, the adapter's mapping of plans and locales, the stand-in's schema checks."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from bot.providers import build_provider
from bot.settings import SettingsError, load_settings
from bot.vendor_locales import language_options, locale_selects, timezone_groups, vendor_locales
from domain.catalog import load_catalog
from domain.ports import Capability, Locales, ProviderError, ProvisionRequest, Unsupported
from domain.simulated import SimulatedProvider
from domain.vendors.activecampaign import ActiveCampaignProvider, desk_language_of, vendor_language_of
from domain.vendors.manual import ManualProvider
from tests.standins.partners_hub import PartnersHub

CATALOG = load_catalog()
LOCALES = Locales(
    languages={"english": "English", "french": "Français", "italian": "Italiano", "klingon": "Klingon"},
    timezones={"Europe/Paris": "Paris", "America/New_York": "New York", "Mars/Olympus": "Olympus"},
)


def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RESELLER_PROVIDER", "AC_PARTNER_API_KEY", "AC_PARTNER_API_URL"):
        monkeypatch.delenv(name, raising=False)


def test_settings_pick_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    _clean_env(monkeypatch)
    assert isinstance(build_provider(load_settings(_env_file=None), CATALOG), SimulatedProvider)
    manual = build_provider(load_settings(_env_file=None, reseller_provider="manual"), CATALOG)
    assert isinstance(manual, ManualProvider) and manual.key == "manual"
    settings = load_settings(
        _env_file=None, reseller_provider="ActiveCampaign", ac_partner_api_key="k-real-1"
    )
    provider = build_provider(settings, CATALOG)
    assert isinstance(provider, ActiveCampaignProvider) and provider.key == "activecampaign"
    assert provider.base_url == "https://agency-partner-hub-web.global-aws-use1-p.app-us1.com/"
    assert "k-real-1" not in repr(settings) + repr(provider) + str(settings)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"reseller_provider": "activecampaign"}, "setting AC_PARTNER_API_KEY: is required"),
        ({"reseller_provider": "activecampaign", "ac_partner_api_key": "  "}, "setting AC_PARTNER_API_KEY"),
        ({"reseller_provider": "hubspot"}, "setting RESELLER_PROVIDER: 'hubspot' is not a provider"),
        ({"ac_partner_api_url": "not a url"}, "setting AC_PARTNER_API_URL: must be an http(s) URL"),
    ],
)
def test_bad_vendor_settings_are_one_line(
    monkeypatch: pytest.MonkeyPatch, overrides: dict[str, Any], expected: str
) -> None:
    _clean_env(monkeypatch)
    with pytest.raises(SettingsError) as bad:
        load_settings(_env_file=None, **overrides)
    assert str(bad.value).startswith(expected) and "\n" not in str(bad.value)


def test_manual_provider_does_nothing_itself() -> None:
    manual = ManualProvider(portal_url="https://portal.vendor.example/")
    assert manual.capabilities == frozenset() and not manual.supports(Capability.PROVISION)
    assert manual.name_available("anything") and manual.locked_until("r") is None and manual.locales() is None
    calls = [
        (Capability.SIGN_ON, lambda: manual.sso_link("r", "u")),
        (Capability.PLAN, lambda: manual.update("r", {})),
        (Capability.SNAPSHOT, lambda: manual.snapshot("r")),
        (Capability.PASSWORD, lambda: manual.send_password_reset("r", "e@x.example")),
        (Capability.PASSWORD, lambda: manual.set_password("r", "pw")),
        (Capability.TEMPLATES, lambda: manual.import_template("r", "link")),
        (Capability.MEMBERS, lambda: manual.invite_member("r", "e@x.example")),
        (Capability.LIST_ACCOUNTS, lambda: manual.list_accounts(1, 10)),
        (Capability.SNAPSHOT, manual.list_snapshots),
    ]
    for capability, call in calls:
        with pytest.raises(Unsupported) as refused:
            call()
        assert refused.value.capability == capability


def test_activecampaign_refuses_what_its_api_lacks() -> None:
    provider = ActiveCampaignProvider("k-1", base_url="http://127.0.0.1:9/", attempts=1)
    assert provider.capabilities == {
        Capability.PROVISION,
        Capability.NAME_CHECK,
        Capability.LIST_ACCOUNTS,
        Capability.SNAPSHOT,
        Capability.LOCALES,
    }
    for capability, call in [
        (Capability.SIGN_ON, lambda: provider.sso_link("1", "u")),
        (Capability.PLAN, lambda: provider.update("1", {"plan": {}})),
        (Capability.PASSWORD, lambda: provider.send_password_reset("1", "e@x.example")),
        (Capability.PASSWORD, lambda: provider.set_password("1", "pw")),
        (Capability.TEMPLATES, lambda: provider.import_template("1", "link")),
        (Capability.MEMBERS, lambda: provider.invite_member("1", "e@x.example")),
    ]:
        with pytest.raises(Unsupported) as refused:
            call()
        assert refused.value.capability == capability
    assert provider.locked_until("1") is None
    assert provider.portal_url == "https://www.activecampaign.com/partner/"


def test_simulated_provider_snapshots() -> None:
    provider = SimulatedProvider()
    made = provider.create_snapshot("acc_1", "golden")
    assert provider.list_snapshots() == [made] and made.status == "success"
    provider.delete_snapshot(made.id)
    assert provider.list_snapshots() == [] and provider.cloning_status() == []
    with pytest.raises(ProviderError):
        provider.delete_snapshot(made.id)


def test_provider_error_carries_a_translatable_message() -> None:
    error = ProviderError("The vendor has no account {reference}.", params={"reference": "12"}, field="name")
    assert str(error) == "The vendor has no account 12." and error.message.endswith("{reference}.")
    assert ProviderError("plain {braces} text").params == {} and str(ProviderError("a {b}")) == "a {b}"


def test_plans_become_vendor_products() -> None:
    provider = ActiveCampaignProvider("k-1", base_url="http://127.0.0.1:9/", catalog=CATALOG)
    trial = provider.products({"product": "EM", "level": "trial", "addons": [], "limits": []})
    assert trial == [{"code": "ac", "tier": "trial", "entitlements": []}]
    seats = provider.products({"product": "business-licenses", "licenses": 12, "limits": []})
    assert seats == [
        {
            "code": "business-licenses",
            "tier": "standard",
            "entitlements": [{"code": "licenses", "limit": {"included_units": 12}}],
        }
    ]
    with pytest.raises(ProviderError) as unknown:
        provider.products({"product": "nothing-sold"})
    assert unknown.value.field == "plan"


def test_languages_map_to_the_vendor_catalog() -> None:
    assert vendor_language_of("fr", LOCALES) == "french"
    assert vendor_language_of("english", LOCALES) == "english"
    assert vendor_language_of("it", None) == "italian"  # no catalog: sent unchecked
    assert vendor_language_of("ja", LOCALES) is None and vendor_language_of("", LOCALES) is None
    assert desk_language_of("french") == "fr" and desk_language_of("klingon") is None


def test_modal_options_come_from_the_vendor_catalog() -> None:
    assert language_options(LOCALES) == [("English", "en"), ("Français", "fr"), ("Italiano", "it")]
    assert timezone_groups(LOCALES) == {
        "America": [("New York", "America/New_York")],
        "Europe": [("Paris", "Europe/Paris")],
    }
    blocks = locale_selects(str.title, LOCALES, "fr", "Europe/Paris")
    assert blocks is not None
    language, zone = (b.to_dict() for b in blocks)
    assert language["block_id"] == "language" and language["element"]["initial_option"]["value"] == "fr"
    assert zone["block_id"] == "timezone" and zone["element"]["initial_option"]["value"] == "Europe/Paris"
    many = Locales(languages=LOCALES.languages, timezones={z: z for z in _zones()[:150]})
    big = locale_selects(str.title, many, None, None)
    assert big is not None and "option_groups" in big[1].to_dict()["element"]
    assert locale_selects(str.title, Locales(languages={}, timezones={}), None, None) is None


def _zones() -> list[str]:
    from zoneinfo import available_timezones

    return sorted(z for z in available_timezones() if "/" in z)


def test_a_slow_or_failing_catalog_never_holds_up_a_modal() -> None:
    calls: list[str] = []

    def failing(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ConnectError("refused")

    provider = ActiveCampaignProvider("k-1", transport=httpx.MockTransport(failing), attempts=1)
    assert vendor_locales(provider, wait=1.0) is None
    assert vendor_locales(provider, wait=1.0) is None
    assert calls == ["/api/locales/v1/catalogs"], "after a failure the vendor is left alone a while"

    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(0.3)
        return httpx.Response(200, json={"languages": {"french": "Français"}, "timezones": {"UTC": "UTC"}})

    patient = ActiveCampaignProvider("k-1", transport=httpx.MockTransport(slow), attempts=1)
    started = time.monotonic()
    assert vendor_locales(patient, wait=0.05) is None
    assert time.monotonic() - started < 0.25, "the modal did not wait for the slow vendor"
    time.sleep(0.4)
    found = vendor_locales(patient, wait=0.05)
    assert found is not None and found.languages == {"french": "Français"}
    assert vendor_locales(SimulatedProvider()) is None and vendor_locales(ManualProvider()) is None


def test_the_stand_in_refuses_and_records_requests_that_break_the_document() -> None:
    hub = PartnersHub(allow_violations=True).start()
    try:
        client = httpx.Client(base_url=hub.url, headers={"api-key": hub.api_key})
        bad = client.post("/api/child-accounts/v1/", json={"account_name": "x", "color": "red"})
        assert bad.status_code == 422
        paths = {v["propertyPath"] for v in bad.json()["violations"]}
        assert {"color", "name", "email", "notification", "billing_interval", "products", "country"} == paths
        assert client.get("/api/child-accounts/v1/", params={"limit": 5000}).status_code == 422
        assert client.get("/api/child-accounts/v1/", params={"colour": "x"}).status_code == 422
        assert client.get("/api/child-accounts/v1/", params={"sort_by": "name"}).status_code == 422
        assert client.delete("/api/child-account-snapshots/v1/abc").status_code == 422
        assert (
            client.post("/api/child-account-snapshots/v1/", json={"account_id": "1", "name": "s"}).status_code
            == 422
        )
        assert client.get("/api/unknown").status_code == 404
        fields = {problem.field for _, problem in hub.violations}
        assert {"color", "limit", "colour", "sort_by", "snapshotId", "account_id", ""} <= fields
        anonymous = httpx.get(hub.url + "api/child-accounts/v1/")
        assert anonymous.status_code == 401 and anonymous.json() == {
            "error": "Unauthorized",
            "message": "Invalid credentials",
        }
        created = client.post(
            "/api/child-accounts/v1/",
            json={
                "account_name": "ok",
                "name": "Owner",
                "email": "o@x.example",
                "notification": "n@x.example",
                "billing_interval": 1,
                "products": [{"code": "ac", "tier": "basic", "entitlements": []}],
                "country": "US",
            },
        )
        assert created.status_code == 200 and created.content == b""
        listed = client.get("/api/child-accounts/v1/", params={"search": "ok"}).json()
        assert listed["pagination"] == {"total": 1, "page": 1, "limit": 20, "total_pages": 1}
        hub.fail_next(1, 429, retry_after=2)
        limited = client.get("/api/locales/v1/catalogs")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
        assert json.loads(limited.content)["status"] == 429
    finally:
        hub.stop()


def test_the_stand_in_records_to_the_file_named_by_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    record = tmp_path / "requests.jsonl"
    monkeypatch.setenv("PARTNERS_HUB_RECORD", str(record))
    hub = PartnersHub().start()
    try:
        httpx.get(hub.url + "api/child-accounts/v1/?page=2&limit=10", headers={"api-key": hub.api_key})
    finally:
        hub.stop()
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert lines == [
        {
            "method": "GET",
            "path": "/api/child-accounts/v1/",
            "query": [["page", "2"], ["limit", "10"]],
            "json": None,
        }
    ]


def test_provision_without_client_email_names_the_field() -> None:
    provider = ActiveCampaignProvider("k-1", base_url="http://127.0.0.1:9/", attempts=1)
    request = ProvisionRequest(
        name="a",
        client_name="A",
        notification_email="n@x.example",
        country="US",
        region="us",
        language="en",
        timezone="UTC",
        plan={"product": "marketing", "tier": "plus"},
        password="x",
    )
    with pytest.raises(ProviderError) as missing:
        provider.provision(request)
    assert missing.value.field == "client_email"


def test_answers_the_desk_cannot_read_are_errors_not_tracebacks() -> None:
    answers = iter(
        [
            httpx.Response(200, text="<html>maintenance</html>"),
            httpx.Response(403, json={"detail": "Forbidden for this partner"}),
            httpx.Response(422, json={"violations": {"x": {"propertyPath": "email", "title": "Bad email."}}}),
            httpx.Response(401, text="no"),
        ]
    )
    provider = ActiveCampaignProvider(
        "k-1", transport=httpx.MockTransport(lambda _: next(answers)), attempts=1
    )
    with pytest.raises(ProviderError, match=r"cannot read \(GET /api/child-accounts/v1/\)"):
        provider.list_accounts(1, 10)
    with pytest.raises(ProviderError, match=r"HTTP 403\): Forbidden for this partner"):
        provider.list_accounts(1, 10)
    with pytest.raises(ProviderError, match="Bad email") as refused:
        provider.list_accounts(1, 10)
    assert refused.value.field == "client_email"
    with pytest.raises(ProviderError, match="AC_PARTNER_API_KEY"):
        provider.list_accounts(1, 10)


def test_the_stand_in_answers_are_checked_against_the_document() -> None:
    from tests.standins.openapi_check import checker

    page = {"hosted_accounts": [], "pagination": {"total": 0, "page": 1, "limit": 20, "total_pages": 0}}
    assert checker().check_answer("GET", "/api/child-accounts/v1/", 200, json.dumps(page).encode()) == []
    wrong = {**page, "next": 2}
    problems = checker().check_answer("GET", "/api/child-accounts/v1/", 200, json.dumps(wrong).encode())
    assert [p.field for p in problems] == ["next"]
