"""Words the app translates from data rather than from a literal: `t(role.value)`, `t(account.status)`,
`t(tier)`, `t(frequency)`, `human(t, invoice.kind)`… Listing them here with `N_` puts them in the catalogs, so a
status or plan name read from the database is shown in the reader's language.

Add a word here when a new value reaches `t()` from data (`make i18n-update` then picks it up).
"""

from __future__ import annotations

from bot.i18n import Translator
from domain.i18n import N_

ROLES = (N_("owner"), N_("billing"), N_("manager"), N_("viewer"))
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
TIERS = (N_("starter"), N_("plus"), N_("professional"), N_("enterprise"), N_("licenses"))
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

LABELS = {
    "first_cycle": N_("first cycle"),
    "topup": N_("license top-up"),
    "credit_purchase": N_("credit purchase"),
    "awaiting_transfer": N_("awaiting transfer"),
    "purchase": N_("purchase"),
    "allocate_out": N_("allocated to an account"),
    "allocate_in": N_("allocated from the pool"),
}
"""Codes stored with an underscore or a short form (invoice kinds and statuses, ledger kinds) and the
words a reader is shown for them."""


def human(t: Translator, value: str) -> str:
    """A value read from the database, in the reader's words: `first_cycle` is "first cycle"."""
    return t(LABELS.get(value, value))
