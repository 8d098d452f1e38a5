"""Builds the Bolt app from settings and ports. Nothing is created at import time."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.oauth.callback_options import SuccessArgs
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from bot import ui
from bot.answer import answer
from bot.commands import register_all
from bot.context import Deps, translator_for
from bot.i18n import Translator, plain
from bot.logs import LoggedApp
from bot.providers import build_provider, build_providers
from bot.server import NOT_SLACK
from bot.settings import Settings
from bot.ui import notice
from bot.workspaces import NOT_INSTALLED, oauth_settings
from domain.cards import CARD_REFUSED, contains_card_number
from domain.catalog import Catalog, load_catalog
from domain.clock import Clock, SystemClock
from domain.errors import DomainError, InvalidInput, Problems
from domain.i18n import N_
from domain.plaintext import UNSTORABLE_REFUSED, holds_unstorable
from domain.ports import PaymentGateway, Provider
from domain.simulated import SimulatedGateway
from domain.store.db import make_engine, make_session_factory
from domain.workspaces import Workspace, install

log = logging.getLogger("reseller_desk")


class _NoTokenNotice(logging.Filter):
    """Bolt warns "`token` will be unused" whenever SLACK_BOT_TOKEN is in the environment and a
    client is given, which is always the case here: a warning at every start that means nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


log.addFilter(_NoTokenNotice())

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
    providers: dict[str, Provider] | None = None,
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
    provider = provider or build_provider(settings, catalog)
    deps = Deps(
        settings=settings,
        clock=clock or SystemClock(),
        sessions=sessions,
        read_sessions=read_sessions,
        catalog=catalog,
        provider=provider,
        gateway=gateway or SimulatedGateway(),
        extras=extras or {},
        providers=providers if providers is not None else build_providers(settings, catalog, provider),
    )
    secret = (
        settings.slack_signing_secret.get_secret_value()
        if settings.slack_signing_secret
        else LOCAL_SIGNING_SECRET
    )
    client, options = _installations(settings, deps, read_sessions)
    app = LoggedApp(
        signing_secret=secret,
        client=client,
        process_before_response=True,
        token_verification_enabled=False,
        request_verification_enabled=verify_requests,
        ignoring_self_events_enabled=False,
        raise_error_for_unhandled_request=True,  # acknowledged in `error_response`, see there
        logger=log,
        **options,
    )
    if settings.metrics:
        from bot.metrics import MetricsEndpoint, OutboxCollector

        metrics_token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
        app.metrics = MetricsEndpoint(metrics_token, [OutboxCollector(read_sessions or sessions, deps.clock)])

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
        """A card number typed anywhere (no field asks for one) is refused before any listener sees it."""
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
        context["request_error"] = error  # for the request's log line (bot/logs.py)
        return error_response(error, body, context)

    register_all(app)
    return app


def _installations(
    settings: Settings, deps: Deps, read_sessions: sessionmaker[Session] | None
) -> tuple[WebClient, dict[str, Any]]:
    """The Web API client and Bolt's authorisation: one bot token, or (SPEC §11) each workspace's
    token from its installation, the OAuth flow installing them."""
    if not settings.multi_workspace:
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else LOCAL_BOT_TOKEN
        return WebClient(token=token, base_url=settings.slack_api_url, timeout=10), {}
    reads = read_sessions.kw["bind"] if read_sessions is not None else None
    flow, authorize = oauth_settings(
        settings, deps.sessions.kw["bind"], lambda args: _installed(deps, args), deps.clock, read_engine=reads
    )
    deps.installations = flow.installation_store
    options = {
        "oauth_settings": flow,
        "authorize": authorize,
        "user_facing_authorize_error_message": NOT_INSTALLED,
    }
    return WebClient(base_url=settings.slack_api_url, timeout=10), options


def _installed(deps: Deps, args: SuccessArgs) -> None:
    """An install completed (the installation is stored): the workspace's agency, with the person
    who installed it as its owner the first time."""
    found = args.installation
    workspace = Workspace(found.team_id, found.enterprise_id, bool(found.is_enterprise_install))
    install(deps.uow, deps.clock, workspace, found.user_id)


def error_response(error: Exception, body: dict[str, Any], context: BoltContext) -> BoltResponse:
    """Turn any failure into a reply the user can read; domain errors say what to do next.

    A request no listener handles (a `view_closed`, an event the app does not use, a link button, a
    button of an older version) is acknowledged with a plain 200: Bolt's 404 would make Slack show an
    error or, in Socket Mode, leave the envelope unacknowledged and sent again.
    """
    if isinstance(error, BoltUnhandledRequestError):
        log.info("acknowledged, nothing to do: %s", _request_kind(body))
        return BoltResponse(status=200, body="")
    if context.get("deps") is None:
        log.error("request failed before the app was ready: %s", type(error).__name__)
        return BoltResponse(status=500, body="")
    t: Translator = context.get("translator") or translator_for(context, body)
    if isinstance(error, Problems):
        text = "\n".join(t(p.message, **p.params) for p in error.problems)
    elif isinstance(error, DomainError):
        text = t(error.message, **error.params)
    else:
        ref = uuid.uuid4().hex[:8]
        log.error("listener failed (ref %s): %s", ref, type(error).__name__, exc_info=error)
        text = t(N_("Something went wrong on our side and nothing was changed. Reference: {ref}."), ref=ref)
    kind = body.get("type")
    if kind == "view_submission":
        payload: dict[str, Any] = {"response_action": "errors", "errors": _field_errors(t, error, body, text)}
        return BoltResponse(
            status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
        )
    if kind in ("block_actions", "view_closed", "shortcut"):
        _tell(context, body, text)
        return BoltResponse(status=200, body="")
    return BoltResponse(
        status=200,
        body=json.dumps(notice(f":warning: {text}")),
        headers={"content-type": "application/json"},
    )


