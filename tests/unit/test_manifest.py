"""The app manifest is one Slack accepts, and declares the product's six commands."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

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
    nobody types to the app); the only event subscribed is the one a listener handles — any other
    Slack may still send is acknowledged by the app's catch-all (`tests/e2e/test_every_button_http`)."""
    manifest = yaml.safe_load((ROOT / "app_manifest.yml").read_text())
    home = manifest["features"]["app_home"]
    assert home["messages_tab_enabled"] is True and home["messages_tab_read_only_enabled"] is True
    listened = set()
    for path in (ROOT / "bot").rglob("*.py"):
        text = path.read_text()
        listened |= {part.split('"')[1] for part in text.split("app.event(")[1:] if part.startswith('"')}
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) <= listened
