"""`/accounts templates import <share link> [filters]`: a confirm card listing the matching accounts,
then one provider call per account in a lazy listener, with progress on the message and a final
per-account report. The card's Import button carries only the id of the server-held import (link
and filters, `bot.confirmations`): clicked again, it says the import was already done.

Lazy listener, because a real provider takes a second or more per account and Slack wants its answer
within 3 seconds. The import is a vendor operation (`domain.templates.ImportTemplate`): should the
process stop mid-way, the scheduler's sweep resumes it (the accounts done are skipped) and posts the
report to the person who asked. Progress goes through the card's `response_url`, which Slack accepts 5 times, so
the message is updated at the start, after each third, and with the final report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk.models.blocks import Block

from bot import confirmations, ui
from bot.answer import answer
from bot.commands.accounts_common import ports_of
from bot.context import Deps, Req, open_request
from bot.i18n import Translator, joined
from bot.operations import notify_for
from domain import operations, pending, templates
from domain.accounts.filters import parse_filters
from domain.errors import DomainError, InvalidInput
from domain.i18n import N_, Count

CONFIRM = "accounts_templates_confirm"
CANCEL = "accounts_templates_cancel"
EXAMPLE = "`/accounts templates import https://… plan:plus status:active`"
LISTED = 40


@dataclass(frozen=True)
class _Shared:
    """Hands the app's ports to the lazy listener: Bolt deep-copies the context for it, and the ports
    (sessions, locks) are shared, not copied."""

    deps: Deps

    def __deepcopy__(self, memo: dict[int, Any]) -> _Shared:
        return self


def register(app: App) -> None:
    app.action(CONFIRM)(ack=start_import, lazy=[run_import])
    app.action(CANCEL)(cancel)


def reply(req: Req, words: list[str]) -> dict[str, Any]:
    if len(words) < 2 or words[0].lower() != "import":
        raise InvalidInput(N_("Write it as {example}."), example=EXAMPLE)
    filters = parse_filters(words[2:])
    with req.deps.uow() as uow:
        plan = templates.plan(uow, req.actor, words[1], filters)
    t = req.t
    shown = ", ".join(plan.names) + (" …" if plan.total > len(plan.names) else "")
    value = confirmations.hold(req, "templates", {"link": plan.link, "filters": filters.as_text(page=False)})
    blocks: list[Block] = [
        ui.header(t(N_("Import a template"))),
        ui.section(
            t.plural(
                N_("Import <{link}> into {n} account matching `{filters}`:\n{names}"),
                N_("Import <{link}> into {n} accounts matching `{filters}`:\n{names}"),
                plan.total,
                link=_in_link(plan.link),
                filters=filters.as_text(page=False),
                names=shown,
            )
        ),
        ui.context(t(N_("Accounts that already have it are skipped; nothing is imported twice."))),
        ui.actions(
            ui.button(t(N_("Import")), CONFIRM, value, style="primary"),
            ui.button(t(N_("Cancel")), CANCEL, value),
        ),
    ]
    title = t.plural(
        N_("Import a template into {n} account"), N_("Import a template into {n} accounts"), plan.total
    )
    return ui.message(title, blocks)


def start_import(ack: Ack, context: BoltContext) -> None:
    """Acks at once; the ports move to a wrapper the lazy listener's context copy can carry (left in
    place, Bolt fails to deep-copy them and warns on every import)."""
    ack()
    context["shared_deps"] = _Shared(context.pop("deps"))


def run_import(body: dict[str, Any], context: BoltContext) -> None:
    shared = context.get("shared_deps")
    if isinstance(shared, _Shared):
        context["deps"] = shared.deps
    req = open_request(context, body)
    t = req.t
    ran: list[bool] = []
    try:
        text = confirmations.confirmed(
            req, "templates", ui.action_value(body), lambda held: _import(req, context, body, held, ran)
        )
    except DomainError as error:
        answer(context, body, ui.notice(f":warning: {t(error.message, **error.params)}"), replace=True)
        return
    if not ran:  # already done, or being done: say so instead of importing again
        answer(context, body, ui.notice(text), replace=True)


def _import(
    req: Req, context: BoltContext, body: dict[str, Any], held: pending.Claimed, ran: list[bool]
) -> str:
    """Run the held import once, updating the clicked message at a third and two thirds of the way."""
    ran.append(True)
    t = req.t
    link, filters = str(held.payload["link"]), str(held.payload["filters"])
    with req.deps.uow() as uow:
        op = templates.request_import(
            uow, req.actor, link, filters, key=held.id, now=req.deps.clock.now(), notify=notify_for(req)
        )
        op_id = op.id
    shown = [0]

    def progress(done: Any) -> None:
        results, total = done
        marks = {0, total // 3, 2 * total // 3} - {total} if total else {0}
        if len(results) in marks and (len(results) == 0 or len(results) > shown[0]):
            shown[0] = len(results)
            answer(context, body, _progress(t, results, total), replace=True)

    outcome = operations.run(req.deps.sessions, ports_of(req), op_id, progress=progress)
    if outcome is None:  # another runner has it (a resumed import): it reports when done
        text = t(N_(":hourglass: This confirmation is already being carried out: its answer follows."))
        answer(context, body, ui.notice(text), replace=True)
        return text
    final = report(t, templates.results_of(outcome.result), link)
    answer(context, body, final, replace=True)
    return str(final["text"])


def _progress(t: Translator, results: list[templates.Result], total: int) -> dict[str, Any]:
    text = t(
        N_(":hourglass: Importing the template: {done} of {total} accounts done…"),
        done=len(results),
        total=total,
    )
    return ui.notice(text)


def report(t: Translator, results: list[templates.Result], link: str) -> dict[str, Any]:
    counts = {s: sum(1 for r in results if r.status == s) for s in ("imported", "skipped", "failed")}
    summary = t(
        N_("Template <{link}>: {imported}, {skipped} (already there), {failed}."),
        link=_in_link(link),
        imported=Count(counts["imported"], N_("{n} account imported"), N_("{n} accounts imported")),
        skipped=Count(counts["skipped"], N_("{n} account skipped"), N_("{n} accounts skipped")),
        failed=Count(counts["failed"], N_("{n} account failed"), N_("{n} accounts failed")),
    )
    tasks_opened = sum(1 for r in results if r.status == templates.TASK)
    if tasks_opened:
        summary = joined(
            " ",
            [
                summary,
                t.plural(
                    N_(
                        "{n} portal task posted: the vendor's API cannot import templates, do it in its portal."
                    ),
                    N_(
                        "{n} portal tasks posted: the vendor's API cannot import templates, do it in its portal."
                    ),
                    tasks_opened,
                ),
            ],
        )
    labels = {
        "imported": t(N_("imported")),
        "skipped": t(N_("skipped: already imported")),
        "failed": t(N_("failed")),
        templates.TASK: t(N_("portal task posted")),
    }
    lines = [
        f"*{ui.escape(r.name)}* · {labels[r.status]}" + (f" — {_reason(t, r.reason)}" if r.reason else "")
        for r in sorted(results, key=lambda r: (r.status != "failed", r.name))[:LISTED]
    ]
    if len(results) > LISTED:
        lines.append(t(N_("… and {n} more."), n=len(results) - LISTED))
    blocks: list[Block] = [ui.section(summary), ui.section("\n".join(lines) or t(N_("No account matched.")))]
    return ui.message(summary, blocks)


def _in_link(link: str) -> str:
    """A share link inside the message's `<{link}>`: the translator escapes `&`, `<`, `>`, and a `|`
    (which would start the link's label) is percent-encoded, so the link shows as it is."""
    return link.replace("|", "%7C")


def _reason(t: Translator, reason: str) -> str:
    """Our own reasons are message ids; the provider's are its words, shown as they are."""
    return t(reason) if reason == templates.NOT_PROVISIONED else ui.escape(reason)


def cancel(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    req = open_request(context, body)
    text = req.t(N_("Cancelled: nothing was imported."))
    answer(
        context,
        body,
        ui.notice(confirmations.cancelled(req, ui.action_value(body), text)),
        replace=True,
    )
