"""`/metrics` (METRICS=on, optional METRICS_TOKEN) and JSON log lines (LOG_FORMAT=json), over HTTP
against the served app."""

from __future__ import annotations

import io
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from bot import logs
from bot.app import build_app
from bot.settings import Settings
from bot.shell.localslack import LocalSlack
from tests.conftest import SECRET, TOKEN
from tests.slackhttp import TEAM, SlackHttp, serve_app

AC_KEY = "ac-partner-key-7f3e9a1c55d2"
METRICS_TOKEN = "metrics-token-0c8b1d2e"


def scrape(base: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(f"{base}/metrics")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of sample `name` with `labels` in a scrape (0 when absent); parsing fails loudly."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


def test_metrics_are_off_by_default(settings: Settings, slack: LocalSlack) -> None:
    assert settings.metrics is False
    with serve_app(build_app(settings)) as base:
        status, _ = scrape(base)
    assert status == 404


def test_metrics_count_a_signed_command_and_a_refused_one(settings: Settings, slack: LocalSlack) -> None:
    on = settings.model_copy(update={"metrics": True})
    with serve_app(build_app(on)) as base:
        http = SlackHttp(base, SECRET, slack)
        http.command("/agency", "members")  # the agency, with its owner
        status, before = scrape(base)
        assert status == 200
        ok = http.command("/agency", "members")
        refused = http.command("/agency", "members add <@U0NEWONE> emperor")
        assert ok.status == refused.status == 200
        _, after = scrape(base)
    command = {"interaction": "command:/agency"}
    total = "reseller_desk_requests_total"
    assert sample(after, total, **command, outcome="ok") - sample(before, total, **command, outcome="ok") == 1
    assert (
        sample(after, total, **command, outcome="refused")
        - sample(before, total, **command, outcome="refused")
        == 1
    )
    count = "reseller_desk_request_duration_seconds_count"
    assert sample(after, count, **command) - sample(before, count, **command) == 2
    assert sample(after, "reseller_desk_outbox_depth") >= 0
    assert "reseller_desk_outbox_oldest_age_seconds" in after


def test_an_unsigned_request_is_counted_as_other(settings: Settings, slack: LocalSlack) -> None:
    """A forged body's names never become a series: the label is `other`."""
    on = settings.model_copy(update={"metrics": True})
    with serve_app(build_app(on)) as base:
        forged = SlackHttp(base, "not-the-secret-0000", slack)
        assert forged.command("/made-up-by-a-stranger", "x").status == 401
        _, text = scrape(base)
    assert "made-up-by-a-stranger" not in text
    assert sample(text, "reseller_desk_requests_total", interaction="other", outcome="rejected") >= 1


def test_metrics_token_is_required_when_set(settings: Settings, slack: LocalSlack) -> None:
    on = settings.model_copy(update={"metrics": True, "metrics_token": SecretStr(METRICS_TOKEN)})
    with serve_app(build_app(on)) as base:
        assert scrape(base)[0] == 401
        assert scrape(base, "wrong-token")[0] == 401
        status, text = scrape(base, METRICS_TOKEN)
    assert status == 200
    assert list(text_string_to_metric_families(text))


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The app's logging configured as `reseller-bot serve` does with LOG_FORMAT=json (its one
    handler writing here instead of stderr), restored after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, set(logs._secrets), logs._format[0])
    logs.configure_logging("INFO", [SECRET, TOKEN, AC_KEY], log_format="json")
    out = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)
    try:
        yield out
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        logs._secrets.clear()
        logs._secrets.update(saved[2])
        logs._format[0] = saved[3]


def test_json_log_lines_carry_the_request_fields(
    settings: Settings, slack: LocalSlack, json_logs: io.StringIO
) -> None:
    with serve_app(build_app(settings)) as base:
        http = SlackHttp(base, SECRET, slack)
        http.command("/agency", "members", headers={"X-Request-Id": "req-abc-123"})
        http.command("/agency", "members add <@U0NEWONE> emperor")
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines() if line.strip()]
    assert lines, "nothing was logged"
    assert all({"time", "level", "logger", "message", "request_id"} <= line.keys() for line in lines)
    requests = [line for line in lines if line["logger"] == "reseller_desk.requests"]
    assert len(requests) == 2
    first, second = requests
    assert first["request_id"] == "req-abc-123"
    assert first["team"] == TEAM
    assert first["interaction"] == "command:/agency"
    assert first["outcome"] == "ok" and isinstance(first["duration_ms"], float)
    assert second["outcome"].startswith("refused:")
    assert first["level"] == "INFO"


def test_no_secret_reaches_a_json_log_line(
    settings: Settings, slack: LocalSlack, json_logs: io.StringIO
) -> None:
    """The signing secret, the bot token and the vendor's key, written by the app in a message, its
    arguments and a traceback, and typed by a person into a command: none is in the output."""
    log = logging.getLogger("reseller_desk.test")
    log.warning("secret %s token %s key %s", SECRET, TOKEN, AC_KEY)
    try:
        raise RuntimeError(f"failed with {AC_KEY} and {TOKEN}")
    except RuntimeError:
        log.exception("boom %s", SECRET)
    with serve_app(build_app(settings)) as base:
        http = SlackHttp(base, SECRET, slack)
        http.command("/agency", f"members add {TOKEN} {AC_KEY}")
    out = json_logs.getvalue()
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert any("boom" in line["message"] and "RuntimeError" in line.get("exception", "") for line in lines)
    for secret in (SECRET, TOKEN, AC_KEY):
        assert secret not in out
    assert logs.REDACTED in out
