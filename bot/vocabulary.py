"""Words the app translates from data rather than from a literal: `t(role.value)`, `t(account.status)`,
`t(tier)`, `t(frequency)`, `human(t, invoice.kind)`… Listing them here with `N_` puts them in the catalogs, so a
status or plan name read from the database is shown in the reader's language.

Add a word here when a new value reaches `t()` from data (`make i18n-update` then picks it up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.i18n import N_, Count, Word
from domain.notices.texts import KIND_NAMES as NOTICE_KINDS
from domain.roles import Role

if TYPE_CHECKING:
    from bot.i18n import Translator

ROLES = (N_("owner"), N_("billing"), N_("manager"), N_("viewer"), N_("administrator"))
ACCOUNT_STATUSES = (
    N_("all"),
    N_("trial"),
    N_("active"),
    N_("disabled"),
    N_("cancelled"),
    N_("expired"),
    N_("archived"),
    N_("transferred"),
    N_("creating"),
)
TIERS = (N_("starter"), N_("plus"), N_("professional"), N_("enterprise"), N_("licenses"), N_("to-confirm"))
LEVELS = (N_("trial"), N_("sandbox"))
FREQUENCIES = (N_("monthly"), N_("annual"), N_("month"), N_("year"))
ANSWERS = (N_("yes"), N_("no"))
SORTS = (N_("name"), N_("size"), N_("created"), N_("expiry"), N_("margin"))
CREDIT_POOLS = (N_("prepaid"), N_("sms"), N_("preview"))
ADDONS = (N_("landing-pages"), N_("predictive-sending"))
INVOICE_KINDS = (N_("charge"), N_("renewal"), N_("upgrade"))
INVOICE_STATUSES = (N_("paid"), N_("failed"), N_("pending"), N_("void"))
SEAT_MEMBER_STATUSES = (N_("invited"), N_("active"))
TRANSFER_STATUSES = (N_("pending"), N_("confirmed"))
APPROVAL_STATUSES = (N_("pending"), N_("approved"), N_("rejected"), N_("expired"), N_("failed"))
APPROVAL_KINDS = (N_("credits"), N_("plan"), N_("renewal"), N_("topup"))
OTHER_STATUSES = (N_("suspended"), N_("imported"), N_("skipped"), N_("sent"), N_("sending"))
REASONS = {
    "insufficient funds": N_("insufficient funds"),
    "network error talking to the card network": N_("network error talking to the card network"),
    "unknown billing profile reference": N_("unknown billing profile reference"),
    "cancelled period ended": N_("cancelled period ended"),
    "card declined": N_("card declined"),
    "expired card": N_("expired card"),
    "do not honor": N_("card refused by the bank"),
    "threshold": N_("below the threshold"),
    "short": N_("short of the month's charges"),
}
"""The payment gateway's and the lifecycle's reasons, as stored, and the words a reader is shown."""
REASON_PREFIXES = {"renewal charge failed: ": N_("renewal charge failed: {reason}")}
PRODUCTS = {
    "marketing": N_("Marketing"),
    "sales": N_("Sales"),
    "bundle": N_("Bundle"),
    "business-licenses": N_("Business licenses"),
}
"""Product codes of the catalog and their labels (a label is a name: capitalised, translated where the
vendor does)."""
TIER_LABELS = {
    "starter": N_("Starter"),
    "plus": N_("Plus"),
    "professional": N_("Professional"),
    "enterprise": N_("Enterprise"),
    "trial": N_("Trial"),
    "sandbox": N_("Sandbox"),
}

LABELS = {
    "first_cycle": N_("first cycle"),
    "topup": N_("license top-up"),
    "credit_purchase": N_("credit purchase"),
    "awaiting_transfer": N_("awaiting transfer"),
    "purchase": N_("purchase"),
    "allocate_out": N_("allocated to an account"),
    "allocate_in": N_("allocated from the pool"),
    "app_uninstalled": N_("the app was removed from the workspace"),
    "tokens_revoked": N_("Slack revoked the app's access"),
}
"""Codes stored with an underscore or a short form (invoice kinds and statuses, ledger kinds) and the
words a reader is shown for them."""


WORD_PARAMS = frozenset(
    {"role", "status", "state", "kind", "frequency", "reason", "level", "pool", "outcome", "plan"}
)
"""Message parameters whose value is a code from data: a code the vocabulary knows is shown in the
reader's words even when a caller passed it as plain text (`Translator.format` consults `code_word`)."""


