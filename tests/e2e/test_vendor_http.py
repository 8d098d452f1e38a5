"""The real vendor's settings and its language/time-zone catalog, end to end.

- `RESELLER_PROVIDER=activecampaign` without `AC_PARTNER_API_KEY` stops start-up with one line
  naming the setting (exit 2); the key itself is never printed.
- With the ActiveCampaign adapter (against the Partners Hub stand-in), the add-account modal offers
  the vendor's languages and time zones, read once for many openings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from domain.vendors.activecampaign import LOCALES, ActiveCampaignProvider
from tests.e2e.test_accounts_http import agency_with_profile
from tests.e2e.test_processes import run_cli
from tests.slackhttp import SlackHttp
from tests.standins.partners_hub import PartnersHub


@pytest.fixture
def provider(hub_provider: ActiveCampaignProvider) -> ActiveCampaignProvider:
    """The app under test talks to the Partners Hub stand-in."""
    return hub_provider


def test_activecampaign_without_key_stops_with_one_line(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "db", "upgrade", RESELLER_PROVIDER="activecampaign")
    assert result.returncode == 2, result.stdout
    assert result.stderr.startswith("reseller-bot: setting AC_PARTNER_API_KEY: is required")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_bad_provider_name_stops_with_one_line(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "db", "upgrade", RESELLER_PROVIDER="salesforce")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "reseller-bot: setting RESELLER_PROVIDER: 'salesforce' is not a provider; "
        "use one of simulated, activecampaign, manual"
    )


def test_a_placeholder_key_is_refused_and_never_echoed(tmp_path: Path) -> None:
    key = "your-partner-key-here-123"
    result = run_cli(tmp_path, "db", "upgrade", RESELLER_PROVIDER="activecampaign", AC_PARTNER_API_KEY=key)
    assert result.returncode == 2 and "AC_PARTNER_API_KEY" in result.stderr
    assert key not in result.stderr + result.stdout


def test_the_shell_talks_to_the_vendor_set_in_the_environment(
    tmp_path: Path, partners_hub: PartnersHub
) -> None:
    """The shell builds its provider from the settings: `/accounts add` reads the vendor's catalog."""
    script = "/agency settings\nShell Agency\nC0NOTICES\nUSD\nEurope/Paris\n2\n300\n\n\n\n/accounts add\n"
    result = run_cli(
        tmp_path,
        "shell",
        stdin=script,
        RESELLER_PROVIDER="activecampaign",
        AC_PARTNER_API_URL=partners_hub.url,
        AC_PARTNER_API_KEY=partners_hub.api_key,
    )
    assert result.returncode == 0, result.stderr
    assert partners_hub.calls("GET", LOCALES), result.stdout
    assert partners_hub.api_key not in result.stdout + result.stderr


def test_add_modal_offers_the_vendor_languages_and_zones(
    http: SlackHttp, sessions: sessionmaker[Session], partners_hub: PartnersHub
) -> None:
    agency_with_profile(http, sessions)
    for _ in range(3):
        http.command("/accounts", "add")
        view = http.opened_view()
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    language = blocks["language"]["element"]
    assert language["type"] == "static_select" and language["initial_option"]["value"] == "en"
    assert {o["value"] for o in language["options"]} >= {"en", "fr", "it", "de", "es"}
    assert "Français" in json.dumps(language, ensure_ascii=False)
    zone = blocks["timezone"]["element"]
    assert zone["type"] == "static_select"
    assert "Europe/Paris" in {o["value"] for o in zone["options"]}
    assert len(partners_hub.calls("GET", LOCALES)) == 1, "the catalog is read once for many modals"
