"""Builds the Bolt app from settings and ports. Nothing is created at import time."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot import ui
from bot.commands import register_all
from bot.context import Deps, team_and_user, translator_for
from bot.i18n import Translator
from bot.server import NOT_SLACK
from bot.settings import Settings
from bot.ui import notice
from domain.cards import CARD_REFUSED, contains_card_number
from domain.catalog import Catalog, load_catalog
from domain.clock import Clock, SystemClock
from domain.errors import DomainError, InvalidInput
from domain.i18n import N_
from domain.plaintext import UNSTORABLE_REFUSED, holds_unstorable
from domain.ports import PaymentGateway, Provider
from domain.simulated import SimulatedGateway, SimulatedProvider
from domain.store.db import make_engine, make_session_factory

log = logging.getLogger("reseller_desk")


class _NoTokenNotice(logging.Filter):
    """Bolt warns "`token` will be unused" whenever SLACK_BOT_TOKEN is in the environment and a
    client is given, which is always the case here: a warning at every start that means nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


log.addFilter(_NoTokenNotice())
CARD_FIELDS = {("billing_profile_add", "number")}
"""The one modal input meant to hold a card number (it goes to the gateway, never to storage)."""

LOCAL_SIGNING_SECRET = "local-shell-signing-secret"  # noqa: S105 - the shell's own, never Slack's
LOCAL_BOT_TOKEN = "xoxb-local-shell"  # noqa: S105 - the shell's own, never Slack's


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    sessions: sessionmaker[Session] | None = None,
    verify_requests: bool = True,
    catalog: Catalog | None = None,
    provider: Provider | None = None,
    gateway: PaymentGateway | None = None,
    extras: dict[str, Any] | None = None,
) -> App:
    """The whole Slack app: ports in, Bolt app out.

    `process_before_response=True` makes the reply part of the HTTP response: a command answers in
    about a millisecond instead of waiting for Bolt's 10 ms ack polling, and the work is done before
    Slack's 3-second limit because every listener's synchronous part is a few queries. Slow provider
    calls go to lazy listeners.
    """
    read_sessions = None
    catalog = catalog or load_catalog(settings.reseller_catalog)
    if sessions is None:
        sessions = make_session_factory(make_engine(settings.database_url), catalog)
        read_sessions = make_session_factory(make_engine(settings.database_url, read_only=True))
    elif "catalog" not in (sessions.kw.get("info") or {}):
        sessions.configure(info={**(sessions.kw.get("info") or {}), "catalog": catalog})
    deps = Deps(
        settings=settings,
        clock=clock or SystemClock(),
        sessions=sessions,
        read_sessions=read_sessions,
        catalog=catalog,
        provider=provider or SimulatedProvider(),
        gateway=gateway or SimulatedGateway(),
        extras=extras or {},
    )
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else LOCAL_BOT_TOKEN
    secret = (
        settings.slack_signing_secret.get_secret_value()
        if settings.slack_signing_secret
        else LOCAL_SIGNING_SECRET
    )
    app = App(
        signing_secret=secret,
        client=WebClient(token=token, base_url=settings.slack_api_url, timeout=10),
        process_before_response=True,
        token_verification_enabled=False,
        request_verification_enabled=verify_requests,
        ignoring_self_events_enabled=False,
        logger=log,
    )

    @app.middleware
    def refuse_what_is_not_slack(context: BoltContext, next: Callable[[], None]) -> BoltResponse | None:
        """A signed body that is not a Slack request (`bot.server.NOT_SLACK`): a plain 400."""
        if context.get(NOT_SLACK):
            return BoltResponse(status=400, body="Not a Slack request")
        next()
        return None

    @app.middleware
    def inject_deps(context: BoltContext, next: Callable[[], None]) -> None:
        context["deps"] = deps
        next()

    @app.middleware
    def refuse_card_numbers(
        body: dict[str, Any],
        context: BoltContext,
        next: Callable[[], None],
    ) -> BoltResponse | None:
        """A card number typed anywhere but the card field is refused before any listener sees it."""
        field = card_number_in(body)
        if field is None:
            next()
            return None
        error = InvalidInput(CARD_REFUSED, field=None if field == "text" else field)
        if field == "text":
            return error_response(error, body, context)
        return _field_error(translator_for(context, body), error, field)

    @app.middleware
    def refuse_unstorable_text(
        body: dict[str, Any],
        context: BoltContext,
        next: Callable[[], None],
    ) -> BoltResponse | None:
        """Text the database cannot hold (NUL, lone surrogates) is refused before any listener sees
        it, wherever it is: typed, in a modal input, a button value or a modal's metadata."""
        if not holds_unstorable(body):
            next()
            return None
        field = _unstorable_input(body)
        error = InvalidInput(UNSTORABLE_REFUSED, field=field)
        if body.get("type") == "view_submission" and field is not None:
            return _field_error(translator_for(context, body), error, field)
        return error_response(error, body, context)

    @app.error
    def on_error(error: Exception, body: dict[str, Any], context: BoltContext) -> BoltResponse:
        return error_response(error, body, context)

    register_all(app)
    return app


