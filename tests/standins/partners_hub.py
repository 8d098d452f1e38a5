"""A stand-in of ActiveCampaign's Partners Hub API: a threaded HTTP server on 127.0.0.1, in memory.

Every path of `tests/data/partners-api.json` is served. Every request is first checked against the
document's request schema (`openapi_check`): a request that breaks it gets the document's 422
(`ApiErrorResponse` with `violations`) and is kept in `hub.violations`, which the `partners_hub`
fixture asserts is empty at the end of each test (set `hub.allow_violations = True` in a test that
sends bad requests on purpose). Then the `api-key` header is checked (401 `{error, message}`).

Answers are the document's: an empty 200 on account creation, an empty 201 on snapshot creation,
`{hosted_accounts, pagination}` lists, `ApiErrorResponse` 400/404/422/429/5xx, `Retry-After` on 429.

Knobs for tests:
- `seed(n)`: n existing accounts (`seed-00001` …, ids from 1);
- `delay`: seconds every request waits in the server thread before answering;
- `fail_next(n, status, retry_after=, violations=)`: the next n requests answer `status` instead;
- `hang_next(n, seconds)`: the next n requests wait `seconds` (longer than the client's timeout)
  and then answer 503 without doing anything;
- `requests`: every request (method, path, query pairs, JSON body); with the environment variable
  `PARTNERS_HUB_RECORD` naming a file, each is also appended there as a JSON line (`.ci/run` checks
  them against ../shared's document). A hub with `allow_violations=True` (a test of the stand-in
  itself, sending bad requests on purpose) records nothing there.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.standins.openapi_check import DOCUMENT, Problem, checker

API_KEY = "test-partner-key-0123456789"
LANGUAGES = {
    "english": "English",
    "french": "Français",
    "italian": "Italiano",
    "german": "Deutsch",
    "spanish": "Español",
    "dutch": "Nederlands",
    "polish": "Polski",
    "portuguese": "Português",
}
TIMEZONES = {
    "UTC": "UTC",
    "Europe/Paris": "(GMT+01:00) Paris",
    "Europe/Rome": "(GMT+01:00) Rome",
    "Europe/London": "(GMT+00:00) London",
    "Europe/Amsterdam": "(GMT+01:00) Amsterdam",
    "America/New_York": "(GMT-05:00) New York",
    "America/Chicago": "(GMT-06:00) Chicago",
    "America/Los_Angeles": "(GMT-08:00) Los Angeles",
    "Asia/Tokyo": "(GMT+09:00) Tokyo",
}
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: list[tuple[str, str]]
    body: Any
    api_key_sent: bool

    def as_json(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "query": self.query, "json": self.body}


@dataclass
class _Failure:
    status: int
    retry_after: float | None = None
    violations: list[dict[str, Any]] | None = None
    method: str | None = None
    path: str | None = None

    def applies(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or self.path == path)


@dataclass
class PartnersHub:
    document: Path = DOCUMENT
    api_key: str = API_KEY
    delay: float = 0.0
    allow_violations: bool = False
    accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    snapshots: dict[int, dict[str, Any]] = field(default_factory=dict)
    cloning: list[dict[str, Any]] = field(default_factory=list)
    languages: dict[str, str] = field(default_factory=lambda: dict(LANGUAGES))
    timezones: dict[str, str] = field(default_factory=lambda: dict(TIMEZONES))
    requests: list[Recorded] = field(default_factory=list)
    violations: list[tuple[str, Problem]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._failures: list[_Failure] = []
        self._hangs: list[_Failure] = []
        self._next_id = 1
        self._next_snapshot = 1
        self._checker = checker(self.document)
        self._server: ThreadingHTTPServer | None = None
        self._record = os.environ.get("PARTNERS_HUB_RECORD") or None

    # -- life --------------------------------------------------------------------------------------

    def start(self) -> PartnersHub:
        hub = self

        class Handler(_Handler):
            pass

        Handler.hub = hub
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        server = self._server
        threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.02), name="partners-hub", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the hub first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    # -- knobs -------------------------------------------------------------------------------------

    def seed(self, count: int, prefix: str = "seed") -> list[int]:
        with self._lock:
            made = [self.add_account(f"{prefix}-{self._next_id:05d}") for _ in range(count)]
        return made

    def add_account(self, account_name: str, email: str = "", request: dict[str, Any] | None = None) -> int:
        with self._lock:
            number = self._next_id
            self._next_id += 1
            when = (EPOCH + timedelta(minutes=number)).isoformat()
            self.accounts[number] = {
                "id": number,
                "reseller_id": 7,
                "account_name": account_name,
                "created_at": when,
                "updated_at": when,
                "email": email or f"owner{number}@client.example",
                "archived": False,
                "request": request or {},
            }
            return number

    def fail_next(
        self,
        count: int,
        status: int,
        *,
        retry_after: float | None = None,
        violations: list[dict[str, Any]] | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """The next `count` requests (of `method` on `path` when given) answer `status`."""
        with self._lock:
            self._failures += [_Failure(status, retry_after, violations, method, path) for _ in range(count)]

    def hang_next(
        self, count: int, seconds: float, *, method: str | None = None, path: str | None = None
    ) -> None:
        """The next `count` requests (of `method` on `path` when given) wait `seconds`, then 503."""
        with self._lock:
            self._hangs += [_Failure(503, seconds, None, method, path) for _ in range(count)]

    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path == path)
            ]

    def by_name(self, account_name: str) -> dict[str, Any] | None:
        with self._lock:
            return next((a for a in self.accounts.values() if a["account_name"] == account_name), None)

    # -- one request ---------------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        parts = urlsplit(target)
        path, query = parts.path, parse_qsl(parts.query, keep_blank_values=True)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self._remember(Recorded(method, path, query, body, "api-key" in headers))
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            hang = next((h for h in self._hangs if h.applies(method, path)), None)
            if hang is not None:
                self._hangs.remove(hang)
        if hang is not None:
            time.sleep(hang.retry_after or 0)
            return _error(503, "Service Unavailable")
        problems = self._checker.check(method, path, query, raw or None, headers.get("content-type", ""))
        if problems:
            with self._lock:
                self.violations += [(f"{method} {path}", p) for p in problems]
            if any(not p.field and "not in the document" in p.message for p in problems):
                return _error(404, "Not Found")
            return _invalid([{"propertyPath": p.field, "title": p.message} for p in problems])
        if headers.get("api-key") != self.api_key:
            return 401, {"error": "Unauthorized", "message": "Invalid credentials"}, {}
        with self._lock:
            failure = next((f for f in self._failures if f.applies(method, path)), None)
            if failure is not None:
                self._failures.remove(failure)
        if failure is not None:
            return _failed(failure)
        params = dict(query)
        with self._lock:
            return self._route(method, path, params, body)

    def _remember(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)
            if self._record and not self.allow_violations:
                with Path(self._record).open("a", encoding="utf-8") as out:
                    out.write(json.dumps(recorded.as_json()) + "\n")

    def _route(
        self, method: str, path: str, params: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if path == "/api/child-accounts/v1/":
            return self._list_accounts(params) if method == "GET" else self._create_account(body)
        if path == "/api/child-accounts/v1/snapshots":
            return self._snapshot_sources(params)
        if path == "/api/child-account-snapshots/v1/status":
            return self._cloning_status(params)
        if path == "/api/child-account-snapshots/v1/":
            return self._list_snapshots(params) if method == "GET" else self._create_snapshot(body)
        if path.startswith("/api/child-account-snapshots/v1/"):
            return self._delete_snapshot(int(path.rsplit("/", 1)[1]))
        if path == "/api/locales/v1/catalogs":
            return 200, {"languages": self.languages, "timezones": self.timezones}, {}
        return _error(404, "Not Found")

    def _list_accounts(self, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        chosen = list(self.accounts.values())
        if params.get("search"):
            needle = params["search"].casefold()
            chosen = [a for a in chosen if needle in a["account_name"].casefold()]
        if params.get("id"):
            chosen = [a for a in chosen if a["id"] == int(params["id"])]
        if params.get("is_archived") in ("true", "false"):
            chosen = [a for a in chosen if a["archived"] == (params["is_archived"] == "true")]
        key = params.get("sort_by", "updated_at")
        chosen.sort(key=lambda a: (a[key], a["id"]), reverse=params.get("sort_direction", "desc") == "desc")
        page, limit = int(params.get("page", 1)), int(params.get("limit", 20))
        shown = chosen[(page - 1) * limit : page * limit]
        fields = ("id", "reseller_id", "account_name", "created_at", "updated_at")
        return (
            200,
            {
                "hosted_accounts": [{k: a[k] for k in fields} for a in shown],
                "pagination": {
                    "total": len(chosen),
                    "page": page,
                    "limit": limit,
                    "total_pages": math.ceil(len(chosen) / limit),
                },
            },
            {},
        )

    def _create_account(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if self.by_name(body["account_name"]) is not None:
            return _invalid(
                [{"propertyPath": "account_name", "title": "This account name is already taken."}]
            )
        if body.get("language") and body["language"] not in self.languages:
            return _invalid(
                [{"propertyPath": "language", "title": "The value you selected is not a valid choice."}]
            )
        if body.get("timezone") and body["timezone"] not in self.timezones:
            return _invalid(
                [{"propertyPath": "timezone", "title": "The value you selected is not a valid choice."}]
            )
        snapshot = body.get("snapshot_id")
        if snapshot is not None and snapshot not in self.snapshots:
            return _invalid([{"propertyPath": "snapshot_id", "title": "This snapshot does not exist."}])
        number = self.add_account(body["account_name"], email=body["email"], request=body)
        if snapshot is not None:
            source = self.snapshots[snapshot]["source_account_id"]
            when = self.accounts[number]["created_at"]
            self.cloning.append(
                {
                    "id": f"01934e8a-0000-7000-8000-{number:012d}",
                    "workflow_id": f"workflow-{number}",
                    "reseller_id": 7,
                    "target_account": body["account_name"],
                    "source_account": self.accounts[source]["account_name"],
                    "target_account_id": number,
                    "source_account_id": source,
                    "started_at": when,
                    "updated_at": when,
                    "status": "in_progress",  # no `error_message`: null is no string in OpenAPI 3.1
                    "snapshot_id": snapshot,
                }
            )
        return 200, None, {}

    def _snapshot_sources(self, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        needle = params.get("search", "").casefold()
        return (
            200,
            {
                "accounts": [
                    {"id": a["id"], "account_name": a["account_name"], "email": a["email"]}
                    for a in self.accounts.values()
                    if needle in a["account_name"].casefold()
                ]
            },
            {},
        )

    def _list_snapshots(self, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        chosen = sorted(self.snapshots.values(), key=lambda s: s["id"])
        if params.get("name"):
            chosen = [s for s in chosen if params["name"].casefold() in s["name"].casefold()]
        start = int(params.get("next_cursor") or 0)
        limit = int(params.get("limit", 25))
        shown = chosen[start : start + limit]
        more = start + limit < len(chosen)
        return 200, {"snapshots": shown, "next_cursor": str(start + limit) if more else ""}, {}

    def _create_snapshot(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if body["account_id"] not in self.accounts:
            return _error(404, "Not Found")
        number = self._next_snapshot
        self._next_snapshot += 1
        when = (EPOCH + timedelta(hours=number)).isoformat()
        self.snapshots[number] = {
            "id": number,
            "source_account_id": body["account_id"],
            "status": "success",
            "creation_status": "success",
            "name": body["name"],
            "created_at": when,
            "completed_at": when,
        }
        return 201, None, {}

    def _delete_snapshot(self, number: int) -> tuple[int, Any, dict[str, str]]:
        if self.snapshots.pop(number, None) is None:
            return _error(404, "Not Found")
        return 200, None, {}

    def _cloning_status(self, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        chosen = self.cloning
        if params.get("status"):
            wanted = set(params["status"].split(","))
            chosen = [c for c in chosen if c["status"] in wanted]
        page, per_page = int(params.get("page", 1)), int(params.get("per_page", 20))
        return (
            200,
            {
                "items": chosen[(page - 1) * per_page : page * per_page],
                "pagination": {
                    "total": len(chosen),
                    "page": page,
                    "per_page": per_page,
                    "total_pages": math.ceil(len(chosen) / per_page),
                },
            },
            {},
        )


def _error(status: int, detail: str) -> tuple[int, Any, dict[str, str]]:
    return (
        status,
        {
            "type": "https://tools.ietf.org/html/rfc2616#section-10",
            "title": "An error occurred",
            "status": status,
            "detail": detail,
        },
        {},
    )


def _invalid(violations: list[dict[str, Any]]) -> tuple[int, Any, dict[str, str]]:
    # `parameters` as a list: the document's schema (a oneOf whose branches both match any object)
    # accepts no object there, not even the one of its own example.
    full = [{"template": v["title"], "parameters": [], **v} for v in violations]
    detail = "; ".join(f"{v['propertyPath']}: {v['title']}" for v in full)
    return (
        422,
        {
            "type": "https://symfony.com/errors/validation",
            "title": "Validation Failed",
            "status": 422,
            "detail": detail,
            "violations": full,
        },
        {},
    )


def _failed(failure: _Failure) -> tuple[int, Any, dict[str, str]]:
    if failure.status == 401:
        return 401, {"error": "Unauthorized", "message": "Invalid credentials"}, {}
    if failure.status == 422:
        return _invalid(
            failure.violations or [{"propertyPath": "account_name", "title": "This value is not valid."}]
        )
    status, body, headers = _error(
        failure.status, {429: "Too Many Requests"}.get(failure.status, "Stand-in failure")
    )
    if failure.retry_after is not None:
        headers = {"Retry-After": f"{failure.retry_after:g}"}
    return status, body, headers


class _Handler(BaseHTTPRequestHandler):
    hub: PartnersHub
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, body, extra = self.hub.handle(self.command, self.path, headers, raw)
        except Exception:  # a bug of the stand-in: a 500 and a failed test, never a dropped line
            with self.hub._lock:
                self.hub.violations.append(("stand-in crash", Problem("", traceback.format_exc())))
            status, body, extra = _error(500, "Stand-in failure")
        payload = b"" if body is None else json.dumps(body).encode()
        where = urlsplit(self.path).path
        wrong = self.hub._checker.check_answer(self.command, where, status, payload) if payload else []
        if wrong:
            with self.hub._lock:
                self.hub.violations += [(f"answer {self.command} {where}", p) for p in wrong]
        try:
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            if payload:
                self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return


def running_hub(**options: Any) -> Iterator[PartnersHub]:
    """A started hub for a fixture; fails the test if any request broke the document."""
    hub = PartnersHub(**options).start()
    try:
        yield hub
    finally:
        hub.stop()
    if not hub.allow_violations:
        assert not hub.violations, f"requests that break the Partners Hub document: {hub.violations}"
