"""ActiveCampaign's partner API (the *Partners Hub* OpenAPI document) behind the provider port.

What the API offers: creating child accounts, finding and listing them, snapshots of accounts and the
cloning status of accounts made from them, and the language/time-zone catalogs. Everything else
(status changes, plan edits, branding, sign-on links, password help, template import, invitations)
raises `Unsupported`: the desk turns it into a portal task (SPEC §9), it never pretends.

Calls go through one `httpx.Client` with explicit timeouts. A 429, a 5xx, a timeout or a broken
connection is tried again by tenacity with exponential backoff (a `Retry-After` the vendor sends is
honoured, up to `max_retry_after` seconds), `attempts` times in all; after that the error is
`ProviderError(retryable=True)`. A refusal (400/401/404/422) is never retried.

The API key travels in the `api-key` header only; it is held as a `SecretStr` and appears in no
message, log line or repr.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

import httpx
import pycountry
from cachetools import TTLCache
from pydantic import SecretStr
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from domain.catalog import Catalog
from domain.clock import Clock, SystemClock
from domain.i18n import N_
from domain.ports import (
    Capability,
    CloningStatus,
    Locales,
    ProviderError,
    Provisioned,
    ProvisionRequest,
    VendorAccount,
    VendorPage,
    VendorSnapshot,
)
from domain.vendors.portal_actions import PortalActions

log = logging.getLogger("reseller_desk.vendors.activecampaign")

PRODUCTION_URL = "https://agency-partner-hub-web.global-aws-use1-p.app-us1.com/"
"""The production server of the published document."""
PORTAL_URL = "https://www.activecampaign.com/partner/"
"""Where portal tasks send people: ActiveCampaign's partner portal (configurable)."""
KEY_SETTING = "AC_PARTNER_API_KEY"

ACCOUNTS = "/api/child-accounts/v1/"
SNAPSHOT_SOURCES = "/api/child-accounts/v1/snapshots"
SNAPSHOTS = "/api/child-account-snapshots/v1/"
CLONING = "/api/child-account-snapshots/v1/status"
LOCALES = "/api/locales/v1/catalogs"

FIELDS = {
    "account_name": "name",
    "name": "client_name",
    "email": "client_email",
    "notification": "notification_email",
    "cname": "custom_domain",
    "products": "plan",
    "billing_interval": "plan",
    "profile": "billing_profile",
    "snapshot_id": "snapshot",
    "snapshot": "snapshot",
    "country": "country",
    "language": "language",
    "timezone": "timezone",
    "currency": "currency",
}
"""The vendor's request fields (a 422's `propertyPath`) → the desk's field that gets the error."""

SEARCH_PAGES = 10
"""A name search reads at most this many pages of 100 (the vendor's search may match substrings)."""

T = TypeVar("T")


