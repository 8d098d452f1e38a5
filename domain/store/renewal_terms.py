"""Each account's stored renewal terms (`Account.renewal_base`, `renewal_months`) kept current on flush.

Why a session hook: every flush that creates an account or changes what its renewal depends on
refreshes the terms, whatever service made the change, so margins can price them in SQL. Why here:
it is a SQLAlchemy event, so it lives with the store; the terms themselves are the billing rule
`domain.billing.renewal.renewal_terms`. `domain.store.db` registers it when it builds an engine or a
session factory (`register_session_hooks`), never as a side effect of importing a billing module.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from domain.billing.renewal import RENEWAL_INPUTS, renewal_terms
from domain.catalog import Catalog
from domain.store.models import Account


def keep_renewal_terms(session: Session, flush_context: Any, instances: Any) -> None:
    """Every flush that creates an account or changes what its renewal depends on refreshes the
    stored terms, whatever service made the change; without a catalog on the session (its `info`),
    they become NULL, which margins price in Python rather than trust a stale figure."""
    del flush_context, instances
    catalog = session.info.get("catalog")
    for obj in [*session.new, *session.dirty]:
        if not isinstance(obj, Account):
            continue
        if obj not in session.new and not _renewal_inputs_changed(obj):
            continue
        terms: tuple[Decimal | None, int | None] = (None, None)
        if isinstance(catalog, Catalog):
            try:
                terms = renewal_terms(catalog, obj)
            except (KeyError, TypeError, ValueError):  # a plan the catalog no longer prices
                terms = (None, None)
        obj.renewal_base, obj.renewal_months = terms


def _renewal_inputs_changed(account: Account) -> bool:
    state = inspect(account)
    return any(state.attrs[name].history.has_changes() for name in RENEWAL_INPUTS)