def _codes() -> dict[str, str]:
    words = (
        *ROLES,
        *ACCOUNT_STATUSES,
        *TIERS,
        *LEVELS,
        *FREQUENCIES,
        *CREDIT_POOLS,
        *ADDONS,
        *INVOICE_KINDS,
        *INVOICE_STATUSES,
        *SEAT_MEMBER_STATUSES,
        *TRANSFER_STATUSES,
        *APPROVAL_STATUSES,
        *APPROVAL_KINDS,
        *OTHER_STATUSES,
    )
    return {**{w: w for w in words}, **LABELS, **REASONS, **NOTICE_KINDS}


CODES = _codes()
"""Every code from data the app shows, and its message id."""


def code_message(value: str) -> tuple[str, dict[str, Any]] | None:
    """The message id (and its parameters) of a code read from data — `approved`, `insufficient
    funds`, `renewal charge failed: insufficient funds` — or None when `value` is not one (a name, a
    reason a member typed)."""
    found = CODES.get(value)
    if found is not None:
        return found, {}
    for prefix, message in REASON_PREFIXES.items():
        if value.startswith(prefix):
            rest = value[len(prefix) :]
            return message, {"reason": Word(CODES[rest]) if rest in CODES else rest}
    return plan_message(value)


def plan_message(value: str) -> tuple[str, dict[str, Any]] | None:
    """A stored plan description (`bundle enterprise 25000 monthly`, `business-licenses 5 licenses
    annual`: `domain.billing.renewal.describe_plan` writes them on invoice lines and notices) as a message:
    catalog labels, the count with its plural, the frequency as a word. None when `value` is not one."""
    words = value.split()
    if len(words) != 4 or words[0] not in PRODUCTS or words[3] not in FREQUENCIES:
        return None
    product, frequency = Word(PRODUCTS[words[0]]), Word(words[3])
    if words[1].isdigit() and words[2] == "licenses":
        licenses = Count(int(words[1]), N_("{n} license"), N_("{n} licenses"))
        return N_("{product}, {licenses}, {frequency}"), {
            "product": product,
            "licenses": licenses,
            "frequency": frequency,
        }
    if words[1] in TIER_LABELS and words[2].isdigit():
        return N_("{product} {tier} {contacts} contacts, {frequency}"), {
            "product": product,
            "tier": Word(TIER_LABELS[words[1]]),
            "contacts": int(words[2]),
            "frequency": frequency,
        }
    return None


def human(t: Translator, value: str) -> str:
    """A value read from the database, in the reader's words: `first_cycle` is "first cycle"."""
    return t(LABELS.get(value, value))


def role_name(t: Translator, role: Role | str) -> str:
    """A role in the reader's words ("lecteur", "gestore"): the one way the bot shows a role."""
    return t(role.value if isinstance(role, Role) else str(role))


def reason_text(t: Translator, reason: str) -> str:
    """A stored reason (the gateway's `insufficient funds`, `renewal charge failed: insufficient
    funds`) in the reader's words; a reason nobody coded (typed by a member, new from the gateway)
    is shown as written (escaped for mrkdwn)."""
    from bot.i18n import Mrkdwn

    return Mrkdwn(t.format(reason, "reason"), t.format(reason, "reason", markup=False))


def product_label(t: Translator, product: str) -> str:
    label = PRODUCTS.get(product)
    return t(label) if label else product


def tier_label(t: Translator, tier: str) -> str:
    label = TIER_LABELS.get(tier)
    return t(label) if label else t(tier)