class _Transient(Exception):
    """A 429 or 5xx answer worth trying again; `retry_after` in seconds when the vendor said so."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.retry_after = _retry_after(response)


CALL_OBSERVERS: list[Callable[[str], None]] = []
"""Called with each HTTP call's outcome (`ok`, `refused`, `transient`, `unreachable`): the bot's metrics."""


def _call_outcome(status: int) -> str:
    if status == 429 or status >= 500:
        return "transient"
    return "refused" if status >= 400 else "ok"


def _observe_call(outcome: str) -> None:
    for observer in CALL_OBSERVERS:
        try:
            observer(outcome)
        except Exception:  # an observer never breaks a call
            log.exception("vendor call observer failed")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _worth_retrying(error: BaseException) -> bool:
    return isinstance(error, _Transient | httpx.TransportError)


def _when(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class ActiveCampaignProvider(PortalActions):
    """The Partners Hub API. `catalog` maps the desk's plans to the vendor's products."""

    key = "activecampaign"
    bills_agency = True
    vendor_name = "ActiveCampaign"
    domain = "activehosted.com"
    capabilities = frozenset(
        {
            Capability.PROVISION,
            Capability.NAME_CHECK,
            Capability.LIST_ACCOUNTS,
            Capability.SNAPSHOT,
            Capability.LOCALES,
        }
    )

    def __init__(
        self,
        api_key: SecretStr | str,
        *,
        base_url: str = PRODUCTION_URL,
        catalog: Catalog | None = None,
        portal_url: str = PORTAL_URL,
        clock: Clock | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        max_retry_after: float = 30.0,
        locales_ttl: float = 3600.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._key = api_key if isinstance(api_key, SecretStr) else SecretStr(api_key)
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.catalog = catalog
        self.portal_url = portal_url
        self.clock = clock or SystemClock()
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            headers={"api-key": self._key.get_secret_value(), "accept": "application/json"},
            transport=transport,
            follow_redirects=False,
        )
        self._locales: TTLCache[str, Locales] = TTLCache(maxsize=1, ttl=locales_ttl)
        self._locales_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ActiveCampaignProvider(base_url={self.base_url!r}, api_key=SecretStr('**********'))"

    def close(self) -> None:
        self._client.close()

    # -- HTTP ------------------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _Transient) and error.retry_after is not None:
            return min(error.retry_after, self.max_retry_after)
        exponential = wait_exponential(multiplier=self.backoff, max=self.max_backoff)
        return float(exponential(state))

    def _retrying(self) -> Retrying:
        return Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception(_worth_retrying),
            reraise=True,
            before_sleep=self._log_retry,
        )

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning("vendor call failed (%s), attempt %d: trying again", _reason(error), state.attempt_number)

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        subject: str = "",
        before: Callable[[int], T | None] | None = None,
    ) -> httpx.Response | T:
        """One call with retries; `before(attempt)` runs before each attempt after the first and may
        return a result that ends the call (provision uses it to find an account a lost answer made)."""
        try:
            for attempt in self._retrying():
                with attempt:
                    number = attempt.retry_state.attempt_number
                    if before is not None and number > 1:
                        found = before(number)
                        if found is not None:
                            return found
                    try:
                        response = self._client.request(
                            method, path.lstrip("/"), params=dict(params or {}) or None, json=body
                        )
                    except httpx.TransportError:
                        _observe_call("unreachable")
                        raise
                    _observe_call(_call_outcome(response.status_code))
                    if response.status_code == 429 or response.status_code >= 500:
                        raise _Transient(response)
        except _Transient as exc:
            raise _unavailable(exc.response.status_code) from None
        except httpx.TransportError as exc:
            raise ProviderError(
                N_("The vendor could not be reached ({reason}); try again in a few minutes."),
                retryable=True,
                params={"reason": _reason(exc)},
            ) from None
        if response.status_code >= 400:
            raise _refused(response, subject)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._send(method, path, **kwargs)
        assert isinstance(response, httpx.Response)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ProviderError(
                N_("The vendor sent an answer the desk cannot read ({call})."),
                params={"call": f"{method} {path}"},
            )
        return data

    # -- accounts --------------------------------------------------------------------------------

    def provision(self, request: ProvisionRequest) -> Provisioned:
        """Create the child account, then find it by name (the create call answers with no body).

        `request.password` is not sent: the partner API takes no password (the vendor emails the
        owner `email` how to sign in), so the one-time password the desk shows is not the vendor's.
        A retried create first looks for the account by name, so a lost answer never makes two.
        """
        body = self.create_body(request)

        def already_made(_attempt: int) -> VendorAccount | None:
            return self.find_account(request.name)

        made = self._send("POST", ACCOUNTS, body=body, subject=request.name, before=already_made)
        account = made if isinstance(made, VendorAccount) else self.find_account(request.name)
        if account is None:
            raise ProviderError(
                N_(
                    "The vendor accepted {name} but does not list it yet: check the partner portal before trying again."
                ),
                retryable=True,
                params={"name": request.name},
            )
        host = request.custom_domain or f"{request.name.lower()}.{self.domain}"
        return Provisioned(reference=account.reference, login_url=f"https://{host}", username=body["email"])

    def create_body(self, request: ProvisionRequest) -> dict[str, Any]:
        """`CreateAccountRequestDto` exactly: the required fields, and each optional one only when set
        (the document declares no field nullable in a way every validator accepts, so none is sent as
        null)."""
        if not request.client_email:
            raise ProviderError(N_("The vendor needs the client's email address."), field="client_email")
        body: dict[str, Any] = {
            "account_name": request.name,
            "name": request.client_name,
            "email": request.client_email,
            "notification": request.notification_email,
            "billing_interval": self._interval(request),
            "products": [_without_nulls(p) for p in request.products] or self.products(request.plan),
            "country": (request.country or "US").upper(),
        }
        language, timezone = self._locale(request.language, request.timezone)
        optional = {
            "cname": request.custom_domain,
            "language": language,
            "timezone": timezone,
            "currency": (request.currency or "").upper() or None,
            "profile": request.billing_profile,
            "snapshot_id": request.vendor_snapshot_id,
        }
        body.update({name: value for name, value in optional.items() if value not in (None, "")})
        return body

    @staticmethod
    def _interval(request: ProvisionRequest) -> int:
        if request.billing_interval == 12 or request.plan.get("frequency") == "annual":
            return 12
        return 1

    def products(self, plan: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The desk's plan as the vendor's products: the catalog product under its vendor code, its
        tier (or free level), the contacts/seats/licenses and limits as entitlements, and each
        add-on as an add-on product of the same tier. A named limit choice is sent as the
        entitlement `<limit>-<choice>`, a number as its included units."""
        product = str(plan.get("product") or "")
        if not product or (self.catalog is not None and self.catalog.version_of(product) is None):
            raise ProviderError(
                N_("The plan names no product the vendor sells ({product})."),
                field="plan",
                params={"product": product or "-"},
            )
        codes = self.catalog.vendor_codes if self.catalog is not None else {}
        tier = str(plan.get("tier") or plan.get("level") or "standard")
        entitlements: list[dict[str, Any]] = []
        for name, units in (("contacts", "contacts"), ("users", "seats"), ("licenses", "licenses")):
            value = plan.get(units)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                entitlements.append({"code": name, "limit": {"included_units": value}})
        for pair in plan.get("limits") or []:
            name, value = str(pair[0]), pair[1]
            if isinstance(value, int) and not isinstance(value, bool):
                entitlements.append({"code": name, "limit": {"included_units": value}})
            else:
                entitlements.append({"code": f"{name}-{value}"})
        main = {"code": codes.get(product, product), "tier": tier, "entitlements": entitlements}
        addons = [
            {"code": str(addon), "tier": tier, "entitlements": [], "addon": True}
            for addon in plan.get("addons") or []
        ]
        return [main, *addons]

    def _locale(self, language: str, timezone: str) -> tuple[str | None, str | None]:
        """The desk's language code (`fr`) and time zone as the vendor's catalog values (`french`)."""
        try:
            catalog = self.locales()
        except ProviderError as exc:
            log.warning("the vendor's locale catalog is unavailable (%s): sending unchecked values", exc)
            catalog = None
        vendor_language = vendor_language_of(language, catalog)
        if language and catalog is not None and vendor_language is None:
            raise ProviderError(
                N_("The vendor offers no language {language}."),
                field="language",
                params={"language": language},
            )
        if timezone and catalog is not None and catalog.timezones and timezone not in catalog.timezones:
            raise ProviderError(
                N_("The vendor offers no time zone {timezone}."),
                field="timezone",
                params={"timezone": timezone},
            )
        return vendor_language, timezone or None

    def name_available(self, name: str) -> bool:
        return self.find_account(name) is None

    def find_account(self, name: str) -> VendorAccount | None:
        wanted = name.strip().casefold()
        for page in range(1, SEARCH_PAGES + 1):
            data = self._json("GET", ACCOUNTS, params={"search": name, "page": page, "limit": 100})
            accounts, total_pages = self._accounts(data)
            found = next((a for a in accounts if a.name.strip().casefold() == wanted), None)
            if found is not None or page >= total_pages:
                return found
        return None

    def list_accounts(self, page: int, limit: int) -> VendorPage:
        page, limit = max(1, page), min(max(1, limit), 1000)
        params = {"page": page, "limit": limit, "sort_by": "created_at", "sort_direction": "asc"}
        data = self._json("GET", ACCOUNTS, params=params)
        accounts, total_pages = self._accounts(data)
        pagination = data.get("pagination") if isinstance(data.get("pagination"), dict) else {}
        total = pagination.get("total") if isinstance(pagination, dict) else None
        return VendorPage(
            accounts=tuple(accounts),
            page=page,
            total_pages=total_pages,
            total=total if isinstance(total, int) else len(accounts),
        )

    def all_accounts(self, limit: int = 100) -> Iterator[VendorAccount]:
        """Every account, page by page."""
        page = 1
        while True:
            chunk = self.list_accounts(page, limit)
            yield from chunk.accounts
            if page >= chunk.total_pages or not chunk.accounts:
                return
            page += 1

    @staticmethod
    def _accounts(data: Mapping[str, Any]) -> tuple[list[VendorAccount], int]:
        raw = data.get("hosted_accounts")
        items = list(raw.values()) if isinstance(raw, dict) else raw if isinstance(raw, list) else []
        pagination = data.get("pagination")
        pages = pagination.get("total_pages") if isinstance(pagination, dict) else None
        accounts = [_account(item) for item in items if isinstance(item, dict) and item.get("id") is not None]
        return accounts, pages if isinstance(pages, int) else 1

    # -- snapshots -------------------------------------------------------------------------------

    def snapshot(self, reference: str) -> dict[str, Any]:
        """The desk's "take a snapshot": ask the vendor for one named after the account and the time."""
        taken = self.create_snapshot(reference, f"desk {reference} {self.clock.now():%Y-%m-%d %H:%M}")
        return {"vendor_snapshot_id": taken.id, "name": taken.name, "status": taken.status}

    def create_snapshot(self, reference: str, name: str) -> VendorSnapshot:
        account_id = _account_id(reference)
        self._send("POST", SNAPSHOTS, body={"account_id": account_id, "name": name}, subject=reference)
        mine = [s for s in self.list_snapshots(name=name) if s.source_reference == str(account_id)]
        if mine:
            return max(mine, key=lambda s: int(s.id) if s.id.isdigit() else 0)
        return VendorSnapshot(id="", name=name, source_reference=str(account_id), status="in_progress")

    def list_snapshots(self, name: str | None = None) -> list[VendorSnapshot]:
        found: list[VendorSnapshot] = []
        cursor = ""
        for _ in range(1000):
            params: dict[str, Any] = {"limit": 100}
            if cursor:
                params["next_cursor"] = cursor
            if name:
                params["name"] = name
            data = self._json("GET", SNAPSHOTS, params=params)
            items = data.get("snapshots") if isinstance(data.get("snapshots"), list) else []
            found += [_snapshot(item) for item in items or [] if isinstance(item, dict)]
            cursor = str(data.get("next_cursor") or "")
            if not cursor or not items:
                break
        return found

    def delete_snapshot(self, snapshot_id: str) -> None:
        if not snapshot_id.isdigit() or snapshot_id.startswith("0"):
            raise ProviderError(N_("The vendor has no snapshot {id}."), params={"id": snapshot_id})
        self._send("DELETE", f"{SNAPSHOTS}{snapshot_id}", subject=f"snapshot {snapshot_id}")

    def cloning_status(self) -> list[CloningStatus]:
        found: list[CloningStatus] = []
        page, pages = 1, 1
        while page <= pages and page <= 1000:
            data = self._json("GET", CLONING, params={"page": page, "per_page": 100})
            items = data.get("items") if isinstance(data.get("items"), list) else []
            found += [_cloning(item) for item in items or [] if isinstance(item, dict)]
            pagination = data.get("pagination")
            total_pages = pagination.get("total_pages") if isinstance(pagination, dict) else None
            pages = total_pages if isinstance(total_pages, int) else 1
            page += 1
        return found

    def snapshot_sources(self, search: str | None = None) -> list[VendorAccount]:
        """The accounts the vendor can take a snapshot of."""
        data = self._json("GET", SNAPSHOT_SOURCES, params={"search": search} if search else None)
        items = data.get("accounts") if isinstance(data.get("accounts"), list) else []
        return [
            VendorAccount(
                reference=str(i["id"]), name=str(i.get("account_name") or ""), email=str(i.get("email") or "")
            )
            for i in items or []
            if isinstance(i, dict) and i.get("id") is not None
        ]

    # -- locales ---------------------------------------------------------------------------------

    def locales(self) -> Locales:
        """The vendor's languages and time zones, read once per `locales_ttl` (thread-safe)."""
        with self._locales_lock:
            cached = self._locales.get("catalogs")
            if cached is not None:
                return cached
            data = self._json("GET", LOCALES)
            catalogs = Locales(
                languages=_labels(data.get("languages")), timezones=_labels(data.get("timezones"))
            )
            self._locales["catalogs"] = catalogs
            return catalogs