def error_response(error: Exception, body: dict[str, Any], context: BoltContext) -> BoltResponse:
    """Turn any failure into a reply the user can read; domain errors say what to do next."""
    if context.get("deps") is None:
        log.error("request failed before the app was ready: %s", type(error).__name__)
        return BoltResponse(status=500, body="")
    t: Translator = context.get("translator") or translator_for(context, body)
    if isinstance(error, DomainError):
        text = t(error.message, **error.params)
    else:
        ref = uuid.uuid4().hex[:8]
        log.error("listener failed (ref %s): %s", ref, type(error).__name__, exc_info=error)
        text = t(N_("Something went wrong on our side and nothing was changed. Reference: {ref}."), ref=ref)
    kind = body.get("type")
    if kind == "view_submission":
        field = error.field if isinstance(error, DomainError) and error.field else _first_input(body)
        payload: dict[str, Any] = {"response_action": "errors", "errors": {field: text[:2000]}}
        return BoltResponse(
            status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
        )
    if kind in ("block_actions", "view_closed", "shortcut", "message_action", "block_suggestion"):
        respond = context.get("respond")
        if respond is not None and (body.get("response_url") or body.get("response_urls")):
            respond(**notice(f":warning: {text}"), replace_original=False)
        elif team_and_user(body)[1] and context.get("client") is not None:
            _post_ephemeral(context, body, text)
        return BoltResponse(status=200, body="")
    return BoltResponse(
        status=200,
        body=json.dumps(notice(f":warning: {text}")),
        headers={"content-type": "application/json"},
    )


def card_number_in(body: dict[str, Any]) -> str | None:
    """Where a card number appears in a request: `text` for a command, or a modal's block id."""
    if body.get("command") and contains_card_number(str(body.get("text") or "")):
        return "text"
    view = body.get("view") or {}
    if body.get("type") == "view_submission":
        for block_id, elements in ui.state_values(view).items():
            if (view.get("callback_id"), block_id) in CARD_FIELDS:
                continue
            for element in (elements or {}).values():
                if isinstance(element, dict) and contains_card_number(str(element.get("value") or "")):
                    return str(block_id)
    return None


def _unstorable_input(body: dict[str, Any]) -> str | None:
    """The modal input holding unstorable text, if that is where it is."""
    blocks = ui.state_values(body.get("view")).items()
    return next((block_id for block_id, block in blocks if holds_unstorable(block)), None)


def _field_error(t: Translator, error: InvalidInput, field: str) -> BoltResponse:
    payload = {"response_action": "errors", "errors": {field: t(error.message, **error.params)[:2000]}}
    return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})


def _first_input(body: dict[str, Any]) -> str:
    return next(iter(ui.state_values(body.get("view"))), "error")


def _post_ephemeral(context: BoltContext, body: dict[str, Any], text: str) -> None:
    """Interactions from the App Home have no response URL: tell the user in a DM-like ephemeral."""
    client: WebClient = context["client"]
    user = team_and_user(body)[1]
    channel = (body.get("channel") or {}).get("id") or user
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=f":warning: {text}")
    except SlackApiError as exc:
        log.warning("could not tell the user about an error: %s", exc.response.get("error"))
