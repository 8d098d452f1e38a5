"""The Slack tokens of many-workspace installs are never stored readable (issue 17 §1): sealed with
Fernet under SLACK_TOKEN_KEY, and a row that does not open with the key is a workspace that is not
installed, said in the log without the token."""

from __future__ import annotations

import logging

import pytest
from cryptography.fernet import Fernet
from slack_bolt import BoltContext
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine, text

from bot.shell.localslack import LocalSlack
from bot.workspaces import SealedInstallationStore, TokenCipher, new_token_key
from domain.store.installations import TOKEN_LENGTH
from tests.workspaces import CLIENT_ID

TOKEN = "xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"  # the shape of a real bot token
REFRESH = "xoxe-1-" + "My0xLTEyMzQ1Njc4OTAxMjMtMTIzNDU2Nzg5MDEyMy0" * 3  # a long rotating refresh token


def installation(team: str = "T0AAA", token: str = TOKEN) -> Installation:
    return Installation(
        app_id="A0RESELLER",
        enterprise_id=None,
        team_id=team,
        bot_token=token,
        bot_id="B0BOT",
        bot_user_id="U0BOT",
        bot_scopes="commands,chat:write",
        bot_refresh_token=REFRESH,
        user_id="U0INSTALLER",
        user_token="xoxp-1234567890123-1234567890123-1234567890123-0123456789abcdef0123456789abcdef",
        user_refresh_token=REFRESH,
    )


def test_no_row_holds_a_token_in_clear_and_the_store_reads_them_back(db: Engine) -> None:
    store = SealedInstallationStore(CLIENT_ID, db, TokenCipher(new_token_key()))
    store.save(installation())
    with db.connect() as conn:
        rows = [
            dict(row)
            for table in ("slack_installations", "slack_bots")
            for row in conn.execute(text(f"SELECT * FROM {table}")).mappings()
        ]
    assert len(rows) == 2
    for row in rows:
        dump = str(row)
        assert "xox" not in dump and TOKEN[10:30] not in dump
        assert row["bot_token"].startswith("gAAAAA") and row["bot_refresh_token"].startswith("gAAAAA")
    found = store.find_installation(enterprise_id=None, team_id="T0AAA")
    assert found is not None
    assert (found.bot_token, found.bot_refresh_token, found.user_refresh_token) == (TOKEN, REFRESH, REFRESH)
    assert found.user_token is not None and found.user_token.startswith("xoxp-")
    bot = store.find_bot(enterprise_id=None, team_id="T0AAA")
    assert bot is not None and bot.bot_token == TOKEN


def test_a_sealed_token_fits_its_column() -> None:
    """slack_sdk's String(200) holds a sealed bot token of today (164 characters) but not a sealed
    rotating token; the app's columns hold a sealed token of up to 255 characters."""
    cipher = TokenCipher(new_token_key())
    assert len(cipher.seal(TOKEN)) <= 200
    assert len(cipher.seal(REFRESH)) > 200
    assert len(cipher.seal("x" * 255)) <= TOKEN_LENGTH < len(cipher.seal("x" * 400))


def test_a_wrong_key_means_not_installed_and_the_log_holds_no_token(
    db: Engine, slack: LocalSlack, caplog: pytest.LogCaptureFixture
) -> None:
    SealedInstallationStore(CLIENT_ID, db, TokenCipher(new_token_key())).save(installation())
    other = SealedInstallationStore(CLIENT_ID, db, TokenCipher(new_token_key()))
    slack.install(TOKEN, "T0AAA")
    authorize = InstallationStoreAuthorize(
        logger=logging.getLogger("test"), installation_store=other, cache_enabled=True
    )
    context = BoltContext({"client": WebClient(base_url=slack.api_url)})
    with caplog.at_level(logging.INFO):
        assert other.find_installation(enterprise_id=None, team_id="T0AAA") is not None
        assert other.find_installation(enterprise_id=None, team_id="T0AAA").bot_token is None  # type: ignore[union-attr]
        result = authorize(context=context, enterprise_id=None, team_id="T0AAA", user_id="U0INSTALLER")
    assert result is None
    assert slack.of("auth.test") == []  # no token reached Slack
    messages = "\n".join(r.getMessage() for r in caplog.records)
    assert "does not open with SLACK_TOKEN_KEY" in messages
    assert "xox" not in messages and "gAAAAA" not in messages


def test_keys_rotate_the_first_seals_and_each_opens(db: Engine) -> None:
    old, new = new_token_key(), new_token_key()
    SealedInstallationStore(CLIENT_ID, db, TokenCipher(old)).save(installation())
    rotated = SealedInstallationStore(CLIENT_ID, db, TokenCipher(f"{new},{old}"))
    found = rotated.find_installation(enterprise_id=None, team_id="T0AAA")
    assert found is not None and found.bot_token == TOKEN
    rotated.save(installation("T0BBB", TOKEN.replace("AbCd", "ZyXw")))
    only_new = SealedInstallationStore(CLIENT_ID, db, TokenCipher(new))
    later = only_new.find_installation(enterprise_id=None, team_id="T0BBB")
    assert later is not None and later.bot_token == TOKEN.replace("AbCd", "ZyXw")
    earlier = only_new.find_installation(enterprise_id=None, team_id="T0AAA")
    assert earlier is not None and earlier.bot_token is None
    assert Fernet(new.encode())  # keygen makes keys Fernet accepts
