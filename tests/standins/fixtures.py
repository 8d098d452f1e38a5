"""Pytest fixtures of the stand-ins (registered for every test by one import in tests/conftest.py).

- `partners_hub`: a running `PartnersHub` (fresh per test); the test fails if any request the desk
  sent breaks the Partners Hub document.
- `hub_provider`: an `ActiveCampaignProvider` pointed at that hub with short timeouts and backoff
  (0.3 s read timeout, 4 attempts, 10 ms backoff), so no test waits more than a moment.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.catalog import load_catalog
from domain.vendors.activecampaign import ActiveCampaignProvider
from tests.standins.partners_hub import PartnersHub, running_hub

FAST = {"timeout": 0.3, "connect_timeout": 0.3, "attempts": 4, "backoff": 0.01, "max_backoff": 0.05}
"""Constructor options that keep retries and timeouts short in tests."""


def provider_for(hub: PartnersHub, **options: object) -> ActiveCampaignProvider:
    """An adapter talking to `hub` with the hub's key, the default catalog and `FAST` options."""
    merged: dict[str, object] = {"catalog": load_catalog(), **FAST, **options}
    return ActiveCampaignProvider(hub.api_key, base_url=hub.url, **merged)  # type: ignore[arg-type]


@pytest.fixture
def partners_hub() -> Iterator[PartnersHub]:
    yield from running_hub()


@pytest.fixture
def hub_provider(partners_hub: PartnersHub) -> Iterator[ActiveCampaignProvider]:
    provider = provider_for(partners_hub)
    yield provider
    provider.close()
