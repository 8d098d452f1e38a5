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
    view.filters = {"text": text}
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
