"""How an audit entry reads: its action and field names in the reader's words.

The stored codes (`account.added`, `client_price`) stay as they are — queries, tests and exports rely on
them — and are translated only when shown, in `/agency audit` and the account card's history. A code
this table does not know yet still reads as words ("account · foo bar"), never as an error.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.i18n import Mrkdwn, Translator, escape, joined
from bot.vocabulary import code_message, human
from domain.i18n import N_
from domain.store.models import AuditEntry

ACTIONS: dict[str, str] = {
    "account.added": N_("account added"),
    "account.imported": N_("account imported"),
    "account.plan_confirmed": N_("imported account's plan set"),
    "account.add_requested": N_("account requested (the vendor creates it)"),
    "account.add_failed": N_("account not created by the vendor (charge voided)"),
    "account.billing_profile_changed": N_("billing profile changed"),
    "account.branding_changed": N_("account branding changed"),
    "account.cancelled": N_("account cancelled"),
    "account.cancellation_undone": N_("cancellation undone by a renewal"),
    "account.client_price": N_("client price changed"),
    "account.commission_recorded": N_("commission account recorded"),
    "account.converted": N_("trial converted to paid"),
    "account.disabled": N_("account disabled"),
    "account.enabled": N_("account enabled"),
    "account.expired": N_("account expired"),
    "account.notification_email_changed": N_("notification email changed"),
    "account.password_reset_sent": N_("password reset sent"),
    "account.password_set": N_("new password set"),
    "account.plan_scheduled": N_("plan change scheduled for renewal"),
    "account.renewed": N_("account renewed"),
    "account.snapshot_taken": N_("snapshot taken"),
    "account.template_imported": N_("template imported"),
    "account.transfer_in_confirmed": N_("transfer in confirmed"),
    "account.transfer_in_requested": N_("transfer in requested"),
    "account.transfer_out_confirmed": N_("transfer out confirmed"),
    "account.transfer_out_requested": N_("transfer out requested"),
    "account.upgraded": N_("plan upgraded"),
    "agency.approval_threshold": N_("approval threshold changed"),
    "agency.branding_changed": N_("agency default branding changed"),
    "agency.created": N_("agency created"),
    "agency.payout_email_changed": N_("commission payout email changed"),
    "agency.settings_changed": N_("agency settings changed"),
    "approval.approved": N_("approval granted"),
    "approval.executed": N_("approved action carried out"),
    "approval.expired": N_("approval request expired"),
    "approval.failed": N_("approved action failed"),
    "approval.rejected": N_("approval refused"),
    "approval.requested": N_("approval requested"),
    "billing_profile.added": N_("billing profile added"),
    "billing_profile.changed": N_("billing profile changed"),
    "billing_profile.deleted": N_("billing profile deleted"),
    "credits.preview_applied": N_("preview credits applied"),
    "credits.purchase_declined": N_("credit purchase declined"),
    "credits.purchased": N_("credits purchased"),
    "credits.sms_allocated": N_("SMS credits allocated"),
    "invoice.marked_paid": N_("invoice marked paid"),
    "member.added": N_("member added"),
    "portfolio.import_started": N_("portfolio import started"),
    "portfolio.import_resumed": N_("portfolio import resumed"),
    "portfolio.import_interrupted": N_("portfolio import interrupted"),
    "portfolio.imported": N_("portfolio imported"),
    "portfolio.csv_imported": N_("accounts imported from CSV"),
    "member.bootstrapped": N_("owner added from the configuration"),
    "member.removed": N_("member removed"),
    "member.role_changed": N_("member's role changed"),
    "notices.lead_days": N_("renewal lead days changed"),
    "notices.mute": N_("notice kind muted"),
    "notices.snooze": N_("account's notices snoozed"),
    "notices.unmute": N_("notice kind unmuted"),
    "seats.admin_granted": N_("admin rights granted"),
    "seats.licenses_bought": N_("licenses bought"),
    "seats.member_activated": N_("seat member activated"),
    "seats.member_removed": N_("seat member removed"),
    "seats.member_replaced": N_("seat member replaced"),
    "seats.members_added": N_("seat members added"),
    "seats.subscription_provisioned": N_("subscription created at the vendor"),
    "seats.subscription_created": N_("license subscription created"),
    "seats.user_seats_added": N_("user seats added"),
    "seats.user_seats_reduced": N_("user seats reduced at renewal"),
    "view.columns": N_("overview columns chosen"),
    "view.saved": N_("saved view stored"),
    "workspace.installed": N_("app installed in the Slack workspace"),
    "workspace.suspended": N_("posting to Slack stopped"),
    "workspace.resumed": N_("posting to Slack resumed"),
}

FIELDS: dict[str, str] = {
    "account_id": N_("account"),
    "plan_to_confirm": N_("plan to confirm"),
    "reference": N_("vendor reference"),
    "addons": N_("add-ons"),
    "amount": N_("amount"),
    "approval_threshold": N_("approval threshold"),
    "billing_profile_id": N_("billing profile"),
    "brand": N_("card brand"),
    "branding": N_("branding"),
    "card_charged": N_("charged to card"),
    "client_email": N_("client email"),
    "client_name": N_("client"),
    "client_price": N_("client price"),
    "client_price_per": N_("client price per"),
    "colour": N_("colour"),
    "columns": N_("columns"),
    "contacts": N_("contacts"),
    "credit_used": N_("credit used"),
    "currency": N_("currency"),
    "custom_domain": N_("custom domain"),
    "cycles_billed": N_("cycles billed"),
    "discount_loss_pending": N_("discount loss pending"),
    "effective_on": N_("effective on"),
    "expiry": N_("card expiry"),
    "failure": N_("failure"),
    "frequency": N_("billing frequency"),
    "invoice": N_("invoice"),
    "invoice_status": N_("invoice status"),
    "large_charge": N_("large-charge amount"),
    "is_admin": N_("admin"),
    "kind": N_("kind"),
    "label": N_("label"),
    "language": N_("language"),
    "last4": N_("card ending"),
    "lead_days": N_("lead days"),
    "licenses": N_("licenses"),
    "login_message": N_("login page message"),
    "logo_url": N_("logo"),
    "low_balance_threshold": N_("low-balance threshold"),
    "member": N_("member"),
    "members": N_("members"),
    "mutes": N_("muted kinds"),
    "name": N_("name"),
    "notice_channel": N_("notice channel"),
    "notification_email": N_("notification email"),
    "password": N_("password"),
    "payment_method": N_("payment method"),
    "payout_email": N_("payout email"),
    "pending_change": N_("scheduled change"),
    "prepaid_advice_day": N_("prepaid advice day"),
    "per_cycle": N_("price per cycle"),
    "period_end": N_("period end"),
    "plan": N_("plan"),
    "price_per_cycle": N_("price per cycle"),
    "pricing_version": N_("price list"),
    "referred_on": N_("referred on"),
    "product": N_("product"),
    "quantity": N_("quantity"),
    "requested_by": N_("requested by"),
    "requester": N_("requested by"),
    "role": N_("role"),
    "seats": N_("seats"),
    "share_link": N_("share link"),
    "snapshot": N_("snapshot"),
    "status": N_("status"),
    "subject": N_("subject"),
    "support_email": N_("support email"),
    "text": N_("filters"),
    "tier": N_("plan"),
    "timezone": N_("time zone"),
    "to": N_("sent to"),
    "total": N_("total"),
    "units": N_("credits"),
    "until": N_("until"),
    "used": N_("seats used"),
}

# Values that are words from data (a status, a role), shown through `bot/vocabulary.py`'s ids.
_WORD_VALUES = frozenset(
    {"status", "invoice_status", "role", "frequency", "tier", "password", "kind", "client_price_per"}
)
# Values that may be a code (an approval's subject is an account name or a credit kind like
# `prepaid`; a failure is the gateway's reason): a code the vocabulary knows reads as words.
_MAYBE_CODES = frozenset({"subject", "failure", "reason", "pool", "mutes", "addons", "plan"})
# Quantities: of money when the credit kind is prepaid, else a count (SMS, previews).
_QUANTITIES = frozenset({"quantity", "units"})
# Actions whose target is a code (a credit kind, a notice kind, why Slack stopped the app), not a name.
_CODED_TARGETS = ("credits.", "notices.mute", "notices.unmute", "workspace.suspended")
# Amounts are stored as text ("50.00"); they read as money in the agency currency.
_MONEY_VALUES = frozenset(
    {
        "amount",
        "approval_threshold",
        "card_charged",
        "client_price",
        "credit_used",
        "large_charge",
        "low_balance_threshold",
        "per_cycle",
        "price_per_cycle",
        "total",
    }
)
_DATE_VALUES = frozenset({"period_end", "effective_on", "until", "referred_on"})
SYSTEM_ACTORS = {"system": N_("the system"), "config": N_("the configuration"), "slack": N_("Slack")}


def _readable(code: str) -> str:
    """An unknown code as words: `seats.pool_resized` → `seats · pool resized`."""
    return " · ".join(part.replace("_", " ") for part in code.split(".") if part) or code


def action_label(t: Translator, code: str) -> str:
    label = ACTIONS.get(code)
    return t(label) if label else _readable(code)


def field_label(t: Translator, key: str) -> str:
    label = FIELDS.get(key)
    return t(label) if label else _readable(key)


def actor_label(t: Translator, actor: str) -> str:
    if actor[:1] in ("U", "W") and actor[1:].isalnum():
        return f"<@{actor}>"
    label = SYSTEM_ACTORS.get(actor)
    return t(label) if label else escape(actor)


def _data(value: str) -> Mrkdwn:
    """A value as it was stored (a name, an email, a reason): escaped for mrkdwn, raw when plain."""
    return Mrkdwn(escape(value), value)


def _coded(t: Translator, value: str) -> Mrkdwn | None:
    found = code_message(value)
    return None if found is None else Mrkdwn(t(found[0], **found[1]))


def _quantity(t: Translator, value: Any, money: bool) -> Mrkdwn:
    """A stored quantity ("500.00"): money for prepaid credit, a number grouped the reader's way else."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return _data(str(value))
    if money:
        return Mrkdwn(t.money(amount))
    return Mrkdwn(t.number(amount.normalize() if amount == amount.to_integral_value() else amount))