def card_number_in(body: dict[str, Any]) -> str | None:
    """Where a card number appears in a request: a view submission's block id, else `text`.

    Every text a person can type is read: a command's text, every text input of a submitted view
    (plain, multi-line, rich, number, email, URL), the inputs of block actions (typed into an input
    with `dispatch_action`) with the state of the surface they come from, and the query typed into
    an external select.
    """
    if not isinstance(body, dict):
        return None
    if body.get("command") is not None and contains_card_number(str(body.get("text") or "")):
        return "text"
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    if body.get("type") == "view_submission":
        return _block_with_card(_state_values(view))
    if body.get("type") == "block_actions":
        actions = body.get("actions")
        if isinstance(actions, list) and any(_has_card(action) for action in actions):
            return "text"
        for values in (_state_values(view), _state_values(body)):
            if _block_with_card(values) is not None:
                return "text"
    if body.get("type") == "block_suggestion" and contains_card_number(str(body.get("value") or "")):
        return "text"
    return None


def _state_values(view: Any) -> Any:
    state = view.get("state") if isinstance(view, dict) else None
    return state.get("values") if isinstance(state, dict) else None


def _block_with_card(values: Any) -> str | None:
    if not isinstance(values, dict):
        return None
    for block_id, elements in values.items():
        if isinstance(elements, dict) and any(_has_card(element) for element in elements.values()):
            return str(block_id)
    return None


TYPED_INPUTS = {"plain_text_input", "rich_text_input", "number_input", "email_text_input", "url_text_input"}
"""Elements a person types into. Buttons, selects and pickers send back values the app built
(ids, hex nonces, which may hold a long run of decimal digits by chance), so they are not read."""


def _has_card(element: Any) -> bool:
    """Whether the text typed into one input element or action (plain, multi-line or rich) holds a
    card number. An element without a type is read too, whatever it is."""
    if not isinstance(element, dict):
        return False
    kind = element.get("type", "plain_text_input")
    if not isinstance(kind, str) or kind not in TYPED_INPUTS:
        return False
    value = element.get("value")
    if isinstance(value, str) and contains_card_number(value):
        return True
    return "rich_text_value" in element and contains_card_number(_rich_text(element["rich_text_value"]))


def _rich_text(node: Any) -> str:
    """The text a rich text input shows: inline pieces joined as written, blocks by line breaks.

    A number split across styled pieces (`4242 4242 ` then *`4242 4242`* in bold) is read whole.
    """
    if isinstance(node, list):
        return "\n".join(_rich_text(item) for item in node)
    if not isinstance(node, dict):
        return ""
    elements = node.get("elements")
    if isinstance(elements, list):
        inline = node.get("type") in ("rich_text_section", "rich_text_preformatted", "rich_text_quote")
        return ("" if inline else "\n").join(_rich_text(item) for item in elements)
    return " ".join(str(node[key]) for key in ("text", "url") if isinstance(node.get(key), str))


def _unstorable_input(body: dict[str, Any]) -> str | None:
    """The modal input holding unstorable text, if that is where it is."""
    blocks = ui.state_values(body.get("view")).items()
    return next((block_id for block_id, block in blocks if holds_unstorable(block)), None)


def _field_errors(t: Translator, error: Exception, body: dict[str, Any], text: str) -> dict[str, str]:
    """A submitted modal's errors: each problem on its own input (several when `Problems` lists
    several), and what names no input on the first one."""
    first = _first_input(body)
    if not isinstance(error, DomainError):
        return {first: plain(text)[:2000]}
    errors: dict[str, str] = {}
    for problem in error.problems if isinstance(error, Problems) else [error]:
        field = problem.field or first
        said = plain(t(problem.message, **problem.params))
        errors[field] = f"{errors[field]} {said}"[:2000] if field in errors else said[:2000]
    return errors


def _field_error(t: Translator, error: InvalidInput, field: str) -> BoltResponse:
    payload = {"response_action": "errors", "errors": {field: plain(t(error.message, **error.params))[:2000]}}
    return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})


def _first_input(body: dict[str, Any]) -> str:
    return next(iter(ui.state_values(body.get("view"))), "error")


def _tell(context: BoltContext, body: dict[str, Any], text: str) -> None:
    """Say what failed through what the clicked surface allows (`bot.answer`): the response URL of a
    message, a view pushed over a modal, the app DM for the App Home."""
    try:
        answer(context, body, notice(f":warning: {text}"))
    except (SlackApiError, OSError, ValueError) as exc:
        reason = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("could not tell the user about an error: %s", reason)


def _request_kind(body: dict[str, Any]) -> str:
    """What was received, for the log: the type and the event, callback or action id (no user data)."""
    kind = str(body.get("type") or ("command" if body.get("command") else "unknown"))
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    actions = body.get("actions") if isinstance(body.get("actions"), list) else []
    first = actions[0] if actions and isinstance(actions[0], dict) else {}
    detail = (event or {}).get("type") or first.get("action_id") or (view or {}).get("callback_id")
    detail = detail or body.get("callback_id") or body.get("command") or ""
    return f"{kind} {str(detail)[:80]}".strip()
