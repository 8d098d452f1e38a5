"""Small pure rules of the foundation: roles, money, parsing, rendering, translation, settings."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest

from bot.i18n import Percent, Translator, normalise_locale
from bot.parsing import tokens, user_id
from bot.render import render_blocks
from bot.settings import SettingsError, load_settings
from domain.errors import InvalidInput
from domain.money import parse_money, round_money
from domain.roles import Permission, Role, can


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.OWNER, set(Permission)),
        (
            Role.BILLING,
            {
                Permission.READ,
                Permission.MANAGE_ACCOUNTS,
                Permission.ALLOCATE_CREDITS,
                Permission.SPEND_MONEY,
            },
        ),
        (Role.MANAGER, {Permission.READ, Permission.MANAGE_ACCOUNTS, Permission.ALLOCATE_CREDITS}),
        (Role.VIEWER, {Permission.READ}),
    ],
)
def test_role_grants(role: Role, allowed: set[Permission]) -> None:
    """SPEC §1: owner everything, billing money, manager accounts and allocation, viewer read only."""
    assert {p for p in Permission if can(role, p)} == allowed


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [("0.005", "0.01"), ("0.004", "0.00"), ("2.675", "2.68"), ("-0.005", "-0.01"), ("10", "10.00")],
)
def test_round_half_up(amount: str, rounded: str) -> None:
    """Money rounds half-up to the cent (never banker's rounding)."""
    assert round_money(Decimal(amount)) == Decimal(rounded)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("120", "120"),
        ("120.50", "120.50"),
        ("1,200.50", "1200.50"),
        ("120,50", "120.50"),
        ("1.234,56", "1234.56"),
        ("$99", "99"),
        ("1 000", "1000"),
        ("1,000", "1000"),
    ],
)
def test_parse_money(typed: str, value: str) -> None:
    """Amounts typed the English, French or Italian way read as the same Decimal."""
    assert parse_money(typed) == Decimal(value)


@pytest.mark.parametrize("typed", ["abc", "", "1e999999", "NaN", "inf"])
def test_parse_money_refuses_non_amounts(typed: str) -> None:
    """Anything that is not a finite amount is refused."""
    with pytest.raises(ValueError, match="not an amount"):
        parse_money(typed)


def test_tokens_tolerate_unbalanced_quotes() -> None:
    """A stray quote never crashes parsing."""
    assert tokens('add "Acme Inc') == ["add", '"Acme', "Inc"]
    assert tokens('add "Acme Inc"') == ["add", "Acme Inc"]
    assert tokens(None) == []


@pytest.mark.parametrize("typed", ["<@U0MARIA|maria>", "<@U0MARIA>", "U0MARIA", "@U0MARIA"])
def test_user_mentions(typed: str) -> None:
    """Escaped mentions and bare ids name the same user."""
    assert user_id(typed) == "U0MARIA"


def test_not_a_user() -> None:
    """A word that is not a user is refused with an example."""
    with pytest.raises(InvalidInput):
        user_id("maria")


def test_render_numbers_buttons_and_menu_options() -> None:
    """The shell numbers every button and every menu option in reading order."""
    blocks = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "Hi <@U1>"},
            "accessory": {
                "type": "overflow",
                "action_id": "menu",
                "options": [
                    {"text": {"type": "plain_text", "text": "Edit"}, "value": "edit"},
                    {"text": {"type": "plain_text", "text": "Branding"}, "value": "brand"},
                ],
            },
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Renew"},
                    "action_id": "renew",
                    "value": "acme",
                }
            ],
        },
    ]
    rendered = render_blocks(blocks)
    assert "Hi @U1" in rendered.text
    assert [c.label for c in rendered.clickables] == ["Edit", "Branding", "Renew"]
    assert "[3] Renew" in rendered.text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "$1,234.56"), ("fr", "1\u202f234,56\u00a0$US"), ("it", "1.234,56\u00a0USD")],
)
def test_money_follows_the_readers_locale(lang: str, expected: str) -> None:
    """Babel formats money the way the reader's language writes it."""
    assert Translator(lang, "USD").money(Decimal("1234.56")) == expected


def test_euro_formats() -> None:
    """The issue's examples: 1 234,56 € in French, 1.234,56 € in Italian."""
    assert (
        Translator("fr", "EUR").money(Decimal("1234.56")).replace("\u202f", " ").replace("\u00a0", " ")
        == "1 234,56 €"
    )
    assert Translator("it", "EUR").money(Decimal("1234.56")).replace("\u00a0", " ") == "1.234,56 €"
    assert Translator("en", "EUR").percent(Percent(25)) == "25%"


@pytest.mark.parametrize(
    ("raw", "lang"), [("fr-FR", "fr"), ("it_IT", "it"), ("en-GB", "en"), ("de-DE", "en"), (None, "en")]
)
def test_slack_locales(raw: str | None, lang: str) -> None:
    """Slack's locale codes map to our three languages, English otherwise."""
    assert normalise_locale(raw) == lang


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-your-token"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-123"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_APP_TOKEN": "xoxb-123"}, "SLACK_APP_TOKEN"),
        ({"RESELLER_OWNERS": "U123,bob"}, "RESELLER_OWNERS"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"PORT": "99999"}, "PORT"),
        ({"SLACK_API_URL": "ftp://x"}, "SLACK_API_URL"),
        ({"RESELLER_CATALOG": "/nonexistent/catalog.toml"}, "RESELLER_CATALOG"),
    ],
)
def test_bad_settings_are_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], name: str
) -> None:
    """A bad setting is reported in one line that names it."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert message.startswith(f"setting {name}:") and "\n" not in message


def test_cli_exits_2_on_bad_setting_without_traceback(tmp_path: object) -> None:
    """The CLI prints the one line and exits with code 2."""
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"],
        env={"PATH": "/usr/bin:/bin", "RESELLER_OWNERS": "not-a-user", "HOME": "/tmp"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "setting RESELLER_OWNERS" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