def value_text(t: Translator, key: str, value: Any, *, kind: str | None = None) -> Mrkdwn:
    """One stored value in the reader's words, as mrkdwn (so a sentence it goes into keeps it as is).
    `kind` is the entry's credit kind, when it has one (a prepaid quantity is money)."""
    if value is None:
        return Mrkdwn("–")
    if isinstance(value, bool):
        return Mrkdwn(t(N_("yes")) if value else t(N_("no")))
    if isinstance(value, dict):
        pairs = [
            t(N_("{field}: {value}"), field=field_label(t, k), value=value_text(t, k, v))
            for k, v in value.items()
        ]
        return joined(", ", pairs) if pairs else Mrkdwn("–")
    if isinstance(value, list | tuple):
        return joined(", ", [value_text(t, key, v) for v in value]) if value else Mrkdwn("–")
    if key in _WORD_VALUES and isinstance(value, str):
        return _coded(t, value) or Mrkdwn(human(t, value))
    if key in _MAYBE_CODES and isinstance(value, str):
        return _coded(t, value) or _data(value)
    if key in _QUANTITIES and isinstance(value, str | int | float | Decimal):
        return _quantity(t, value, kind == "prepaid")
    if key in _DATE_VALUES and isinstance(value, str):
        try:
            return Mrkdwn(t.date(date.fromisoformat(value[:10])))
        except ValueError:
            return _data(value)
    if key in _MONEY_VALUES and isinstance(value, str | int | float):
        try:
            return Mrkdwn(t.money(Decimal(str(value))))
        except (InvalidOperation, ValueError):
            return _data(str(value))
    return _data(str(value))


