"""Settings and the CLI of many-workspace mode (issue 17 §1): each mistake is one line naming the
setting, Socket Mode is refused, `run` serves over HTTP, `keygen` makes the token key, and the key
never reaches a log line."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet

from bot import cli
from bot.settings import Settings, SettingsError, load_settings
from tests.workspaces import CLIENT_ID, CLIENT_SECRET, TOKEN_KEY

SIGNING = "a-signing-secret-0123456789abcdef"
SLACK_ENV = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_TOKEN_KEY",
    "SLACK_REDIRECT_URI",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in SLACK_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))  # no .env


def many(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    values = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_TOKEN_KEY": TOKEN_KEY,
        "SLACK_SIGNING_SECRET": SIGNING,
        **env,
    }
    for name, value in values.items():
        if value:
            monkeypatch.setenv(name, value)


def error_of(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    many(monkeypatch, **env)
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert "\n" not in message
    return message


def test_many_workspaces_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    many(monkeypatch)
    settings = load_settings()
    assert settings.multi_workspace and settings.slack_signing_secret is not None
    assert settings.slack_token_key is not None and settings.slack_token_key.get_secret_value() == TOKEN_KEY
    assert TOKEN_KEY not in repr(settings)


@pytest.mark.parametrize("client_id", ["abc", "1234", "1234.abc", "xoxb-1.2", "12 34.5"])
def test_a_client_id_has_slacks_shape(monkeypatch: pytest.MonkeyPatch, client_id: str) -> None:
    assert error_of(monkeypatch, SLACK_CLIENT_ID=client_id).startswith(
        "setting SLACK_CLIENT_ID: is not a Slack client id"
    )


def test_client_id_and_secret_come_together(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "SLACK_CLIENT_SECRET is needed too" in error_of(monkeypatch, SLACK_CLIENT_SECRET="")


def test_client_secret_and_id_come_together(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "SLACK_CLIENT_ID is needed too" in error_of(monkeypatch, SLACK_CLIENT_ID="")


def test_a_bot_token_and_a_client_id_are_refused_together(monkeypatch: pytest.MonkeyPatch) -> None:
    message = error_of(monkeypatch, SLACK_BOT_TOKEN="xoxb-123-456-abc")
    assert "SLACK_BOT_TOKEN" in message and "SLACK_CLIENT_ID" in message and "not both" in message


def test_the_token_key_is_required_and_says_how_to_make_one(monkeypatch: pytest.MonkeyPatch) -> None:
    message = error_of(monkeypatch, SLACK_TOKEN_KEY="")
    assert message.startswith("settings: SLACK_TOKEN_KEY is needed") and "`reseller-bot keygen`" in message


@pytest.mark.parametrize("key", ["not-a-key", "c2hvcnQ=", f"{TOKEN_KEY},nope"])
def test_a_token_key_that_is_not_one(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    message = error_of(monkeypatch, SLACK_TOKEN_KEY=key)
    assert message.startswith("setting SLACK_TOKEN_KEY: is not a key made by `reseller-bot keygen`")
    assert key not in message


def test_one_workspace_and_the_shell_need_none_of_it() -> None:
    assert not Settings().multi_workspace
    single = Settings(slack_bot_token="xoxb-1-2-abc", slack_signing_secret=SIGNING)  # type: ignore[arg-type]
    assert not single.multi_workspace and single.slack_token_key is None


def test_socket_mode_is_refused_with_many_workspaces(monkeypatch: pytest.MonkeyPatch) -> None:
    many(monkeypatch, SLACK_APP_TOKEN="xapp-1-A0-1-abc")
    settings = load_settings()
    with pytest.raises(SettingsError, match="Socket Mode serves one workspace"):
        cli.require_slack(settings, socket=True)
    cli.require_slack(settings, socket=False)  # serve is fine
    assert cli.main(["socket"]) == 2


def test_run_serves_over_http_with_many_workspaces(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    many(monkeypatch, DATABASE_URL=f"sqlite:///{tmp_path}/run.db")
    chosen: list[str] = []
    monkeypatch.setattr(cli, "serve", lambda settings, mode, *args: chosen.append(mode) or 0)
    monkeypatch.setattr(cli, "configure_logging", lambda settings, serving: None)
    assert cli.main(["run"]) == 0
    assert chosen == ["serve"]


def test_keygen_prints_a_new_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["keygen"]) == 0
    first = capsys.readouterr().out.strip()
    assert cli.main(["keygen"]) == 0
    second = capsys.readouterr().out.strip()
    assert first != second
    Fernet(first.encode())  # a key Fernet accepts, as SLACK_TOKEN_KEY does
    assert Settings(
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,  # type: ignore[arg-type]
        slack_token_key=first,  # type: ignore[arg-type]
    ).multi_workspace


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def test_the_secrets_of_many_workspaces_never_reach_a_log_line(
    monkeypatch: pytest.MonkeyPatch, root_logging: None
) -> None:
    other = Fernet.generate_key().decode()
    many(monkeypatch, SLACK_TOKEN_KEY=f"{TOKEN_KEY},{other}")
    cli.configure_logging(load_settings(), serving=False)
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)  # type: ignore[attr-defined]
    logging.getLogger("reseller_desk").warning(
        "key %s, old key %s, secret %s, both %s", TOKEN_KEY, other, CLIENT_SECRET, f"{TOKEN_KEY},{other}"
    )
    line = stream.getvalue()
    assert "key" in line
    assert TOKEN_KEY not in line and other not in line and CLIENT_SECRET not in line
