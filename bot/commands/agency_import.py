"""`/agency import`: bring in the portfolio the agency already has at the vendor; `/agency import csv`:
the same from pasted CSV rows, for vendors without an API (`domain.portfolio_import`, `domain.csv_import`).

The vendor import is started in the ack (owners only; one running import per agency; the command's
trigger id is its key, so Slack's retry of the command finds it and starts nothing) and runs in a lazy
listener: it posts one message in the channel and updates it (`chat.update`) as pages are read, at
most about ten times, then with the summary. Its progress is kept in the database page by page: a
crash or a vendor failure leaves it to resume with the next `/agency import`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement

from bot import ui
from bot.context import Deps, Req, open_request
from bot.i18n import Translator
from bot.parsing import tokens
from domain import csv_import, portfolio_import
from domain.errors import DomainError, InvalidInput
from domain.i18n import N_
from domain.portfolio_import import ImportState
from domain.roles import Permission

log = logging.getLogger("reseller_desk")

CSV_VIEW = "agency_import_csv"
LISTED = 20
ROW_LINES = 40


@dataclass(frozen=True)
class _Shared:
    """Hands the app's ports to the lazy listener: Bolt deep-copies the context, the ports are shared."""

    deps: Deps

    def __deepcopy__(self, memo: dict[int, Any]) -> _Shared:
        return self


def register(app: App) -> None:
    """Registered before `/agency`'s own listener: this one takes `/agency import …` only."""
    app.command("/agency", matchers=[is_import])(ack=start_import, lazy=[run_import])
    app.view(CSV_VIEW)(submit_csv)


def is_import(body: dict[str, Any]) -> bool:
    words = tokens(body.get("text"))
    return bool(words) and words[0].lower() == "import"


def start_import(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    req = open_request(context, command)
    context["translator"] = t = req.t
    words = tokens(command.get("text"))[1:]
    req.actor.require(Permission.MANAGE_AGENCY)
    if words and words[0].lower() == "csv":
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=csv_modal(t, command.get("channel_id")))
        _hand_over(context)
        return
    if words:
        raise InvalidInput(N_("Write it as `/agency import` or `/agency import csv`."))
    key = str(command.get("trigger_id") or uuid.uuid4().hex)[:180]
    deps = req.deps
    with deps.uow() as uow:
        started = portfolio_import.start(
            uow,
            deps.clock,
            deps.provider,
            req.actor,
            request_key=f"import:{key}",
            channel=command.get("channel_id"),
        )
    if not started.run:
        ack(**ui.notice(already_text(t, started.state)))
        _hand_over(context)
        return
    text = t(
        N_(":hourglass: Importing the vendor's accounts: the progress is shown in a message in this channel.")
    )
    ack(**ui.notice(text))
    context["import_id"] = started.state.id
    _hand_over(context)


def _hand_over(context: BoltContext) -> None:
    """Once answered: the ports move to a wrapper the lazy listener's context copy can carry (left in
    place, Bolt fails to deep-copy them and warns). Not before: the error handler reads them."""
    context["shared_deps"] = _Shared(context.pop("deps"))


def already_text(t: Translator, state: ImportState) -> str:
    if state.status == "running":
        return t(
            N_(
                ":information_source: An import started by <@{user}> is running ({done} of {total} accounts read): nothing new was started."
            ),
            user=state.started_by,
            done=state.done,
            total=state.total if state.total is not None else "?",
        )
    return t(
        N_(
            ":information_source: This import was already started: {added} added, {existing} already there, {skipped} skipped."
        ),
        added=state.added,
        existing=state.existing,
        skipped=state.skipped,
    )


