"""The local shell: the real Bolt app, driven from a terminal or a pipe, with Slack played locally.

Slash commands go through `App.dispatch` exactly as Slack's HTTP requests do; the app's Web API calls
land on `LocalSlack`, so modals it opens are filled here field by field and messages it posts to the
agency channel are printed as they are posted.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any, TextIO
from urllib.parse import urlencode

from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot import render
from bot.i18n import Translator
from bot.operations import drain_all
from bot.render import Clickable, render_message, render_view
from bot.shell.localslack import Call, LocalSlack
from bot.shell.modalfill import ModalFiller
from domain.i18n import N_
from domain.numbers import whole_number

TEAM = "T0LOCAL"
CHANNEL = "C0LOCAL"
PROMPT = "reseller> "
HELP = N_(
    "Type a slash command as in Slack (/agency help, /agency members, /quote ...).\n"
    "A number (or `click N`) presses button N of the last reply. `exit` or Ctrl-D leaves."
)


class Shell:
    def __init__(
        self, app: App, slack: LocalSlack, user_id: str, out: TextIO, interactive: bool, *, locale: str = "en"
    ) -> None:
        self.t = Translator(locale)
        """The shell's own frame text ("only you can see this", "(optional)") in the --locale language."""
        self.team = TEAM
        self.app = app
        self.slack = slack
        self.user_id = user_id
        self.out = out
        self.interactive = interactive
        self.clickables: list[Clickable] = []
        self.last_message: dict[str, Any] = {}
        self.lines: Iterator[str] = iter(())
        self.cursor = 0
        self.later: list[str] = []

    # input ----------------------------------------------------------------------------------------
    def read(self, prompt: str) -> str | None:
        if self.interactive:
            try:
                return input(prompt)
            except EOFError:
                return None
        line = next(self.lines, None)
        if line is None:
            return None
        line = line.rstrip("\n")
        self.say(f"{prompt}{line}")
        return line

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def run(self, stream: TextIO) -> int:
        if not self.interactive:
            self.lines = iter(stream)
        else:
            self.say(self.t(HELP))
        while True:
            line = self.read(PROMPT)
            if line is None:
                return 0
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line in ("exit", "quit"):
                return 0
            if line in ("help", "?"):
                self.say(self.t(HELP))
                continue
            self.handle(line)
            for text in self.later:
                self.say(text)
            self.later.clear()

    def handle(self, line: str) -> None:
        choice = line.removeprefix("click").strip()
        if (number := whole_number(choice)) is not None:
            self.click(number)
        elif line.startswith("/"):
            command, _, text = line.partition(" ")
            self.command(command, text.strip())
        else:
            self.say(
                "  "
                + self.t(N_("Slash commands start with /, like /agency help. A number presses a button."))
            )

    # Slack, played locally ------------------------------------------------------------------------
    def command(self, command: str, text: str) -> None:
        body = {
            "token": "local",
            "team_id": TEAM,
            "team_domain": "local",
            "channel_id": CHANNEL,
            "channel_name": "local",
            "user_id": self.user_id,
            "user_name": "you",
            "command": command,
            "text": text,
            "api_app_id": "A0LOCAL",
            "response_url": self.slack.response_url(uuid.uuid4().hex),
            "trigger_id": uuid.uuid4().hex,
        }
        self.dispatch(urlencode(body), "application/x-www-form-urlencoded")

    def interaction(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        return self.dispatch(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def dispatch(self, body: str, content_type: str) -> dict[str, Any] | None:
        request = BoltRequest(body=body, headers={"content-type": [content_type]})
        response = self.app.dispatch(request)
        reply: dict[str, Any] | None = None
        if response.body:
            try:
                reply = json.loads(response.body)
            except json.JSONDecodeError:
                self.say("  " + response.body)
        if response.status != 200:
            self.say("  " + self.t(N_("(the app answered HTTP {status})"), status=str(response.status)))
        if reply and "response_action" not in reply:
            self.show_message(reply, self.t(N_("reply")))
        self.follow()
        return reply

    def follow(self) -> None:
        """Show what the app did on Slack's side, each call once, waiting briefly for lazy listeners
        and for the vendor operations the app runs right after its answer."""
        drain_all(30.0)
        deadline = time.monotonic() + 3.0
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            calls = self.slack.calls[self.cursor :]
            if calls:
                self.cursor += len(calls)
                for call in calls:
                    if call.status == 200:
                        self.show_call(call)
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 0.05:
                return
            time.sleep(0.01)

    def show_call(self, call: Call) -> None:
        params = call.params
        if call.method == "response_url":
            self.show_message(params, self.t(N_("reply")))
        elif call.method == "chat.postMessage":
            self.show_message(params, self.t(N_("posted in #{channel}"), channel=str(params.get("channel"))))
        elif call.method == "chat.update":
            self.show_message(params, self.t(N_("updated in #{channel}"), channel=str(params.get("channel"))))
        elif call.method == "chat.postEphemeral":
            self.show_message(params, self.t(N_("only you can see this")))
        elif call.method in ("views.open", "views.push"):
            self.fill_modal(dict(call.response.get("view") or _view(params)))
        elif call.method == "views.update" and not _has_inputs(_view(params)):
            # A result the app shows after its answer (a vendor operation's outcome): a live update
            # of a form being filled is the filler's to show.
            # Shown after the modal the answer left on screen (the filler prints that one on return).
            self.later.append(f"── {self.t(N_('modal updated'))} ──\n" + render_view(_view(params), tag=""))
        elif call.method == "views.publish":
            home = self.t(N_("App Home"))  # outside the f-string, so Babel extracts it
            self.say(f"── {home} ──")
            self.say(render_view(_view(params), tag=""))

    def show_message(self, payload: dict[str, Any], where: str) -> None:
        rendered = render_message(payload)
        self.say(f"── {where} ──")
        self.say(rendered.text)
        if rendered.clickables:
            self.clickables = rendered.clickables
            self.last_message = payload

    def click(self, number: int) -> None:
        if not 1 <= number <= len(self.clickables):
            self.say("  " + self.t(N_("There is no button {number} in the last reply."), number=str(number)))
            return
        chosen = self.clickables[number - 1]
        action = {
            "action_id": chosen.action.get("action_id"),
            "block_id": chosen.block_id,
            "type": chosen.action.get("type"),
            "value": chosen.action.get("value"),
            "action_ts": f"{time.time():.6f}",
        }
        if "selected_option" in chosen.action:
            action["selected_option"] = chosen.action["selected_option"]
        self.interaction(
            {
                "type": "block_actions",
                "team": {"id": TEAM},
                "user": {"id": self.user_id, "team_id": TEAM},
                "api_app_id": "A0LOCAL",
                "trigger_id": uuid.uuid4().hex,
                "response_url": self.slack.response_url(uuid.uuid4().hex),
                "container": {"type": "message", "channel_id": CHANNEL, "is_ephemeral": True},
                "channel": {"id": CHANNEL},
                "message": {"ts": f"{time.time():.6f}", **self.last_message},
                "actions": [action],
            }
        )

    # modals ---------------------------------------------------------------------------------------
    def fill_modal(self, view: dict[str, Any]) -> None:
        ModalFiller(self).run(view)


def _has_inputs(view: dict[str, Any]) -> bool:
    return any(block.get("type") == "input" for block in view.get("blocks") or [])


def _view(params: dict[str, Any]) -> dict[str, Any]:
    view = params.get("view") or {}
    if isinstance(view, str):
        view = json.loads(view)
    return dict(view)


def run_shell(
    app: App, slack: LocalSlack, user_id: str, stream: TextIO | None = None, locale: str = "en"
) -> int:
    stream = stream or sys.stdin
    shell = Shell(app, slack, user_id, sys.stdout, interactive=stream.isatty(), locale=locale)
    render.ANSI["on"] = shell.interactive and sys.stdout.isatty()  # bold as bold in a terminal
    return shell.run(stream)
