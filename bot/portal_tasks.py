"""How a portal task reads (SPEC §9): exactly what to do at the vendor, the account, the values, a
link to the partner portal and a *Done* button; the same words in the channel message, the daily
reminder, `/agency tasks`, App Home and the reply that says a task was opened instead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import Block

from bot import ui
from bot.i18n import Mrkdwn, Translator, joined
from domain.i18n import N_
from domain.ports import Capability
from domain.uow import UnitOfWork
from domain.vendors import tasks
from domain.vendors.tasks import TaskView

DONE_ACTION = "portal_task_done"
LISTED = 20
"""Open tasks `/agency tasks` and App Home show with their buttons (each a section: 50 blocks max)."""


def plan_words(t: Translator, plan: Mapping[str, Any]) -> str:
    """A plan as the portal asks for it: product and tier, contacts, users, add-ons, limits, billing."""
    parts: list[str] = [" ".join(str(plan[k]) for k in ("product", "tier", "level") if plan.get(k))]
    if plan.get("contacts"):
        parts.append(t(N_("{n} contacts"), n=int(plan["contacts"])))
    if plan.get("seats"):
        parts.append(t(N_("{n} users"), n=int(plan["seats"])))
    if plan.get("licenses"):
        parts.append(t(N_("{n} licenses"), n=int(plan["licenses"])))
    if plan.get("addons"):
        parts.append(t(N_("add-ons: {addons}"), addons=", ".join(str(a) for a in plan["addons"])))
    parts += [f"{name} {value}" for name, value in plan.get("limits") or ()]
    if plan.get("frequency"):
        parts.append(t(str(plan["frequency"])))
    return joined(" · ", [p for p in parts if p]) or "-"


BRAND_LABELS = {
    "name": N_("name"),
    "logo_url": N_("logo"),
    "colour": N_("colour"),
    "support_email": N_("support email"),
}


def _branding(t: Translator, values: Mapping[str, Any]) -> str:
    brand = values.get("branding") or {}
    shown = [
        t(N_("{label} {value}"), label=t(BRAND_LABELS[k]), value=str(v))
        for k, v in brand.items()
        if k in BRAND_LABELS and v
    ]
    head = (
        t(N_("Set the branding to: {branding}."), branding=joined(", ", shown))
        if shown
        else t(N_("Remove the account's own branding (the agency's default applies)."))
    )
    domain = values.get("custom_domain")
    tail = (
        t(N_("Custom domain: {domain}."), domain=str(domain))
        if domain
        else t(N_("Remove any custom domain."))
    )
    return joined(" ", [head, tail])


def describe(t: Translator, action: str, account: str, values: Mapping[str, Any]) -> str:
    """The sentence that says what to do at the vendor, with every value to set."""
    if action == Capability.PLAN:
        text = t(
            N_("Change the plan of *{account}* to {plan}."),
            account=account,
            plan=plan_words(t, values.get("plan") or {}),
        )
        if values.get("status"):
            return joined(" ", [text, t(N_("Its status is {status}."), status=t(str(values["status"])))])
        return text
    if action == Capability.STATUS:
        if values.get("plan"):
            text = t(
                N_("Set *{account}* to {status}, on the plan {plan}."),
                account=account,
                status=t(str(values.get("status") or "")),
                plan=plan_words(t, values["plan"]),
            )
        else:
            text = t(
                N_("Set *{account}* to {status}."), account=account, status=t(str(values.get("status") or ""))
            )
        if values.get("login_message"):
            message = t(N_("Login page message: “{text}”."), text=str(values["login_message"]))
            return joined(" ", [text, message])
        return text
    if action == Capability.BRANDING:
        return t(N_("*{account}*: {todo}"), account=account, todo=_branding(t, values))
    if action == Capability.NOTIFICATION_EMAIL:
        return t(
            N_("Set the notification email of *{account}* to {email}."),
            account=account,
            email=str(values.get("notification_email") or ""),
        )
    if action == Capability.PASSWORD:
        return t(
            N_("Send the client of *{account}* a password reset (to {email}), from the portal."),
            account=account,
            email=str(values.get("reset_email") or ""),
        )
    if action == Capability.TEMPLATES:
        return t(
            N_("Import the template {link} into *{account}*."),
            account=account,
            link=str(values.get("share_link") or ""),
        )
    if action == Capability.MEMBERS:
        return t(N_("Invite {email} to *{account}*."), account=account, email=str(values.get("invite") or ""))
    if action == Capability.SNAPSHOT:
        return t(
            N_("Take a snapshot of *{account}* named “{snapshot}”."),
            account=account,
            snapshot=str(values.get("snapshot") or ""),
        )
    return t(N_("*{account}*: {action} at the vendor."), account=account, action=action)


def portal_line(t: Translator, provider: str, url: str) -> str:
    if url.startswith("https://"):
        return t(N_("Do it in {provider}'s partner portal: <{url}>"), url=url, provider=provider)
    return t(N_("Do it in {provider}'s partner portal."), provider=provider)


def done_line(t: Translator, done_by: str | None, done_at: datetime | None) -> str:
    if done_at is None:
        return t(N_(":white_check_mark: Done by <@{user}>."), user=done_by or "?")
    return t(N_(":white_check_mark: Done by <@{user}> on {date}."), user=done_by or "?", date=done_at.date())


def card(t: Translator, task: TaskView, *, ephemeral: bool = False) -> dict[str, Any]:
    """The task as one message: what to do, where, and Done (or who did it)."""
    what = describe(t, task.action, task.account, task.values)
    blocks: list[Block] = [
        ui.section(t(N_(":clipboard: *Portal task*")) + "\n" + what, block_id=f"task:{task.id}"),
        ui.context(portal_line(t, task.provider, task.portal_url)),
    ]
    if task.done:
        blocks.append(ui.context(done_line(t, task.done_by, task.done_at)))
    elif task.state == "open":
        blocks.append(
            ui.actions(
                ui.button(t(N_("Done")), DONE_ACTION, str(task.id), style="primary"),
                block_id=f"done:{task.id}",
            )
        )
    else:
        blocks.append(ui.context(t(N_("Replaced by a newer task for this account."))))
    return ui.message(t(N_("Portal task: {account}"), account=task.account), blocks, ephemeral=ephemeral)


def from_payload(payload: Mapping[str, Any]) -> TaskView:
    """A task as its notice carries it (posted as it was opened)."""
    return TaskView(
        id=int(payload.get("task_id") or 0),
        account=str(payload.get("account") or "-"),
        action=str(payload.get("action") or ""),
        values=dict(payload.get("values") or {}),
        provider=str(payload.get("provider") or ""),
        portal_url=str(payload.get("portal_url") or ""),
        state="open",
        created_by="",
        created_at=datetime.min.replace(tzinfo=UTC),
        done_by=None,
        done_at=None,
        channel=None,
        message_ts=None,
    )


def task_rows(t: Translator, listed: Sequence[TaskView]) -> list[Block]:
    """One section per open task with its Done button."""
    return [
        ui.section(
            describe(t, task.action, task.account, task.values)
            + "\n"
            + portal_line(t, task.provider, task.portal_url),
            accessory=ui.button(t(N_("Done")), DONE_ACTION, str(task.id)),
            block_id=f"task:{task.id}",
        )
        for task in listed
    ]


def reminder(t: Translator, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The daily reminder: every task still open after a day, each with Done."""
    count = int(payload.get("count") or 0)
    listed = [from_payload(p) for p in payload.get("tasks") or ()][:LISTED]
    title = t.plural(N_("{n} portal task still open"), N_("{n} portal tasks still open"), count)
    blocks: list[Block] = [ui.header(title), *task_rows(t, listed)]
    if count > len(listed):
        blocks.append(ui.context(t(N_("… and {n} more: `/agency tasks` lists them."), n=count - len(listed))))
    return ui.message(title, blocks, ephemeral=False)


def listing(t: Translator, total: int, listed: Sequence[TaskView]) -> list[Block]:
    """`/agency tasks` and App Home: the open tasks, oldest first, with Done buttons."""
    if not total:
        return [ui.section(t(N_("*Portal tasks*: none open.")))]
    title = t.plural(N_("*{n} portal task open*"), N_("*{n} portal tasks open*"), total)
    blocks: list[Block] = [ui.section(title + " " + t(N_("(oldest first: do them in this order)")))]
    blocks += task_rows(t, listed[:LISTED])
    if total > len(listed[:LISTED]):
        blocks.append(ui.context(t(N_("… and {n} more."), n=total - len(listed[:LISTED]))))
    return blocks


def noted(t: Translator, uow: UnitOfWork, text: str) -> str:
    """`text` (what a reply says was done) followed by a note when the unit of work opened a portal
    task instead of calling the vendor: the reply never pretends the vendor did it."""
    if not tasks.opened(uow):
        return text
    return t(
        N_(
            "{done} — not sent to the vendor (its API does not offer it): a portal task was posted to do it there"
        ),
        done=Mrkdwn(text),  # what callers pass is the app's own rendered text
    )