def describe_change(
    t: Translator, before: dict[str, Any] | None, after: dict[str, Any] | None, *, kind: str | None = None
) -> str:
    """Only what changed, as `field: old → new`, so an entry reads as a sentence, not a dump."""
    before, after = before or {}, after or {}
    kind = str(after.get("kind") or before.get("kind") or kind or "") or None
    parts = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        name = field_label(t, key)
        if key not in before:
            if new in ([], {}, ""):
                continue
            parts.append(t(N_("{field}: {value}"), field=name, value=value_text(t, key, new, kind=kind)))
        else:
            parts.append(
                t(
                    N_("{field}: {old} → {new}"),
                    field=name,
                    old=value_text(t, key, old, kind=kind),
                    new=value_text(t, key, new, kind=kind),
                )
            )
    return f" ({'; '.join(parts)})" if parts else ""


def entry_line(t: Translator, entry: AuditEntry, *, target: bool = True, changes: bool = True) -> str:
    """One entry as a line: when · who · *what* target (changes) — reason."""
    what = f"*{action_label(t, entry.action)}*"
    coded = entry.action.startswith(_CODED_TARGETS) and entry.target is not None
    if target and entry.target:
        member = entry.action.startswith("member.") and entry.target[:1] in ("U", "W")
        word = _coded(t, entry.target) if coded else None
        what += f" <@{entry.target}>" if member else f" {word or escape(entry.target)}"
    if changes:
        what += describe_change(t, entry.before, entry.after, kind=entry.target if coded else None)
    reason = t(N_(" — reason: {reason}"), reason=entry.reason) if entry.reason else ""
    return f"{t.format(entry.at)} · {actor_label(t, entry.actor)} · {what}{reason}"
