"""What a held action costs and how it runs, per kind (credits, plan, renewal, top-up): each through
the same domain service the confirm step would have called, so an approved request charges exactly
what was shown, with the confirm card's own idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain import credits as credit_service
from domain.accounts import changes
from domain.accounts.common import AccountPorts
from domain.agency import Actor
from domain.billing import manual_renewal
from domain.i18n import N_
from domain.plans import choice_from_json
from domain.pricing import PlanChoice
from domain.seats.topup import confirm_topup, quote_topup
from domain.store.uow import SqlUnitOfWork
from domain.vendors import tasks


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    params: dict[str, Any]


def price(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, kind: str, p: dict[str, Any]) -> Decimal:
    """What executing the payload would charge today, computed by the service that would charge it."""
    if kind == "credits":
        currency = uow.agencies.get(actor.agency_id).currency
        return credit_service.offer(
            uow, ports.catalog, actor, currency, _order(p), provider=ports.provider
        ).price
    if kind == "plan":
        return changes.preview_plan_change(uow, ports, actor, p["name"], _choice(p["plan"])).today
    if kind == "renewal":
        return manual_renewal.preview_renewal(uow, ports, actor, p["name"]).price.per_cycle
    offer = quote_topup(
        uow, ports.catalog, ports.clock, actor, name=p["name"], extra=int(p["extra"]), provider=ports.provider
    )
    return offer.quote.total_today


def run(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, kind: str, p: dict[str, Any]) -> Outcome:
    outcome = _run(uow, ports, actor, kind, p)
    if outcome.ok and tasks.opened(uow):  # the vendor's API could not do it: never pretend it did
        return Outcome(True, TASK_DONE, outcome.params)
    return outcome


TASK_DONE = N_(
    "Done: invoice {invoice}, {total}. Not sent to the vendor (its API does not offer it): a portal task "
    "was posted to do it there."
)


def _run(uow: SqlUnitOfWork, ports: AccountPorts, actor: Actor, kind: str, p: dict[str, Any]) -> Outcome:
    done = N_("Done: invoice {invoice}, {total}.")
    if kind == "credits":
        currency = uow.agencies.get(actor.agency_id).currency
        bought = credit_service.buy(
            uow,
            ports.gateway,
            ports.clock,
            ports.catalog,
            actor,
            currency=currency,
            order=_order(p),
            nonce=p["nonce"],
            provider=ports.provider,
        )
        return _charged(bought.status, bought.failure, bought.invoice_number, bought.total)
    if kind == "plan":
        changed = changes.change_plan(
            uow, ports, actor, p["name"], _choice(p["plan"]), request_key=p["nonce"], reason=p.get("reason")
        )
        return Outcome(True, done, {"invoice": changed.invoice_number or "–", "total": changed.charged})
    if kind == "renewal":
        renewed = manual_renewal.renew(
            uow,
            ports,
            actor,
            p["name"],
            request_key=p["nonce"],
            billing_profile_id=p.get("profile"),
            undo_cancellation=bool(p.get("undo")),
        )
        return Outcome(True, done, {"invoice": renewed.invoice_number, "total": renewed.total})
    topped = confirm_topup(
        uow,
        ports.catalog,
        ports.clock,
        ports.gateway,
        actor,
        name=p["name"],
        extra=int(p["extra"]),
        nonce=p["nonce"],
        provider=ports.provider,
    )
    return _charged(topped.invoice_status, None, topped.invoice_number, Decimal(topped.total))


def _charged(status: str, failure: str | None, invoice: str, total: Decimal) -> Outcome:
    if status == "failed":
        return Outcome(
            False,
            N_("The card was declined ({reason}): invoice {invoice} records the attempt."),
            {"reason": failure or "", "invoice": invoice},
        )
    return Outcome(True, N_("Done: invoice {invoice}, {total}."), {"invoice": invoice, "total": total})


def _order(p: dict[str, Any]) -> credit_service.Order:
    kind: credit_service.Kind = next((k for k in credit_service.KINDS if k == p["kind"]), "prepaid")
    return credit_service.Order(kind, Decimal(p["quantity"]), p.get("account_id"), p.get("profile_id"))


def _choice(plan: dict[str, Any]) -> PlanChoice:
    return choice_from_json(plan)
