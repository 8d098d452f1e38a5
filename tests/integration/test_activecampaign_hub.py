"""The ActiveCampaign adapter against the Partners Hub stand-in (real HTTP on 127.0.0.1).

Every request the adapter sends is checked by the stand-in against the document's request schemas;
the `partners_hub` fixture fails the test if any broke it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

import pytest

from domain.ports import ProviderError, ProvisionRequest
from domain.vendors.activecampaign import ACCOUNTS, CLONING, LOCALES, SNAPSHOTS, ActiveCampaignProvider
from tests.standins.fixtures import provider_for
from tests.standins.partners_hub import PartnersHub

PLAN: dict[str, Any] = {
    "version": "V3",
    "product": "marketing",
    "level": None,
    "tier": "plus",
    "contacts": 2500,
    "frequency": "annual",
    "seats": 3,
    "addons": ["sms"],
    "licenses": None,
    "limits": [["activities", "extended"], ["email-sending", 20000]],
}
REQUEST = ProvisionRequest(
    name="acme",
    client_name="Acme Ltd",
    notification_email="ops@agency.example",
    country="fr",
    region="eu",
    language="fr",
    timezone="Europe/Paris",
    plan=PLAN,
    password="not-sent-anywhere-123",
    client_email="boss@acme.example",
    currency="eur",
    billing_profile="pm_4242",
)


def test_create_sends_the_document_body_and_finds_the_account_by_name(
    partners_hub: PartnersHub, hub_provider: ActiveCampaignProvider
) -> None:
    partners_hub.seed(3)
    made = hub_provider.provision(REQUEST)
    created = partners_hub.by_name("acme")
    assert created is not None and made.reference == str(created["id"]) == "4"
    assert made.username == "boss@acme.example" and made.login_url == "https://acme.activehosted.com"
    posts = partners_hub.calls("POST", ACCOUNTS)
    assert len(posts) == 1 and posts[0].api_key_sent
    assert posts[0].body == {
        "account_name": "acme",
        "name": "Acme Ltd",
        "email": "boss@acme.example",
        "notification": "ops@agency.example",
        "billing_interval": 12,
        "products": [
            {
                "code": "marketing",
                "tier": "plus",
                "entitlements": [
                    {"code": "contacts", "limit": {"included_units": 2500}},
                    {"code": "users", "limit": {"included_units": 3}},
                    {"code": "activities-extended"},
                    {"code": "email-sending", "limit": {"included_units": 20000}},
                ],
            },
            {"code": "sms", "tier": "plus", "entitlements": [], "addon": True},
        ],
        "country": "FR",
        "language": "french",
        "timezone": "Europe/Paris",
        "currency": "EUR",
        "profile": "pm_4242",
    }
    assert "not-sent-anywhere-123" not in str(partners_hub.requests)
    searches = [c for c in partners_hub.calls("GET", ACCOUNTS) if ("search", "acme") in c.query]
    assert searches, "the empty create answer is followed by a search by name"


def test_create_with_products_monthly_cname_and_snapshot(
    partners_hub: PartnersHub, hub_provider: ActiveCampaignProvider
) -> None:
    source = partners_hub.add_account("template-account")
    snapshot = hub_provider.create_snapshot(str(source), "golden")
    request = replace(
        REQUEST,
        name="beta",
        plan={**PLAN, "frequency": "monthly"},
        products=({"code": "ac", "tier": "basic", "entitlements": [], "addon": None, "version": None},),
        custom_domain="crm.beta.example",
        vendor_snapshot_id=int(snapshot.id),
        billing_profile=None,
        currency="",
        language="en",
    )
    made = hub_provider.provision(request)
    body = partners_hub.calls("POST", ACCOUNTS)[0].body
    assert body["billing_interval"] == 1 and body["products"] == [
        {"code": "ac", "tier": "basic", "entitlements": []}
    ]
    assert body["cname"] == "crm.beta.example" and body["snapshot_id"] == int(snapshot.id)
    assert body["language"] == "english" and "profile" not in body and "currency" not in body
    assert made.login_url == "https://crm.beta.example"
    clones = hub_provider.cloning_status()
    assert [(c.target_reference, c.source_reference, c.snapshot_id) for c in clones] == [
        (made.reference, str(source), snapshot.id)
    ]


def test_name_check_and_find_use_exact_names(
    partners_hub: PartnersHub, hub_provider: ActiveCampaignProvider
) -> None:
    partners_hub.add_account("acme-shop")
    assert hub_provider.name_available("acme")  # "acme-shop" matches the search, not the name
    assert not hub_provider.name_available("acme-shop")
    found = hub_provider.find_account("ACME-shop")
    assert found is not None and found.name == "acme-shop" and found.plan is None
    assert hub_provider.find_account("nobody") is None


def test_pages_through_2500_accounts_at_100(
    partners_hub: PartnersHub, hub_provider: ActiveCampaignProvider
) -> None:
    partners_hub.seed(2500)
    first = hub_provider.list_accounts(1, 100)
    assert (first.total, first.total_pages, len(first.accounts)) == (2500, 25, 100)
    everything = list(hub_provider.all_accounts(100))
    assert len(everything) == 2500 and len({a.reference for a in everything}) == 2500
    assert everything[0].name == "seed-00001" and everything[-1].name == "seed-02500"
    pages = [dict(c.query) for c in partners_hub.calls("GET", ACCOUNTS)]
    assert all(p["limit"] == "100" for p in pages)
    # Which pages, in order; a read that outlived the tests' 0.3 s timeout on a busy machine is
    # asked again by the retry policy, so a page may repeat back to back (and nothing else may).
    asked = [int(p["page"]) for p in pages]
    in_order = [page for i, page in enumerate(asked[1:], 1) if page != asked[i - 1] or i == 1]
    assert asked[0] == 1 and in_order == list(range(1, 26)), asked


def test_snapshots_create_list_delete(
    partners_hub: PartnersHub, hub_provider: ActiveCampaignProvider
) -> None:
    ids = partners_hub.seed(2)
    made = hub_provider.create_snapshot(str(ids[0]), "before migration")
    assert made.id and made.source_reference == str(ids[0]) and made.status == "success"
    for n in range(120):  # more than one page of 100
        partners_hub.snapshots[1000 + n] = {**partners_hub.snapshots[int(made.id)], "id": 1000 + n}
    assert len(hub_provider.list_snapshots()) == 121
    assert [s.name for s in hub_provider.snapshot_sources("seed")] == ["seed-00001", "seed-00002"]
    hub_provider.delete_snapshot(made.id)
    assert int(made.id) not in partners_hub.snapshots
    with pytest.raises(ProviderError, match="did not find snapshot") as missing:
        hub_provider.delete_snapshot(made.id)
    assert not missing.value.retryable
    with pytest.raises(ProviderError, match="did not find 999"):
        hub_provider.create_snapshot("999", "ghost")
    taken = hub_provider.snapshot(str(ids[1]))
    assert taken["status"] == "success" and taken["vendor_snapshot_id"]
    assert partners_hub.calls("DELETE") and partners_hub.calls("GET", SNAPSHOTS)
    assert hub_provider.cloning_status() == [] and partners_hub.calls("GET", CLONING)


def test_locales_are_read_once_for_many_reads(
    partners_hub: PartnersHub, hub_provider: ActiveCampaignProvider
) -> None:
    for _ in range(50):
        catalog = hub_provider.locales()
    assert catalog.languages["french"] == "Français" and "Europe/Paris" in catalog.timezones
    hub_provider.provision(REQUEST)
    hub_provider.provision(replace(REQUEST, name="other"))
    assert len(partners_hub.calls("GET", LOCALES)) == 1


def test_locales_expire_after_their_ttl(partners_hub: PartnersHub) -> None:
    provider = provider_for(partners_hub, locales_ttl=0.05)
    provider.locales()
    time.sleep(0.1)
    provider.locales()
    assert len(partners_hub.calls("GET", LOCALES)) == 2


def test_a_language_or_zone_the_vendor_lacks_is_refused_on_its_field(
    hub_provider: ActiveCampaignProvider,
) -> None:
    with pytest.raises(ProviderError) as language:
        hub_provider.provision(replace(REQUEST, language="ja"))
    assert language.value.field == "language"
    with pytest.raises(ProviderError) as zone:
        hub_provider.provision(replace(REQUEST, timezone="Pacific/Fiji"))
    assert zone.value.field == "timezone"


def test_401_names_the_setting_and_never_the_key(
    partners_hub: PartnersHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = provider_for(partners_hub)
    wrong = ActiveCampaignProvider(
        "wrong-key-SECRET-9876", base_url=partners_hub.url, timeout=0.3, backoff=0.01
    )
    with pytest.raises(ProviderError) as refused:
        wrong.list_accounts(1, 10)
    assert "AC_PARTNER_API_KEY" in str(refused.value) and not refused.value.retryable
    assert "wrong-key-SECRET-9876" not in str(refused.value) + repr(wrong) + caplog.text
    partners_hub.fail_next(1, 401, method="POST")
    with pytest.raises(ProviderError, match="refused the API key"):
        provider.provision(REQUEST)
    assert len(partners_hub.calls("POST")) == 1, "a refusal is not retried"
    assert partners_hub.api_key not in str(refused.value) + repr(provider) + caplog.text


def test_404_and_400_say_what(partners_hub: PartnersHub, hub_provider: ActiveCampaignProvider) -> None:
    partners_hub.fail_next(1, 404, method="POST")
    with pytest.raises(ProviderError, match="did not find acme: Stand-in failure") as missing:
        hub_provider.provision(REQUEST)
    assert not missing.value.retryable
    partners_hub.fail_next(1, 400)
    with pytest.raises(ProviderError, match=r"refused the request \(HTTP 400\)"):
        hub_provider.list_accounts(1, 10)


def test_422_violations_become_the_desk_field(
    partners_hub: PartnersHub, hub_provider: ActiveCampaignProvider
) -> None:
    cases = {
        "account_name": "name",
        "email": "client_email",
        "notification": "notification_email",
        "cname": "custom_domain",
        "products[0].tier": "plan",
        "profile": "billing_profile",
        "snapshot_id": "snapshot",
        "country": "country",
        "timezone": "timezone",
        "language": "language",
        "currency": "currency",
    }
    for path, field in cases.items():
        violation = {"propertyPath": path, "title": "This value is not valid."}
        partners_hub.fail_next(1, 422, violations=[violation], method="POST")
        with pytest.raises(ProviderError) as refused:
            hub_provider.provision(REQUEST)
        assert refused.value.field == field, path
        assert "This value is not valid." in str(refused.value) and not refused.value.retryable
    partners_hub.add_account("acme")
    with pytest.raises(ProviderError, match="already taken") as taken:
        hub_provider.provision(REQUEST)
    assert taken.value.field == "name"
    assert taken.value.message == "The vendor refused {field}: {reason}"
    assert taken.value.params == {"field": "account_name", "reason": "This account name is already taken."}


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_answers_are_retried_then_succeed(
    partners_hub: PartnersHub, hub_provider: ActiveCampaignProvider, status: int
) -> None:
    partners_hub.fail_next(2, status, retry_after=0.01 if status == 429 else None, method="POST")
    made = hub_provider.provision(REQUEST)
    assert made.reference and len(partners_hub.accounts) == 1
    assert len(partners_hub.calls("POST", ACCOUNTS)) == 3


def test_retry_after_is_honoured_and_bounded(partners_hub: PartnersHub) -> None:
    provider = provider_for(partners_hub, max_retry_after=0.2)
    partners_hub.fail_next(1, 429, retry_after=3600)
    started = time.monotonic()
    provider.list_accounts(1, 10)
    assert 0.2 <= time.monotonic() - started < 2.0, "Retry-After waited, capped by max_retry_after"


def test_a_timeout_is_retried_and_never_makes_two_accounts(
    partners_hub: PartnersHub, hub_provider: ActiveCampaignProvider
) -> None:
    partners_hub.hang_next(1, 1.0)
    assert hub_provider.list_accounts(1, 10).total == 0
    partners_hub.hang_next(1, 1.0, method="POST")
    made = hub_provider.provision(REQUEST)
    assert made.reference and len(partners_hub.accounts) == 1
    assert len(partners_hub.calls("POST", ACCOUNTS)) == 2, "the hung POST did nothing; the retry created"


def test_a_lost_create_answer_finds_the_account_instead_of_posting_again(
    partners_hub: PartnersHub, hub_provider: ActiveCampaignProvider
) -> None:
    """The vendor created the account but the answer was a 502: the retry finds it by name."""
    original = partners_hub._create_account

    def create_then_fail(body: dict[str, Any]) -> Any:
        original(body)
        return 502, None, {}

    partners_hub._create_account = create_then_fail  # type: ignore[method-assign]
    made = hub_provider.provision(REQUEST)
    assert len(partners_hub.calls("POST", ACCOUNTS)) == 1 and len(partners_hub.accounts) == 1
    assert made.reference == str(partners_hub.by_name("acme")["id"])  # type: ignore[index]


@pytest.mark.parametrize("status", [429, 503])
def test_retries_exhausted_is_a_retryable_error(partners_hub: PartnersHub, status: int) -> None:
    provider = provider_for(partners_hub, attempts=3)
    partners_hub.fail_next(3, status, retry_after=0 if status == 429 else None)
    with pytest.raises(ProviderError, match=f"HTTP {status}") as failed:
        provider.list_accounts(1, 10)
    assert failed.value.retryable and len(partners_hub.requests) == 3


def test_timeouts_exhausted_is_a_retryable_error(partners_hub: PartnersHub) -> None:
    provider = provider_for(partners_hub, attempts=2, timeout=0.1)
    partners_hub.hang_next(2, 0.5)
    with pytest.raises(ProviderError, match="timed out") as failed:
        provider.list_accounts(1, 10)
    assert failed.value.retryable


def test_unreachable_vendor_is_a_retryable_error() -> None:
    provider = ActiveCampaignProvider(
        "k-123", base_url="http://127.0.0.1:9/", attempts=2, backoff=0.01, connect_timeout=0.2
    )
    with pytest.raises(ProviderError, match="could not be reached") as failed:
        provider.name_available("x")
    assert failed.value.retryable


def test_the_key_is_never_logged(partners_hub: PartnersHub, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    provider = provider_for(partners_hub)
    partners_hub.fail_next(2, 503)
    partners_hub.hang_next(1, 0.6)
    provider.provision(REQUEST)
    provider.locales()
    assert "trying again" in caplog.text
    assert partners_hub.api_key not in caplog.text
    assert partners_hub.api_key not in repr(provider) and partners_hub.api_key not in str(vars(provider))
