"""`/accounts show <name>`: the account card — every field, plan, limits, balances, branding and the
history of changes (the issue's "account card")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import Block

from bot import audit_text, ui
from bot.commands import accounts_tools
from bot.commands.accounts import expiry_label, plan_label, row_blocks
from bot.context import Req
from bot.i18n import Percent
from bot.vocabulary import reason_text
from domain import ledger
from domain.accounts import queries
from domain.accounts.branding import cname_target
from domain.i18n import N_
from domain.roles import Permission
from domain.store.models import Account, BillingProfile


def card_reply(req: Req, name: str) -> dict[str, Any]:
    t = req.t
    with req.deps.read_uow() as uow:
        req.actor.require(Permission.READ)
        a = queries.by_name(uow.session, req.actor.agency_id, name)
        history = queries.history_of(uow.session, a)
        balances = ledger.account_balances(uow.session, a.agency_id, a.id)
        earmark, sms, preview = balances["prepaid"], balances["sms"], balances["preview"]
        blocks: list[Block | dict[str, Any]] = [
            ui.header(t(N_("Account {name}"), name=a.name)),
            ui.fields(
                [
                    (t(N_("Client")), ui.escape(f"{a.client_name}\n{a.client_email}")),
                    (
                        t(N_("Status")),
                        t(a.status) + (f" — {reason_text(t, a.status_reason)}" if a.status_reason else ""),
                    ),
                    (t(N_("Plan")), plan_label(t, a)),
                    (t(N_("Last charged per cycle")), t.money(a.price_per_cycle)),
                    (t(N_("Period")), f"{t.date(a.period_start)} → {expiry_label(t, a)}"),
                    # Trials and sandboxes are never charged: they have no renewal day.
                    *([(t(N_("Renewal day")), str(a.renewal_day))] if a.pricing_version != "V1" else []),
                    (
                        t(N_("Login")),
                        ui.escape(f"https://{a.custom_domain or a.name + '.' + req.deps.provider.domain}"),
                    ),
                    (t(N_("Notifications to")), ui.escape(a.notification_email)),
                    (
                        t(N_("Country, language, time zone")),
                        ui.escape(f"{a.country} ({a.region}) · {a.language} · {a.timezone}"),
                    ),
                    (
                        t(N_("Balances")),
                        t(
                            N_("{prepaid} earmarked · {sms} SMS · {preview} previews"),
                            prepaid=earmark,
                            sms=int(sms),
                            preview=int(preview),
                        ),
                    ),
                ]
            ),
        ]
        extra = _more_fields(req, uow.session, a)
        if a.pending_change:
            extra.append(t(N_("Scheduled at renewal: {change}"), change=_pending_text(a.pending_change)))
        if a.seats and a.tier != "licenses":
            extra.append(t(N_("User seats: {n}"), n=a.seats))
        if a.addons:
            extra.append(t(N_("Add-ons: {addons}"), addons=", ".join(a.addons)))
        if a.limits:
            extra.append(t(N_("Limits: {limits}"), limits=", ".join(f"{k}={v}" for k, v in a.limits.items())))
        branding = ", ".join(f"{k}: {v}" for k, v in (a.branding or {}).items()) or t(N_("none"))
        extra.append(t(N_("Branding: {branding}"), branding=branding))
        if a.login_message:
            extra.append(t(N_("Login page message: {text}"), text=a.login_message))
        blocks.append(ui.section("\n".join(extra)))
        blocks += accounts_tools.card_blocks(req, uow.session, a)
        lines = [audit_text.entry_line(t, e, target=False, changes=False) for e in history]
        blocks.append(ui.section(t(N_("*History*")) + "\n" + ("\n".join(lines) or t(N_("No changes yet.")))))
        blocks += row_blocks(t, a, req.deps.catalog, Decimal(0))[1:]  # its buttons
    return ui.message(t(N_("Account {name}"), name=name), blocks)


def _more_fields(req: Req, session: Any, a: Account) -> list[str]:
    """The card's other fields: dates, billing profile, migration discount and custom domain."""
    t = req.t
    lines = [t(N_("Created {date}"), date=a.created_at.date())]
    if a.purchased_on:
        lines[0] += " · " + t(N_("purchased {date}"), date=a.purchased_on)
    profile = session.get(BillingProfile, a.billing_profile_id) if a.billing_profile_id else None
    lines.append(
        t(N_("Billing profile: {profile}"), profile=f"{profile.label} ({profile.brand} ···{profile.last4})")
        if profile is not None
        else t(N_("Billing profile: none (paid from prepaid credit only)"))
    )
    if a.migration_percent is not None and a.migration_cycles:
        lines.append(
            t.plural(
                N_("Migration discount: {percent} for the first cycle ({billed} billed so far)"),
                N_("Migration discount: {percent} for the first {n} cycles ({billed} billed so far)"),
                a.migration_cycles,
                percent=Percent(a.migration_percent),
                billed=a.cycles_billed,
            )
        )
    if a.custom_domain:
        lines.append(
            t(
                N_("Custom domain: {domain} (CNAME to {target})"),
                domain=a.custom_domain,
                target=cname_target(a, req.deps.provider.domain),
            )
        )
    return lines


def _pending_text(pending: dict[str, Any]) -> str:
    plan = pending.get("plan") or {}
    parts = [
        str(plan.get(k)) for k in ("product", "tier", "contacts", "licenses", "frequency") if plan.get(k)
    ]
    return f"{' '.join(parts)} ({pending.get('effective', '')})"
