"""Checking a whole Edit submission before any part of it is written (SPEC §4, bad input writes nothing).

The Edit modal can change several things at once (contacts, billing profile, status, plan); each is
saved by its own service. Run one by one, a refusal of the third would leave the first two saved
while the modal shows an error, and the person, resubmitting, meets a different state. So the modal
asks `check_edit` first: every refusal any part would meet, raised before anything is saved.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.accounts import changes, rules
from domain.accounts.common import AccountPorts
from domain.accounts.queries import by_name
from domain.agency import Actor
from domain.billing.charges import active_profile
from domain.errors import Conflict
from domain.i18n import N_
from domain.plans import PlanChoice
from domain.pricing import Quote
from domain.roles import Permission
from domain.store.uow import SqlUnitOfWork

STATUS_ACTIONS = ("keep", "cancel", "disable", "enable")


@dataclass(frozen=True)
class EditRequest:
    notification_email: str | None = None
    """None (or the current address) leaves it as it is."""
    billing_profile_id: int | None = None
    change_profile: bool = False
    status_action: str = "keep"
    reason: str | None = None
    plan: PlanChoice | None = None
    """None when the plan is unchanged (see `same_plan`)."""


def same_plan(current: PlanChoice, chosen: PlanChoice, shown: PlanChoice) -> bool:
    """True when the builder still shows what the account has.

    `shown` is the account's plan as the builder normalised it (seats left empty by an import become
    the included seats, limits set to their default are left out): comparing with the raw stored
    plan would turn every edit of such an account into a plan change.
    """
    return chosen in (current, shown)


def check_edit(
    uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, name: str, edit: EditRequest
) -> Quote | None:
    """Raise the first refusal the edit would meet; return the plan change's quote, if any."""
    actor.require(Permission.READ)
    account = by_name(uow.session, actor.agency_id, name)
    if edit.notification_email and edit.notification_email != account.notification_email:
        actor.require(Permission.MANAGE_ACCOUNTS)
        rules.clean_email(edit.notification_email, field="notification_email")
    if edit.change_profile and edit.billing_profile_id != account.billing_profile_id:
        actor.require(Permission.SPEND_MONEY)
        active_profile(uow.session, actor.agency_id, edit.billing_profile_id)
    if edit.status_action == "cancel":
        changes.check_cancel(actor, account, edit.reason)
        if edit.plan is not None:
            raise Conflict(
                N_(
                    "Cancel or change the plan, not both at once: keep the plan to cancel, or keep the status to change the plan."
                ),
                field="status",
            )
    elif edit.status_action == "disable":
        changes.check_disable(actor, account, edit.reason)
    elif edit.status_action == "enable":
        changes.check_enable(actor, account)
    if edit.plan is None:
        return None
    actor.require(Permission.SPEND_MONEY)
    q = changes.preview_plan_change(uow, ports, actor, name, edit.plan)
    if q.effect == "at_renewal":
        rules.clean_reason(edit.reason)
    return q
