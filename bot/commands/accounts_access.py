"""Client access help: `/accounts access <name> [reset|password]` and the card's Client access button.

Every answer is ephemeral, to the member who asked: a new password is in that one reply and nowhere
else (not in a channel, the database or a log).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk.models.blocks import Block

from bot import ui
from bot.answer import answer
from bot.commands.accounts_common import ports_of
from bot.context import Req, open_request
from domain import access
from domain.accounts import queries
from domain.errors import InvalidInput
from domain.i18n import N_
from domain.roles import Permission
from domain.store.models import Account

ACCESS_RESET = "accounts_access_reset"
ACCESS_PASSWORD = "accounts_access_password"  # noqa: S105 - an action id, not a secret
ACCESS_OPEN = "accounts_access_open"


def register(app: App) -> None:
    app.action(ACCESS_RESET)(on_access)
    app.action(ACCESS_PASSWORD)(on_access)
    app.action(ACCESS_OPEN)(on_access)


def lockout_note(req: Req, account: Account) -> str | None:
    until = access.locked_until(ports_of(req), account)
    if until is None:
        return None
    return req.t(
        N_(
            ":lock: The client is locked out: the provider locks a login for {minutes} minutes after {attempts} "
            "failed attempts. It unlocks at {when}, or set a new password now."
        ),
        minutes=access.LOCKOUT_MINUTES,
        attempts=access.LOCKOUT_ATTEMPTS,
        when=until,
    )


def access_reply(req: Req, words: list[str]) -> dict[str, Any]:
    if not words or len(words) > 2:
        raise InvalidInput(N_("Write it as `/accounts access acme-shop`, adding `reset` or `password`."))
    name, what = words[0], (words[1].lower() if len(words) == 2 else "")
    if what not in ("", "reset", "password"):
        raise InvalidInput(N_("{word} is not an access action: use reset or password."), word=words[1])
    return access_action(req, name, what)


def access_action(req: Req, name: str, what: str) -> dict[str, Any]:
    t = req.t
    ports = ports_of(req)
    with req.deps.uow() as uow:
        if what in ("reset", "password"):
            helped = (access.send_reset if what == "reset" else access.set_password)(
                uow, ports, req.actor, name
            )
            if helped.task is not None:
                return ui.notice(_reset_task_text(req, helped))
        if what == "reset":
            return ui.notice(
                t(
                    N_(":email: The provider sent a password reset email for {name} to {email}."),
                    name=helped.name,
                    email=helped.email,
                )
            )
        if what == "password":
            text = t(
                N_(
                    ":key: New password for the client of {name}: `{password}`\nShown once, to you only: it is not "
                    "kept and cannot be shown again. Give it to the client privately."
                ),
                name=helped.name,
                password=helped.password or "",
            )
            return ui.message(t(N_("New password for {name}"), name=helped.name), [ui.section(text)])
        req.actor.require(Permission.MANAGE_ACCOUNTS)
        account = queries.by_name(uow.session, req.actor.agency_id, name)
        note = lockout_note(req, account) or t(N_("The client is not locked out."))
        intro = t(
            N_(
                "Help the client of *{name}* ({email}) sign in: a reset email goes to the client; a new password is shown to you once."
            ),
            name=account.name,
            email=account.client_email,
        )
        account_name = account.name
    blocks: list[Block] = [
        ui.section(intro),
        ui.context(note),
        ui.actions(
            ui.button(t(N_("Send reset email")), ACCESS_RESET, account_name),
            ui.button(t(N_("Set a new password")), ACCESS_PASSWORD, account_name, style="danger"),
        ),
    ]
    return ui.message(t(N_("Client access for {name}"), name=account_name), blocks)


def _reset_task_text(req: Req, helped: access.Helped) -> str:
    """No password help in the vendor's API: no password was made, a portal task asks for a reset."""
    return req.t(
        N_(
            ":clipboard: The vendor's API offers no password help, so nothing was sent and no password was "
            "made: a portal task was posted to the agency channel to send the client of {name} a password "
            "reset (to {email}) from the vendor's partner portal."
        ),
        name=helped.name,
        email=helped.email,
    )


def on_access(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Card and overview buttons; the answer goes to the clicker only (ephemeral), never to the channel."""
    ack()
    req = open_request(context, body)
    context["translator"] = req.t
    action = ui.action(body)
    what = {ACCESS_RESET: "reset", ACCESS_PASSWORD: "password"}.get(str(action.get("action_id")), "")
    answer(context, body, access_action(req, ui.action_value(body), what))
