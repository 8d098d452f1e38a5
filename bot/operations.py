"""Runs vendor operations after the ack and tells the person who asked (SPEC §9 Slow vendors).

A listener records the operation (`domain.operations`), answers Slack, then hands the operation's id
to this app's `Runner`: a small thread pool, so the answer never waits for the vendor. The scheduler
process (`reseller-bot schedule`) sweeps every minute for operations a crash or a restart left
pending or running under an expired lease; so does `reseller-bot operations run [ID]` by hand.

The creator is told by updating the modal they submitted (its stored view id) and, when that fails
(the modal was closed), in a message only they can see in the channel the flow started in, or in the
app's direct message. The one-time password exists only in memory between the vendor and that
message: it is never stored or logged.
"""

from __future__ import annotations

import logging
import threading
import weakref
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

import domain.accounts.provisioning
import domain.accounts.snapshots
import domain.templates  # noqa: F401 - registers the template_import handler
from bot import ui
from bot.context import Deps, Req
from bot.i18n import Translator
from bot.jobs.workspace_clients import WorkspaceClients, clients_of
from bot.settings import Settings
from domain import operations
from domain.accounts.common import AccountPorts
from domain.clock import Clock
from domain.i18n import N_
from domain.ports import PaymentGateway, Provider
from domain.workspaces import DEAD_TOKEN_ERRORS

log = logging.getLogger("reseller_desk.operations")

_RUNNERS: weakref.WeakSet[Runner] = weakref.WeakSet()
RETRY_REOPEN = "accounts_add_reopen"


class Runner:
    """The app's pool for operations right after the ack; `drain` waits for them (tests, the shell)."""

    def __init__(self, deps: Deps, workers: int = 4) -> None:
        self.deps = deps
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vendor-operation")
        self.futures: set[Future[None]] = set()
        self.lock = threading.Lock()
        _RUNNERS.add(self)

    def submit(self, op_id: int, client: WebClient | None) -> None:
        future = self.pool.submit(self._run, op_id, client)
        with self.lock:
            self.futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self.lock:
            self.futures.discard(future)

    def _run(self, op_id: int, client: WebClient | None) -> None:
        try:
            outcome = operations.run(self.deps.sessions, ports_of(self.deps), op_id)
        except Exception:
            log.exception(
                "operation %s failed unexpectedly; the sweep retries it when its lease expires", op_id
            )
            return
        if outcome is None or outcome.state == "pending" or client is None:
            return
        # The agency's own client now: its workspace may have removed the app since the request.
        client = clients_of(self.deps).for_agency(outcome.agency_id, default=client)
        if client is not None:
            tell_or_suspend(clients_of(self.deps), client, outcome)

    def drain(self, timeout: float = 30.0) -> bool:
        with self.lock:
            running = set(self.futures)
        _done, left = wait(running, timeout=timeout)
        return not left


_LOCK = threading.Lock()


def runner_of(deps: Deps) -> Runner:
    with _LOCK:
        runner = deps.extras.get("operations_runner")
        if not isinstance(runner, Runner):
            runner = Runner(deps)
            deps.extras["operations_runner"] = runner
        return runner


def tell_or_suspend(clients: WorkspaceClients, client: WebClient, outcome: operations.Outcome) -> None:
    """`tell`, and a token Slack refuses as dead suspends the agency (nothing more is tried with it)."""
    try:
        tell(client, outcome)
    except SlackApiError as exc:
        if not clients.refused_by(outcome.agency_id, exc):
            raise


def drain_all(timeout: float = 30.0) -> bool:
    """Wait until every runner of this process is idle (tests and the shell: deterministic output)."""
    return all(runner.drain(timeout) for runner in list(_RUNNERS))


def ports_of(deps: Deps) -> AccountPorts:
    return AccountPorts(
        clock=deps.clock,
        catalog=deps.catalog,
        provider=deps.provider,
        gateway=deps.gateway,
        providers=deps.providers,
    )


def translator(notify: dict[str, Any]) -> Translator:
    return Translator(
        str(notify.get("language") or "en"),
        str(notify.get("currency") or "USD"),
        str(notify.get("timezone") or "UTC"),
    )


def notify_for(req: Req) -> dict[str, Any]:
    """Where to tell the person who asked by a command: the channel it was typed in, their language."""
    channel = req.body.get("channel_id")
    return {
        "user": req.user_id,
        "channel": channel if isinstance(channel, str) else None,
        "language": req.t.lang,
        "currency": req.currency,
        "timezone": req.timezone,
    }


def tell(client: WebClient, outcome: operations.Outcome) -> None:
    """The outcome to the person who asked: in their modal, else a message only they can see."""
    from bot.commands.accounts_add_outcome import failed_view, succeeded_view

    notify, t = outcome.notify, translator(outcome.notify)
    if outcome.kind == "snapshot":
        _tell_snapshot(client, t, outcome)
        return
    if outcome.kind == "template_import":
        _tell_import(client, t, outcome)
        return
    if outcome.kind == "provision_seats":
        _tell_seats(client, t, outcome)
        return
    if outcome.kind != "provision_account":
        return
    view = succeeded_view(t, outcome) if outcome.state == "succeeded" else failed_view(t, outcome)
    user = str(notify.get("user") or outcome.requested_by)
    shown = False
    if notify.get("view_id"):
        try:
            client.views_update(view_id=str(notify["view_id"]), view=view)
            shown = True
        except SlackApiError as error:
            log.info(
                "operation %s: the modal is gone (%s); telling in a message", outcome.operation_id, error
            )
    channel = str(notify.get("channel") or "")
    if shown and outcome.state == "succeeded" and channel:
        _ephemeral(client, channel, user, _summary(t, outcome), None)
    elif not shown:
        _ephemeral(client, channel, user, str(view.get("title", {}).get("text", "")), view["blocks"])