def run_import(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    shared, import_id = context.get("shared_deps"), context.get("import_id")
    if not isinstance(shared, _Shared) or not isinstance(import_id, int):
        return  # nothing was started (a refusal, the CSV modal, a retry)
    context["deps"] = deps = shared.deps
    req = open_request(context, body)
    t = req.t
    where = _post(client, str(body.get("channel_id") or req.user_id), progress(t, None))
    if where is not None:
        with deps.uow() as uow:
            portfolio_import.set_message(uow, import_id, *where)
    try:
        state = portfolio_import.run(
            deps.uow,
            deps.clock,
            deps.catalog,
            deps.provider,
            req.actor,
            import_id=import_id,
            progress=_Progress(client, where, t),
        )
        final = summary(req, state)
    except DomainError as error:
        final = ui.notice(f":warning: {t(error.message, **error.params)}")
    _update(client, where, final)


def _post(client: WebClient, channel: str, payload: dict[str, Any]) -> tuple[str, str] | None:
    try:
        response = client.chat_postMessage(channel=channel, text=payload["text"], blocks=payload["blocks"])
    except SlackApiError as exc:
        log.warning("could not post the import's progress: %s", exc.response.get("error"))
        return None
    return str(response.get("channel") or channel), str(response.get("ts") or "")


def _update(client: WebClient, where: tuple[str, str] | None, payload: dict[str, Any]) -> None:
    if where is None:
        return
    try:
        client.chat_update(channel=where[0], ts=where[1], text=payload["text"], blocks=payload["blocks"])
    except SlackApiError as exc:
        log.warning("could not update the import's message: %s", exc.response.get("error"))


class _Progress:
    """Updates the message after the first page and as each tenth of the pages is passed: at most
    eleven updates and the summary, inside `chat.update`'s rate limit (about 50 a minute)."""

    def __init__(self, client: WebClient, where: tuple[str, str] | None, t: Translator) -> None:
        self.client, self.where, self.t = client, where, t

    def __call__(self, state: ImportState) -> None:
        pages, page = state.total_pages or 1, state.next_page - 1
        tenth = (page * 10) // pages != ((page - 1) * 10) // pages
        if state.status == "running" and page < pages and (page == 1 or tenth):
            _update(self.client, self.where, progress(self.t, state))


def progress(t: Translator, state: ImportState | None) -> dict[str, Any]:
    if state is None:
        text = t(N_(":hourglass: Importing the vendor's accounts: reading the first page…"))
    else:
        text = t(
            N_(
                ":hourglass: Importing the vendor's accounts: {done} of {total} read (page {page} of {pages})…"
            ),
            done=state.done,
            total=state.total or 0,
            page=state.next_page - 1,
            pages=state.total_pages or 1,
        )
    return ui.message(text, [ui.section(text)], ephemeral=False)


def summary(req: Req, state: ImportState) -> dict[str, Any]:
    t = req.t
    counts = {"added": state.added, "existing": state.existing, "skipped": state.skipped}
    if state.status == "done":
        text = t(
            N_(":white_check_mark: Import done: {added} added, {existing} already there, {skipped} skipped."),
            **counts,
        )
    else:
        text = t(
            N_(
                ":warning: The import stopped at page {page} of {pages}: {reason}. So far {added} added, {existing} already there, {skipped} skipped. Run `/agency import` again to resume from there: nothing is imported twice."
            ),
            page=state.next_page,
            pages=state.total_pages or "?",
            reason=state.failure or "-",
            **counts,
        )
    blocks: list[Block] = [ui.header(t(N_("Import from the vendor"))), ui.section(text)]
    with req.deps.read_uow() as uow:
        names, count = portfolio_import.plans_to_confirm(uow, req.actor, LISTED)
    if count:
        shown = ", ".join(f"*{ui.escape(n)}*" for n in names) + (" …" if count > len(names) else "")
        blocks.append(
            ui.section(
                t.plural(
                    N_("{n} account has a plan to confirm: {names}"),
                    N_("{n} accounts have a plan to confirm: {names}"),
                    count,
                    names=shown,
                )
            )
        )
        blocks.append(
            ui.context(
                t(
                    N_(
                        "The desk could not read their plan at the vendor: they are not billed until it is set with `/accounts edit <name>`. List: `/accounts status:all plan:to-confirm`."
                    )
                )
            )
        )
    if state.skipped_items:
        lines = [f"*{ui.escape(name)}* — {t(reason)}" for name, reason in state.skipped_items[:LISTED]]
        if state.skipped > len(lines):
            lines.append(t.plural(N_("… and {n} more."), N_("… and {n} more."), state.skipped - len(lines)))
        blocks.append(ui.section(t(N_("Skipped:")) + "\n" + "\n".join(lines)))
    return ui.message(text, blocks, ephemeral=False)


def csv_modal(t: Translator, channel: str | None) -> dict[str, Any]:
    required, optional = ", ".join(csv_import.REQUIRED), ", ".join(csv_import.OPTIONAL)
    blocks: list[Block] = [
        ui.section(
            t(
                N_(
                    "Paste the rows of your CSV file, its first line naming the columns: {required} (optional: {optional}). At most {max} rows; for more, run `reseller-bot import accounts FILE.csv`."
                ),
                required=required,
                optional=optional,
                max=csv_import.MAX_SLACK_ROWS,
            )
        ),
        InputBlock(
            block_id="rows",
            label=t(N_("CSV rows")),
            hint=t(N_("Nothing is charged: each account is first billed on its next renewal date.")),
            element=PlainTextInputElement(
                action_id="value", multiline=True, max_length=csv_import.MAX_SLACK_CHARS
            ),
        ),
    ]
    return ui.modal(
        t(N_("Import accounts")),
        CSV_VIEW,
        blocks,
        submit=t(N_("Import")),
        close=t(N_("Cancel")),
        private_metadata={"channel": channel} if channel else None,
    )


def submit_csv(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    text = ui.state_value(view, "rows") or ""
    deps = req.deps
    with deps.uow() as uow:
        result = csv_import.import_csv(
            uow, deps.clock, deps.catalog, req.actor, text, max_rows=csv_import.MAX_SLACK_ROWS
        )
    ack(response_action="update", view=result_view(req.t, result))


def result_view(t: Translator, result: csv_import.CsvResult) -> dict[str, Any]:
    head = t(
        N_("{added} added, {existing} already there, {refused} refused."),
        added=len(result.added),
        existing=len(result.existing),
        refused=len(result.errors),
    )
    blocks: list[Block] = [ui.section(head)]
    lines = [
        t(N_("Line {line}: {reason}"), line=e.line, reason=t(e.message, **e.params)) for e in result.errors
    ]
    chunk: list[str] = []
    for line in lines[:ROW_LINES]:
        if sum(len(x) + 1 for x in chunk) + len(line) > 2800:
            blocks.append(ui.section("\n".join(chunk)))
            chunk = []
        chunk.append(ui.clip(line, 2800))
    if chunk:
        blocks.append(ui.section("\n".join(chunk)))
    if len(lines) > ROW_LINES:
        blocks.append(
            ui.context(t.plural(N_("… and {n} more."), N_("… and {n} more."), len(lines) - ROW_LINES))
        )
    if result.errors:
        blocks.append(ui.context(t(N_("Refused rows wrote nothing: correct them and import them again."))))
    return ui.modal(t(N_("Import accounts")), CSV_VIEW + "_done", blocks, close=t(N_("Close")))
