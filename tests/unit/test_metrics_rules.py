"""The metrics' labels stay bounded, and the settings that turn metrics and JSON logs on."""

from __future__ import annotations

import pytest

from bot import metrics
from bot.settings import SettingsError, load_settings


def test_interaction_labels_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics, "_known", set())
    monkeypatch.setattr(metrics, "MAX_INTERACTIONS", 3)
    assert metrics.interaction_label("command", "/accounts", accepted=True) == "command:/accounts"
    assert metrics.interaction_label("action", "a", accepted=True) == "action:a"
    assert metrics.interaction_label("action", "b", accepted=True) == "action:b"
    assert metrics.interaction_label("action", "c", accepted=True) == "other"
    assert metrics.interaction_label("command", "/accounts", accepted=True) == "command:/accounts"
    assert metrics.interaction_label("command", "/forged", accepted=False) == "other"
    assert metrics.interaction_label("action", "-", accepted=True) == "other"


@pytest.mark.parametrize(
    ("line", "label"),
    [
        ("ok", "ok"),
        ("refused:InvalidInput", "refused"),
        ("error:KeyError", "error"),
        ("failed", "error"),
        ("rejected", "rejected"),
        ("anything", "error"),
    ],
)
def test_outcome_labels(line: str, label: str) -> None:
    assert metrics.outcome_label(line) == label


def test_metrics_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("METRICS", raising=False)
    assert load_settings().metrics is False
    assert load_settings(metrics="on").metrics is True
    assert load_settings(metrics="OFF").metrics is False
    with pytest.raises(SettingsError, match=r"^setting METRICS: 'maybe' is not on or off$"):
        load_settings(metrics="maybe")
    assert load_settings(metrics_token="  ").metrics_token is None
    with pytest.raises(SettingsError, match="setting METRICS_TOKEN: looks like a placeholder"):
        load_settings(metrics_token="changeme")


def test_log_format_setting() -> None:
    assert load_settings().log_format == "text"
    assert load_settings(log_format="JSON").log_format == "json"
    with pytest.raises(SettingsError, match=r"^setting LOG_FORMAT: 'xml' is not a log format"):
        load_settings(log_format="xml")