def _tell_snapshot(client: WebClient, t: Translator, outcome: operations.Outcome) -> None:
    notify = outcome.notify
    if outcome.state == "succeeded":
        text = t(
            N_(
                ":white_check_mark: Snapshot {name} stored. New accounts can start from it in `/accounts add`."
            ),
            name=str(outcome.result.get("name") or outcome.target),
        )
    else:
        text = t(
            N_("The provider could not copy {name}: {reason}"),
            name=outcome.target,
            reason=outcome.error or "",
        )
    _ephemeral(
        client, str(notify.get("channel") or ""), str(notify.get("user") or outcome.requested_by), text, None
    )


def _tell_import(client: WebClient, t: Translator, outcome: operations.Outcome) -> None:
    """A resumed import's report (one the lazy listener ran is reported on its own card)."""
    from bot.commands.accounts_templates import report
    from domain.templates import results_of

    notify = outcome.notify
    user, channel = str(notify.get("user") or outcome.requested_by), str(notify.get("channel") or "")
    if outcome.state == "succeeded":
        message = report(t, results_of(outcome.result), outcome.target)
        _ephemeral(client, channel, user, str(message["text"]), list(message["blocks"]))
    else:
        text = t(N_("The template import stopped: {reason}"), reason=outcome.error or "")
        _ephemeral(client, channel, user, text, None)


def _tell_seats(client: WebClient, t: Translator, outcome: operations.Outcome) -> None:
    notify = outcome.notify
    if outcome.state == "succeeded":
        text = t(
            N_(":white_check_mark: Subscription {account} is ready at the provider."), account=outcome.target
        )
    else:
        text = t(
            N_(
                ":x: The provider did not create the subscription {account}: {reason}. Its charge was voided and nothing was kept."
            ),
            account=outcome.target,
            reason=outcome.error or "",
        )
    _ephemeral(
        client, str(notify.get("channel") or ""), str(notify.get("user") or outcome.requested_by), text, None
    )


def _summary(t: Translator, outcome: operations.Outcome) -> str:
    r = outcome.result
    return t(
        N_(":white_check_mark: Account {name} is {status}: {url}. `/accounts show {name}` for its card."),
        name=str(r.get("name") or outcome.target),
        status=t(str(r.get("status") or "")),
        url=str(r.get("login_url") or ""),
    )


def _ephemeral(client: WebClient, channel: str, user: str, text: str, blocks: list[Any] | None) -> None:
    """In the flow's channel, only to `user`; without a channel (or when that fails), the app's DM."""
    kwargs: dict[str, Any] = {"text": ui.plain(text) or text}
    if blocks:
        kwargs["blocks"] = blocks
    if channel:
        try:
            client.chat_postEphemeral(channel=channel, user=user, **kwargs)
            return
        except SlackApiError:
            pass
    try:
        client.chat_postMessage(channel=user, **kwargs)
    except SlackApiError as exc:
        if exc.response.get("error") in DEAD_TOKEN_ERRORS:
            raise  # the workspace's token is dead: `tell_or_suspend` suspends the agency
        log.warning("could not tell %s the outcome of an operation", user)


def sweep_operations(
    settings: Settings,
    sessions: sessionmaker[Session],
    clock: Clock,
    *,
    provider: Provider | None = None,
    gateway: PaymentGateway | None = None,
    only: int | None = None,
) -> list[operations.Outcome]:
    """Run every due operation (or only `only`) and tell each person who asked: the scheduler's minute
    tick and `reseller-bot operations run [ID]`, with the vendors `RESELLER_PROVIDER` names."""
    from bot.providers import build_provider, build_providers
    from domain.catalog import load_catalog
    from domain.simulated import SimulatedGateway

    catalog = load_catalog(settings.reseller_catalog)
    provider = provider or build_provider(settings, catalog)
    ports = AccountPorts(
        clock=clock,
        catalog=catalog,
        provider=provider,
        gateway=gateway or SimulatedGateway(),
        providers=build_providers(settings, catalog, provider),
    )
    clients = WorkspaceClients(settings, sessions, clock)

    def told(outcome: operations.Outcome) -> None:
        client = clients.for_agency(outcome.agency_id)
        if client is None:  # no token, or the workspace removed the app: the outcome is recorded
            return
        try:
            tell_or_suspend(clients, client, outcome)
        except Exception:  # Slack unreachable: the outcome is recorded, and the command says it ran
            log.exception("operation %s: telling the person who asked failed", outcome.operation_id)

    if only is None:
        return operations.sweep(sessions, ports, told)
    outcome = operations.run(sessions, ports, only)
    if outcome is not None and outcome.state != "pending":
        told(outcome)
    return [outcome] if outcome is not None else []
