"""A stand-in for Slack's Web API on 127.0.0.1, used by the local shell and by the tests.

It answers the methods the app calls (`views.open`, `chat.postMessage`, `users.info`, ...) the way
Slack does, records every call and every `response_url` post, and can answer 429 or 500 on demand (or
carry a call out and drop the connection before answering) so retry paths are exercised for real.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any
from urllib.parse import parse_qsl

from bot.shell.webapi import WebApi


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    token: str = ""
    """The token the call was made with (`Authorization: Bearer …`, or a `token` parameter)."""


DROPPED = 0
"""A failure `status` meaning: the call is carried out, then the connection closes unanswered."""


@dataclass
class Failure:
    method: str | None
    status: int
    retry_after: int = 1
    remaining: int = 1
    carried_out: bool = False
    """Slack did the work before it failed (a 500 after the message was posted)."""


class LocalSlack(WebApi):
    """Start with `start()`; `api_url` goes into SLACK_API_URL; `response_url(token)` for payloads."""

    def __init__(
        self,
        user_locales: dict[str, str] | None = None,
        default_locale: str = "en-US",
        team: str = "T0TEST",
    ) -> None:
        self.team = team
        """The workspace of every token not in `workspaces` (`auth.test` answers it)."""
        self.workspaces: dict[str, dict[str, Any]] = {}
        """Tokens of installed workspaces (`install`): what `auth.test` answers for each."""
        self.grants: dict[str, dict[str, Any]] = {}
        """OAuth codes waiting for `oauth.v2.access`: Slack's answer for each (`grant`)."""
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.fail_every: int = 0
        self.user_locales = dict(user_locales or {})
        self.history: dict[str, list[dict[str, Any]]] = {}
        self.uploads: dict[str, str] = {}
        """File contents sent to an upload URL of `files.getUploadURLExternal`, by file id."""
        self.default_locale = default_locale
        self.listeners: list[Callable[[Call], None]] = []
        self._lock = threading.Lock()
        self._ids = count(1)
        self._request_count = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # life cycle -----------------------------------------------------------------------------------
    def start(self) -> LocalSlack:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                owner._handle(self, raw)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="local-slack"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, key: str = "r") -> str:
        return f"{self.base_url}/respond/{key}"

    # test controls --------------------------------------------------------------------------------
    def fail_next(
        self,
        status: int,
        *,
        method: str | None = None,
        times: int = 1,
        retry_after: int = 1,
        carried_out: bool = False,
    ) -> None:
        with self._lock:
            self.failures.append(Failure(method, status, retry_after, times, carried_out))

    def grant(
        self,
        code: str,
        team: str,
        installer: str,
        *,
        enterprise: str | None = None,
        org_wide: bool = False,
        scopes: str = "commands,chat:write",
    ) -> str:
        """Approve an install as Slack does when someone clicks Allow: `oauth.v2.access` with `code`
        answers a new bot token for `team` (or for the organisation, org-wide); returns the token."""
        token = f"xoxb-{enterprise or 'E0'}-{team}-{len(self.workspaces) + 1}"
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": "A0RESELLER",
            "authed_user": {"id": installer},
            "scope": scopes,
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": "U0BOT",
            "team": None if org_wide else {"id": team, "name": f"Team {team}"},
            "enterprise": {"id": enterprise, "name": f"Org {enterprise}"} if enterprise else None,
            "is_enterprise_install": org_wide,
        }
        with self._lock:
            self.grants[code] = answer
        self.install(token, None if org_wide else team, enterprise=enterprise, org_wide=org_wide)
        return token

    def install(
        self, token: str, team: str | None, *, enterprise: str | None = None, org_wide: bool = False
    ) -> None:
        """Make `token` a bot token of `team` (or of the organisation `enterprise`) for `auth.test`."""
        with self._lock:
            self.workspaces[token] = {
                "team_id": team,
                "enterprise_id": enterprise,
                "is_enterprise_install": org_wide,
            }

    def revoke(self, token: str) -> None:
        """The token stops working: every call made with it answers `token_revoked`."""
        with self._lock:
            self.workspaces[token] = {"revoked": True}

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()
            self.failures.clear()
            self.fail_every = 0
            self.history.clear()
            self.uploads.clear()
            self.workspaces.clear()
            self.grants.clear()
            self.team = "T0TEST"

    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and c.status == 200]

    def since(self, index: int) -> list[Call]:
        with self._lock:
            return [c for c in self.calls[index:] if c.status == 200]

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    # serving --------------------------------------------------------------------------------------
    def _handle(self, handler: BaseHTTPRequestHandler, raw: str) -> None:
        path = handler.path.split("?")[0]
        if path.startswith("/upload/"):
            with self._lock:
                self.uploads[path.removeprefix("/upload/")] = raw
            self._reply(handler, 200, {"ok": True})
            return
        params = _decode(raw, handler.headers.get("Content-Type") or "")
        bearer = str(handler.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        token = bearer or str(params.get("token") or "")
        if path.startswith("/respond/"):
            method = "response_url"
        elif path.startswith("/api/"):
            method = path.removeprefix("/api/")
        else:
            self._reply(handler, 404, {"ok": False, "error": "unknown_path"})
            return
        with self._lock:
            revoked = bool(self.workspaces.get(token, {}).get("revoked"))
        if revoked and method != "response_url":
            with self._lock:
                self.calls.append(
                    Call(method, params, 200, {"ok": False, "error": "token_revoked"}, token=token)
                )
            self._reply(handler, 200, {"ok": False, "error": "token_revoked"})
            return
        failure = self._take_failure(method)
        if failure is not None and failure.status == DROPPED:
            # Slack took the call, but the answer never reaches the caller (a reset connection).
            call = Call(method, params, 200, self._answer(method, params, token), token=token)
            with self._lock:
                self.calls.append(call)
            handler.close_connection = True
            return
        if failure is not None:
            if failure.carried_out:
                done = Call(method, params, 200, self._answer(method, params, token), token=token)
                with self._lock:
                    self.calls.append(done)
            with self._lock:
                self.calls.append(Call(method, params, failure.status, token=token))
            headers = {"Retry-After": str(failure.retry_after)} if failure.status == 429 else {}
            body = {"ok": False, "error": "ratelimited" if failure.status == 429 else "internal_error"}
            self._reply(handler, failure.status, body, headers)
            return
        call = Call(method, params, 200, self._answer(method, params, token), token=token)
        with self._lock:
            self.calls.append(call)
        for listener in list(self.listeners):
            listener(call)
        self._reply(handler, 200, call.response)

    def _take_failure(self, method: str) -> Failure | None:
        with self._lock:
            self._request_count += 1
            if self.fail_every and self._request_count % self.fail_every == 0 and method != "users.info":
                return Failure(method, 500 if self._request_count % 2 else 429, 0, 1)
            for failure in self.failures:
                if failure.method in (None, method) and failure.remaining > 0:
                    failure.remaining -= 1
                    if failure.remaining == 0:
                        self.failures.remove(failure)
                    return failure
        return None

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)


def _decode(raw: str, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            return {"_raw": raw}
        return data if isinstance(data, dict) else {"_raw": data}
    params: dict[str, Any] = dict(parse_qsl(raw, keep_blank_values=True))
    for key in ("view", "blocks", "attachments"):
        if isinstance(params.get(key), str):
            with contextlib.suppress(json.JSONDecodeError):
                params[key] = json.loads(params[key])
    return params
