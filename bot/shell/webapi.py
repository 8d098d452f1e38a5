"""What the Slack stand-in (`bot.shell.localslack`) answers to each Web API method the app calls,
the way Slack answers it: views get an id and a hash, posts a `ts` and a place in the channel's
history, `auth.test` the token's workspace, `oauth.v2.access` the install approved by `grant`.

A mixin of `LocalSlack`, apart from its HTTP serving and test controls so each reads on its own; it
works on `LocalSlack`'s state, under its lock, and declares here what it reads of it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any


class WebApi:
    team: str
    workspaces: dict[str, dict[str, Any]]
    grants: dict[str, dict[str, Any]]
    history: dict[str, list[dict[str, Any]]]
    user_locales: dict[str, str]
    default_locale: str
    _lock: threading.Lock
    _ids: Iterator[int]

    @property
    def base_url(self) -> str:
        """Where the stand-in listens (`LocalSlack.start`): upload URLs point there."""
        raise NotImplementedError

    def _answer(self, method: str, params: dict[str, Any], token: str = "") -> dict[str, Any]:
        n = next(self._ids)
        if method == "response_url":
            return {"ok": True}
        if method == "auth.test":
            with self._lock:
                known = self.workspaces.get(token)
            workspace = known or {"team_id": self.team, "enterprise_id": None, "is_enterprise_install": False}
            return {
                "ok": True,
                "user_id": "U0BOT",
                "bot_id": "B0BOT",
                "url": "https://local.slack/",
                **workspace,
            }
        if method == "oauth.v2.access":
            with self._lock:
                answer = self.grants.pop(str(params.get("code") or ""), None)
            return answer or {"ok": False, "error": "invalid_code"}
        if method in ("views.open", "views.push", "views.update", "views.publish"):
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else (view or {})
            view_id = params.get("view_id") or f"V{n:08d}"
            return {"ok": True, "view": {**view, "id": view_id, "hash": f"h{n}", "state": {"values": {}}}}
        if method == "chat.postMessage":
            ts = f"{time.time():.6f}"
            metadata = params.get("metadata")
            if isinstance(metadata, str):
                with contextlib.suppress(json.JSONDecodeError):
                    metadata = json.loads(metadata)
            with self._lock:
                self.history.setdefault(str(params.get("channel")), []).append(
                    {"ts": ts, "text": params.get("text"), "metadata": metadata or {}}
                )
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": ts,
                "message": {"text": params.get("text")},
            }
        if method == "conversations.history":
            oldest = float(params.get("oldest") or 0)
            with self._lock:
                posted = list(self.history.get(str(params.get("channel")), []))
            messages = [m for m in reversed(posted) if float(m["ts"]) >= oldest]
            return {"ok": True, "messages": messages[: int(params.get("limit") or 100)], "has_more": False}
        if method == "chat.update":
            ts = params.get("ts") or f"{time.time():.6f}"
            return {
                "ok": True,
                "channel": params.get("channel"),
                "ts": ts,
                "message": {"text": params.get("text")},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{time.time():.6f}"}
        if method == "users.info":
            user = str(params.get("user", ""))
            locale = self.user_locales.get(user, self.default_locale)
            return {"ok": True, "user": {"id": user, "name": user.lower(), "locale": locale}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{n:08d}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.base_url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = params.get("files")
            files = json.loads(files) if isinstance(files, str) else (files or [])
            return {"ok": True, "files": files}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": f"D{params.get('users', '')}"}}
        if method == "conversations.info":
            channel = str(params.get("channel", ""))
            return {"ok": True, "channel": {"id": channel, "name": channel.lower()}}
        return {"ok": True}
