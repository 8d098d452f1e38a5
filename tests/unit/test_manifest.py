"""The app manifest is one Slack accepts, and declares the product's six commands."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from bot.workspaces import BOT_SCOPES
from domain.workspaces import SUSPENDING_EVENTS

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_matches_slacks_schema() -> None:
    """app_manifest.yml validates against Slack's published manifest schema (no unknown keys)."""
    schema = json.loads((ROOT / "tests/data/manifest.schema.1.0.0.json").read_text())
    manifest = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    jsonschema.Draft7Validator(schema).validate(manifest)


def test_manifest_declares_every_command_with_usage() -> None:
    """Six commands, each with a description and a usage hint, escaping mentions; home tab and interactivity on."""
    manifest = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/accounts", "/quote", "/credits", "/seats", "/billing", "/agency"}
    assert all(c["description"] and c["usage_hint"] and c["should_escape"] for c in commands.values())
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {"commands", "chat:write", "users:read"} <= set(manifest["oauth_config"]["scopes"]["bot"])


def test_the_app_dm_is_readable_and_every_subscribed_event_has_a_listener() -> None:
    """Answers to App Home buttons arrive in the app's DM, so the Messages tab is on (read-only:
    nobody types to the app); the events subscribed are the ones a listener handles — any other
    Slack may still send is acknowledged by the app's catch-all (`tests/e2e/test_every_button_http`)."""
    manifest = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    home = manifest["features"]["app_home"]
    assert home["messages_tab_enabled"] is True and home["messages_tab_read_only_enabled"] is True
    listened = set()
    for path in (ROOT / "bot").rglob("*.py"):
        text = path.read_text()
        listened |= {part.split('"')[1] for part in text.split("app.event(")[1:] if part.startswith('"')}
    subscribed = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert set(SUSPENDING_EVENTS) <= subscribed  # an uninstall stops every post at once (SPEC §11)
    assert subscribed <= listened


SCOPE_USES = {
    "commands": ("app.command(",),
    "chat:write": ("chat_postMessage(", "chat_update(", "chat_postEphemeral("),
    "chat:write.public": ("chat_postMessage(",),  # to the agency's channel without joining it
    "files:write": ("files_upload_v2(",),
    "im:write": ("conversations_open(",),
    "users:read": ("users_info(",),
    "channels:history": ("conversations_history(",),
    "groups:history": ("conversations_history(",),  # the same call, in a private channel
}
"""Each scope the app asks for, and the Web API calls (or Bolt listeners) that need it."""


def test_the_manifest_asks_exactly_the_scopes_the_code_uses() -> None:
    """The scopes of the manifest are the install flow's (`BOT_SCOPES`), and each one is used in
    `bot/`: an unused scope is one a workspace admin is asked to grant for nothing."""
    manifest = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    assert manifest["oauth_config"]["scopes"]["bot"] == list(BOT_SCOPES)
    assert set(SCOPE_USES) == set(BOT_SCOPES)
    code = "\n".join(path.read_text() for path in (ROOT / "bot").rglob("*.py"))
    for scope, calls in SCOPE_USES.items():
        assert any(call in code for call in calls), f"{scope}: none of {calls} in bot/"
    for unused in ("channels:read", "groups:read"):
        assert unused not in BOT_SCOPES


def test_the_manifest_installs_in_many_workspaces() -> None:
    """The redirect of the OAuth flow (`GET /slack/oauth_redirect`), org-wide installs allowed
    (one agency per organisation), and the two events that say the app is gone."""
    manifest = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    assert manifest["oauth_config"]["redirect_urls"] == [
        "https://reseller-desk.example.com/slack/oauth_redirect"
    ]
    assert manifest["settings"]["org_deploy_enabled"] is True
    assert {"app_uninstalled", "tokens_revoked"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )
