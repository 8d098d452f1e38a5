"""The vendor's languages and time zones for the modals, without holding up a Slack request.

The vendor's catalog is read at most once an hour (the adapter caches it). A modal waits for it at
most `WAIT` seconds: the first read runs in a background thread, and if it is not back in time the
modal keeps the desk's own inputs (two-letter code, IANA name) while the cache fills for the next one.

The one-read-at-a-time and the minute's pause after a failure stay hand-written: `cachetools` keeps
values for a time, not a read in flight or a failure, and the providers are held weakly here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import lru_cache
from weakref import WeakKeyDictionary
from zoneinfo import available_timezones

from slack_sdk.models.blocks import Block, InputBlock, Option, OptionGroup, StaticSelectElement

from bot import ui
from domain.ports import Capability, Locales, Provider, ProviderError

log = logging.getLogger("reseller_desk.vendor_locales")

WAIT = 0.5
"""Seconds a modal waits for the vendor's catalog before showing the desk's own inputs."""

RETRY_AFTER = 60.0
"""Seconds after a failed read before the vendor is asked again (modals keep the desk's inputs)."""

_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vendor-locales")
_lock = threading.Lock()
_reading: WeakKeyDictionary[Provider, Future[Locales | None]] = WeakKeyDictionary()
_failed_at: WeakKeyDictionary[Provider, float] = WeakKeyDictionary()


def _read(provider: Provider) -> Locales | None:
    try:
        found = provider.locales()
    except ProviderError as exc:
        log.warning("the vendor's locale catalog is unavailable: %s", exc)
        found = None
    with _lock:
        _reading.pop(provider, None)
        if found is None:
            _failed_at[provider] = time.monotonic()
        else:
            _failed_at.pop(provider, None)
    return found


def vendor_locales(provider: Provider, wait: float = WAIT) -> Locales | None:
    """The vendor's catalogs, or None (the vendor has none, or it is slow or failing right now).

    One read at a time per provider: a modal opened while a read is under way waits for that one; after
    a failure the vendor is not asked again for `RETRY_AFTER` seconds."""
    if not provider.supports(Capability.LOCALES):
        return None
    key = provider
    with _lock:
        failed = _failed_at.get(key)
        if failed is not None and time.monotonic() - failed < RETRY_AFTER:
            return None
        future = _reading.get(key)
        if future is None:
            future = _pool.submit(_read, provider)
            _reading[key] = future
    try:
        return future.result(timeout=wait)
    except FutureTimeout:
        return None


def language_options(locales: Locales) -> list[tuple[str, str]]:
    """(label, desk code) for each vendor language the desk has a two-letter code for."""
    from domain.vendors.activecampaign import desk_language_of

    found: dict[str, str] = {}
    for value, label in locales.languages.items():
        code = desk_language_of(value)
        if code and code not in found:
            found[code] = label or value
    return sorted(((label, code) for code, label in found.items()), key=lambda pair: pair[0].casefold())


def timezone_groups(locales: Locales) -> dict[str, list[tuple[str, str]]]:
    """(label, IANA name) of each vendor time zone the desk knows, grouped by region (Europe, …);
    at most 100 groups of 100, as a Slack select holds."""
    known = _zones()
    groups: dict[str, list[tuple[str, str]]] = {}
    for value, label in sorted(locales.timezones.items()):
        if value not in known:
            continue
        region = value.split("/", 1)[0] if "/" in value else "UTC"
        chosen = groups.setdefault(region, [])
        if len(chosen) < 100:
            chosen.append((label or value, value))
    return dict(list(groups.items())[:100])


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def locale_selects(
    label: Callable[[str], str], locales: Locales, language: str | None, timezone: str | None
) -> list[Block] | None:
    """The add-account modal's language and time-zone inputs as selects of the vendor's values
    (block ids `language` and `timezone`, values the desk's codes), or None when the catalog gives
    nothing to pick. `label(block_id)` is the translated label of each."""
    languages = [ui.option(text, code) for text, code in language_options(locales)]
    groups = timezone_groups(locales)
    if not languages or not groups:
        return None
    chosen_language = next((o for o in languages if o.value == (language or "en")), None)
    grouped = {region: [ui.option(text, value) for text, value in pairs] for region, pairs in groups.items()}
    zone_groups = [OptionGroup(label=ui.clip(region, 75), options=opts) for region, opts in grouped.items()]
    zones: list[Option] = [o for opts in grouped.values() for o in opts]
    chosen_zone = next((o for o in zones if o.value == timezone), None)
    zone_element = (
        StaticSelectElement(action_id="value", options=zones, initial_option=chosen_zone)
        if len(zones) <= 100
        else StaticSelectElement(action_id="value", option_groups=zone_groups, initial_option=chosen_zone)
    )
    return [
        InputBlock(
            block_id="language",
            label=label("language"),
            element=StaticSelectElement(action_id="value", options=languages, initial_option=chosen_language),
        ),
        InputBlock(block_id="timezone", label=label("timezone"), element=zone_element),
    ]
