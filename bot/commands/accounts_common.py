"""Helpers the `/accounts` listeners share: the account ports from Deps, card options, field errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot import planbuilder, ui
from bot.context import Req
from domain.accounts import queries
from domain.accounts.common import AccountPorts
from domain.errors import DomainError


def ports_of(req: Req) -> AccountPorts:
    d = req.deps
    return AccountPorts(
        clock=d.clock, catalog=d.catalog, provider=d.provider, gateway=d.gateway, providers=d.providers
    )


def profile_options(session: Any, agency_id: int) -> list[tuple[str, str]]:
    """(label, id) of the agency's cards, read while the session is open."""
    return [
        (f"{p.label} ({p.brand} ···{p.last4})", str(p.id))
        for p in queries.billing_profiles(session, agency_id)
    ]


@contextmanager
def errors_on(view: dict[str, Any]) -> Iterator[None]:
    """Put a domain error on a block the modal has, so Slack can show it (plan errors on plan blocks)."""
    blocks = set(ui.state_values(view).keys())
    try:
        with planbuilder.on_plan_fields():
            yield
    except DomainError as error:
        if error.field not in blocks:
            error.field = "name" if "name" in blocks else next(iter(sorted(blocks)), None)
        raise
