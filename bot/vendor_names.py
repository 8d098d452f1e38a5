"""The add-account modal's live name check at the vendor, without holding up a Slack request.

Listeners answer inside the HTTP response (`process_before_response`), so a vendor call there delays
Slack's 3 seconds. The vendor is asked in a background thread and waited for at most `WAIT` seconds;
a slow or failing vendor leaves the answer to the submission's operation, which checks again.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from domain.ports import Capability, Provider, ProviderError

log = logging.getLogger("reseller_desk.vendor_names")

WAIT = 0.5
"""Seconds the live check waits for the vendor before saying it will be checked on submit."""

_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="vendor-names")


def _ask(provider: Provider, name: str) -> bool | None:
    try:
        return provider.name_available(name)
    except ProviderError as exc:
        log.info("the vendor's name check failed: %s", exc)
        return None


def available_at_vendor(provider: Provider, name: str, wait: float = WAIT) -> bool | None:
    """True or False as the vendor says, or None when it cannot say in time (or has no name check)."""
    if not provider.supports(Capability.NAME_CHECK):
        return None
    try:
        return _pool.submit(_ask, provider, name).result(timeout=wait)
    except FutureTimeout:
        return None
