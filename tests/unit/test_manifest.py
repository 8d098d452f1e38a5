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
