"""Filling a modal in the local shell: one prompt per input, selects as numbered options.

In pipe mode each input takes the next line; an empty line keeps the field's initial value (or
leaves an optional field empty). Inputs that Slack would dispatch on change (`dispatch_action`) are
sent as block actions, so modals that update live behave as they do in Slack.

What the app reads back is `view.state` as Slack sends it: every input of the view, the ones not
answered (yet) with the value the app rendered in them (`initial_value`, `initial_option(s)`,
`initial_date`, `initial_user`, …), never a partial state that would make the app fall back to its
defaults (an annual account's Edit modal read as monthly because its frequency was not asked yet).
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Protocol

from bot.i18n import Translator
from bot.render import mrkdwn, render_blocks, render_view
from bot.shell.localslack import LocalSlack
from domain.i18n import N_
from domain.numbers import whole_number


class ShellSide(Protocol):
    """What filling a modal needs from the shell (`bot.shell.repl.Shell`): its terminal, its Slack
    stand-in and its way into the app. Named here so this module does not import the shell, which
    imports it."""

    t: Translator
    team: str
    user_id: str
    interactive: bool
    slack: LocalSlack

    def read(self, prompt: str) -> str | None: ...

    def say(self, text: str) -> None: ...

    def interaction(self, payload: dict[str, Any]) -> dict[str, Any] | None: ...


STATE_KEYS: dict[str, tuple[str, str]] = {
    "plain_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "static_select": ("selected_option", "initial_option"),
    "external_select": ("selected_option", "initial_option"),
    "radio_buttons": ("selected_option", "initial_option"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
    "users_select": ("selected_user", "initial_user"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "channels_select": ("selected_channel", "initial_channel"),
    "checkboxes": ("selected_options", "initial_options"),
    "multi_static_select": ("selected_options", "initial_options"),
    "multi_external_select": ("selected_options", "initial_options"),
    "multi_users_select": ("selected_users", "initial_users"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
    "rich_text_input": ("rich_text_value", "initial_value"),
}
"""Each input element's key in `view.state`, and the element field Slack copies there untouched."""
TEXT_INPUTS = {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
SINGLE_SELECTS = {"static_select", "radio_buttons"}
MULTI_SELECTS = {"multi_static_select", "checkboxes"}


def _label(obj: Any) -> str:
    return mrkdwn(str(obj.get("text", ""))) if isinstance(obj, dict) else str(obj or "")


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def untouched_state(element: dict[str, Any]) -> dict[str, Any]:
    """An input's state as Slack reports it when nobody changed it: what the app rendered in it, or
    empty (`null`, `[]` for the multi-selects)."""
    kind = str(element.get("type") or "plain_text_input")
    key, initial = STATE_KEYS.get(kind, ("value", "initial_value"))
    empty: Any = [] if key.startswith("selected_") and key.endswith("s") else None
    return {"type": kind, key: element.get(initial, empty)}


def view_state(view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """`view.state` as Slack sends it: every input block (and every stateful element of an actions
    block) with what was rendered, overridden by what was answered in `values`."""
    state: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks") or []:
        block_id = str(block.get("block_id") or "")
        if not block_id:
            continue
        if block.get("type") == "input":
            element = block.get("element") or {}
            state[block_id] = {str(element.get("action_id") or "value"): untouched_state(element)}
        elif block.get("type") == "actions":
            for element in block.get("elements") or []:
                if element.get("type") in STATE_KEYS:
                    state.setdefault(block_id, {})[str(element.get("action_id"))] = untouched_state(element)
    for block_id, answered in values.items():
        state[block_id] = {**state.get(block_id, {}), **answered}
    return {"values": state}


class ModalFiller:
    def __init__(self, shell: ShellSide) -> None:
        self.shell = shell

    def run(self, view: dict[str, Any] | None) -> None:
        values: dict[str, dict[str, Any]] = {}
        while view is not None:
            t = self.shell.t
            self.shell.say(render_view(view, tag=t(N_("(modal)")), optional_tag=t(N_("(optional)"))))
            view = self.fill(view, values)

    def fill(self, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        for block in view.get("blocks") or []:
            if block.get("type") != "input" or block.get("block_id") in values:
                continue
            element = block.get("element") or {}
            state = self.ask(block, element)
            if state is None:
                return None
            values[block["block_id"]] = {element.get("action_id", "value"): state}
            if block.get("dispatch_action") and self._changed(element, state):
                updated = self.dispatch_action(view, values, block, element, state)
                if updated is not None:
                    self.shell.say(render_update(updated, self.shell.t(N_("modal updated"))))
                    return self.fill(updated, values)
        if not view.get("submit"):
            return None
        return self.submit(view, values)

    # one field --------------------------------------------------------------------------------------
    def ask(self, block: dict[str, Any], element: dict[str, Any]) -> dict[str, Any] | None:
        kind = element.get("type", "")
        label = _label(block.get("label"))
        optional = bool(block.get("optional"))
        options = _options(element)
        if kind in SINGLE_SELECTS | MULTI_SELECTS:
            for index, opt in enumerate(options, 1):
                self.shell.say(f"      {index}. {_label(opt.get('text'))}")
        initial = self._initial(element)
        hint = f" [{initial}]" if initial else (" " + self.shell.t(N_("(optional)")) if optional else "")
        while True:
            answer = self.shell.read(f"  {label}{hint}: ")
            if answer is None:
                self.shell.say("  " + self.shell.t(N_("(modal closed)")))
                return None
            answer = answer.strip()
            state = self._state(kind, element, answer, options)
            if state is not None or optional:
                return state or untouched_state(element)
            if not self.shell.interactive:
                return untouched_state(element)
            self.shell.say("  " + self.shell.t(N_("Please answer this one (or Ctrl-D to close the modal).")))

    @staticmethod
    def _changed(element: dict[str, Any], state: dict[str, Any]) -> bool:
        """Slack dispatches on change only: keeping the shown default sends nothing."""
        kind = str(element.get("type") or state.get("type") or "")
        key, initial = STATE_KEYS.get(kind, ("value", "initial_value"))
        now, before = state.get(key), element.get(initial)
        if key == "selected_option":
            return isinstance(now, dict) and now.get("value") != (before or {}).get("value")
        if key == "selected_options":
            return {o.get("value") for o in now or []} != {o.get("value") for o in before or []}
        return str(now or "") != str(before or "")

    @staticmethod
    def _initial(element: dict[str, Any]) -> str:
        for key in (
            "initial_value",
            "initial_conversation",
            "initial_channel",
            "initial_user",
            "initial_date",
        ):
            if element.get(key):
                return str(element[key])
        if isinstance(element.get("initial_option"), dict):
            return _label(element["initial_option"].get("text"))
        chosen = [o for o in element.get("initial_options") or [] if isinstance(o, dict)]
        return ", ".join(_label(o.get("text")) for o in chosen)

    @staticmethod
    def _state(
        kind: str, element: dict[str, Any], answer: str, options: list[dict[str, Any]]
    ) -> dict[str, Any] | None:
        if kind in TEXT_INPUTS:
            value = answer or element.get("initial_value")
            return {"type": kind, "value": value} if value else None
        if kind in SINGLE_SELECTS:
            chosen = _pick(answer, options) if answer else element.get("initial_option")
            return {"type": kind, "selected_option": chosen} if chosen else None
        if kind in MULTI_SELECTS:
            picks = [_pick(part.strip(), options) for part in answer.split(",") if part.strip()]
            chosen_list = [p for p in picks if p] or list(element.get("initial_options") or [])
            return {"type": kind, "selected_options": chosen_list} if chosen_list or not answer else None
        keys = {
            "conversations_select": ("selected_conversation", "initial_conversation"),
            "channels_select": ("selected_channel", "initial_channel"),
            "users_select": ("selected_user", "initial_user"),
            "datepicker": ("selected_date", "initial_date"),
        }
        if kind in keys:
            key, initial_key = keys[kind]
            value = answer.lstrip("#@") or element.get(initial_key)
            return {"type": kind, key: value} if value else None
        return {"type": kind, "value": answer} if answer else None

    # talking to the app -------------------------------------------------------------------------------
    def _payload(self, kind: str, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {
            "type": kind,
            "team": {"id": self.shell.team},
            "user": {"id": self.shell.user_id, "team_id": self.shell.team},
            "api_app_id": "A0LOCAL",
            "trigger_id": uuid.uuid4().hex,
            "view": {**view, "state": view_state(view, values)},
        }

    def dispatch_action(
        self,
        view: dict[str, Any],
        values: dict[str, dict[str, Any]],
        block: dict[str, Any],
        element: dict[str, Any],
        state: dict[str, Any],
    ) -> dict[str, Any] | None:
        payload = self._payload("block_actions", view, values)
        payload["container"] = {"type": "view", "view_id": view.get("id")}
        payload["actions"] = [
            {
                "action_id": element.get("action_id"),
                "block_id": block.get("block_id"),
                "action_ts": f"{time.time():.6f}",
                **state,
            }
        ]
        mark = self.shell.slack.mark()
        self.shell.interaction(payload)
        for call in self.shell.slack.since(mark):
            if call.method == "views.update":
                return dict(call.response.get("view") or {})
        return None

    def submit(self, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        payload = self._payload("view_submission", view, values)
        payload["response_urls"] = []
        reply = self.shell.interaction(payload) or {}
        action = reply.get("response_action")
        if action == "errors":
            labels = {b.get("block_id"): _label(b.get("label")) for b in view.get("blocks") or []}
            for block_id, error in (reply.get("errors") or {}).items():
                self.shell.say(f"  ✗ {labels.get(block_id) or block_id}: {error}")
                values.pop(block_id, None)
            if self.shell.interactive:
                return view
            self.shell.say("  " + self.shell.t(N_("(modal not submitted)")))
            return None
        if action in ("update", "push"):
            values.clear()
            return dict(reply.get("view") or {})
        return None


def _pick(answer: str, options: list[dict[str, Any]]) -> dict[str, Any] | None:
    number = whole_number(answer, maximum=len(options))
    if number:
        return options[number - 1]
    lowered = answer.lower()
    for opt in options:
        if lowered in (str(opt.get("value", "")).lower(), _label(opt.get("text")).lower()):
            return opt
    return None


def render_update(view: dict[str, Any], said: str = "modal updated") -> str:
    """After a live update only what the modal computes is shown again, not every field."""
    shown = [b for b in view.get("blocks") or [] if b.get("type") != "input"]
    return f"  ↻ {said}\n" + render_blocks(shown).text