def vendor_language_of(code: str, catalog: Locales | None) -> str | None:
    """The vendor's language value for the desk's code (`fr` → `french`), checked against the catalog
    when there is one; a value already in the catalog passes as is."""
    text = (code or "").strip()
    if not text:
        return None
    if catalog is not None and text in catalog.languages:
        return text
    found = pycountry.languages.get(alpha_2=text.lower()) if len(text) == 2 else None
    name = str(found.name).split(" (")[0].split(";")[0].strip().lower() if found else text.lower()
    if catalog is None:
        return name
    if name in catalog.languages:
        return name
    by_label = {label.strip().casefold(): value for value, label in catalog.languages.items()}
    return by_label.get(name)


def desk_language_of(value: str) -> str | None:
    """The desk's two-letter code for a vendor language value (`french` → `fr`), if it has one."""
    try:
        found = pycountry.languages.lookup(value)
    except LookupError:
        return None
    code = getattr(found, "alpha_2", None)
    return str(code) if code else None


def _without_nulls(value: Any) -> Any:
    """The document is OpenAPI 3.1, where `nullable` means nothing: an optional field is left out
    rather than sent as null."""
    if isinstance(value, Mapping):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_without_nulls(v) for v in value]
    return value


def _labels(raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {str(k): str(v) for k, v in raw.items() if isinstance(k, str)}


def _account_id(reference: str) -> int:
    if not reference.isdigit() or reference.startswith("0"):
        raise ProviderError(
            N_("The vendor has no account {reference}."), params={"reference": reference or "-"}
        )
    return int(reference)


def _account(item: Mapping[str, Any]) -> VendorAccount:
    return VendorAccount(
        reference=str(item["id"]),
        name=str(item.get("account_name") or ""),
        created_at=_when(item.get("created_at")),
        plan=None,  # the list answer holds no products: the desk cannot read the plan
    )


def _snapshot(item: Mapping[str, Any]) -> VendorSnapshot:
    return VendorSnapshot(
        id=str(item.get("id", "")),
        name=str(item.get("name") or ""),
        source_reference=str(item.get("source_account_id", "")),
        status=str(item.get("status") or "unknown"),
        created_at=_when(item.get("created_at")),
        completed_at=_when(item.get("completed_at")),
    )


def _cloning(item: Mapping[str, Any]) -> CloningStatus:
    snapshot = item.get("snapshot_id")
    return CloningStatus(
        target_reference=str(item.get("target_account_id", "")),
        target_name=str(item.get("target_account") or ""),
        source_reference=str(item.get("source_account_id", "")),
        status=str(item.get("status") or "unknown"),
        snapshot_id=str(snapshot) if snapshot is not None else None,
        error=str(item["error_message"]) if item.get("error_message") else None,
        updated_at=_when(item.get("updated_at")),
    )


def _reason(error: BaseException | None) -> str:
    if isinstance(error, _Transient):
        return str(error)
    if isinstance(error, httpx.TimeoutException):
        return "timed out"
    if isinstance(error, httpx.ConnectError):
        return "connection refused or no route"
    if isinstance(error, httpx.TransportError):
        return "connection broken"
    return type(error).__name__ if error else "unknown"


def _unavailable(status: int) -> ProviderError:
    return ProviderError(
        N_("The vendor is not answering right now (HTTP {status}); try again in a few minutes."),
        retryable=True,
        params={"status": status},
    )


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _violations(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    raw = data.get("violations")
    items = list(raw.values()) if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    return [
        (str(v.get("propertyPath") or ""), str(v.get("title") or "")) for v in items if isinstance(v, dict)
    ]


def _refused(response: httpx.Response, subject: str) -> ProviderError:
    """The vendor's refusal as the desk's error (never retried)."""
    status = response.status_code
    data = _body(response)
    detail = str(data.get("detail") or data.get("message") or data.get("title") or "").strip()
    if status == 401:
        return ProviderError(
            N_(
                "The vendor refused the API key: check the setting {setting} (a key from the Partner Portal)."
            ),
            params={"setting": KEY_SETTING},
        )
    if status == 422:
        violations = _violations(data)
        if violations:
            path, title = violations[0]
            top = path.split(".")[0].split("[")[0]
            reasons = "; ".join([title, *(f"{p}: {t}" for p, t in violations[1:])])
            return ProviderError(
                N_("The vendor refused {field}: {reason}"),
                field=FIELDS.get(top),
                params={"field": path or "-", "reason": reasons},
            )
    if status == 404:
        return ProviderError(
            N_("The vendor did not find {subject}: {detail}"),
            params={"subject": subject or "what was asked for", "detail": detail or "Not Found"},
        )
    return ProviderError(
        N_("The vendor refused the request (HTTP {status}): {detail}"),
        params={"status": status, "detail": detail or "Bad Request"},
    )
