"""Saved personal views: a named set of overview filters, per member."""

from __future__ import annotations

import re

from sqlalchemy import select

from domain import audit
from domain.accounts.common import AccountPorts
from domain.accounts.filters import Filters
from domain.agency import Actor
from domain.errors import InvalidInput, NotFound
from domain.i18n import N_
from domain.roles import Permission
from domain.store.models import SavedView
from domain.store.uow import SqlUnitOfWork

VIEW_NAME = re.compile(r"^[\w-]{1,40}$")
OVERVIEW = "(overview)"
"""The reserved row holding a member's columns for the plain overview (no typed name matches it)."""
COLUMNS: dict[str, str] = {
    "client": N_("Client"),
    "plan": N_("Plan"),
    "status": N_("Status"),
    "expiry": N_("Expiry or renewal"),
    "cost": N_("Cost per cycle"),
    "margin": N_("Margin"),
}
"""The overview's optional columns (seed 001: the gear icon adds and removes them), in shown order;
the account's name and its buttons are always there."""
ALL_COLUMNS = tuple(COLUMNS)


def save_view(
    uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str, filters: Filters
) -> SavedView:
    """Saving a view is personal: every member, viewers included, may keep their own filters."""
    actor.require(Permission.READ)
    if not VIEW_NAME.match(name):
        raise InvalidInput(N_("Name a view with letters, digits, - or _ (up to 40), like renewals-soon."))
    text = filters.as_text(page=False)
    view = _get(uow, actor, name)
    if view is None:
        view = SavedView(
            agency_id=actor.agency_id,
            user_id=actor.user_id,
            name=name,
            filters={},
            created_at=ports.clock.now(),
        )
        uow.session.add(view)
    before = dict(view.filters or {})
    # a view keeps the columns the member chose for it, else takes those of their overview
    columns = before.get("columns")
    columns = _stored_columns(uow, actor, OVERVIEW) if columns is None else columns
    view.filters = {"text": text, **({"columns": list(columns)} if columns is not None else {})}
    audit.record(
        uow,
        ports.clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="view.saved",
        target=name,
        before=before or None,
        after=view.filters,
    )
    uow.commit()
    return view


def view_text(uow: SqlUnitOfWork, actor: Actor, name: str) -> str:
    actor.require(Permission.READ)
    view = _get(uow, actor, name)
    if view is None:
        raise NotFound(N_("You have no view named {name}. `/accounts views` lists yours."), name=name)
    return str((view.filters or {}).get("text", ""))


def _get(uow: SqlUnitOfWork, actor: Actor, name: str) -> SavedView | None:
    return uow.session.scalars(
        select(SavedView).where(
            SavedView.agency_id == actor.agency_id, SavedView.user_id == actor.user_id, SavedView.name == name
        )
    ).first()


def parse_columns(values: object) -> tuple[str, ...]:
    """The chosen columns, checked against the known list (whatever a form sends), in shown order."""
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise InvalidInput(N_("Pick the columns in the list."), field="columns")
    unknown = [v for v in values if v not in COLUMNS]
    if unknown or len(values) > len(COLUMNS):
        raise InvalidInput(
            N_("There is no column {column}: pick the columns in the list."),
            field="columns",
            column=str(unknown[0] if unknown else values[0])[:40],
        )
    return tuple(c for c in ALL_COLUMNS if c in values)


def columns_for(uow: SqlUnitOfWork, actor: Actor, view_name: str | None) -> tuple[str, ...]:
    """The columns a member sees: the named view's, else those of their overview, else all."""
    actor.require(Permission.READ)
    if view_name:
        stored = _stored_columns(uow, actor, view_name)
        if stored is not None:
            return stored
    stored = _stored_columns(uow, actor, OVERVIEW)
    return ALL_COLUMNS if stored is None else stored


def set_columns(
    uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, view_name: str | None, values: object
) -> tuple[tuple[str, ...], bool]:
    """Keep the chosen columns with the member's view (a saved view by name, else their overview);
    (columns, changed). The same choice again records nothing."""
    actor.require(Permission.READ)
    columns = parse_columns(values)
    name = view_name or OVERVIEW
    view = _get(uow, actor, name)
    if view is None and view_name:
        raise NotFound(N_("You have no view named {name}. `/accounts views` lists yours."), name=view_name)
    if view is None:
        view = SavedView(
            agency_id=actor.agency_id,
            user_id=actor.user_id,
            name=OVERVIEW,
            filters={"text": ""},
            created_at=ports.clock.now(),
        )
        uow.session.add(view)
    kept = (view.filters or {}).get("columns")
    before = list(kept) if isinstance(kept, list) else list(ALL_COLUMNS)
    if before == list(columns):
        return columns, False
    view.filters = {**(view.filters or {}), "columns": list(columns)}
    audit.record(
        uow,
        ports.clock,
        agency_id=actor.agency_id,
        actor=actor.user_id,
        action="view.columns",
        target=view_name or "overview",
        before={"columns": ", ".join(before)},
        after={"columns": ", ".join(columns)},
    )
    uow.commit()
    return columns, True


def _stored_columns(uow: SqlUnitOfWork, actor: Actor, name: str) -> tuple[str, ...] | None:
    view = _get(uow, actor, name)
    raw = (view.filters or {}).get("columns") if view is not None else None
    if not isinstance(raw, list):
        return None
    return tuple(c for c in ALL_COLUMNS if c in raw)
