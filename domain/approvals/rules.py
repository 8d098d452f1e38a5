"""Pure rules of four-eyes approvals (SPEC §1): whether an amount waits for a second person, and
why a member may not decide a request now. Plain data in, so they are unit-tested without a database.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.i18n import N_, Word
from domain.roles import Role, role_word

KINDS = ("credits", "plan", "renewal", "topup")
APPROVERS = (Role.OWNER, Role.BILLING)


def needed(threshold: Decimal | None, amount: Decimal) -> bool:
    """Only amounts strictly above the threshold wait; no threshold (NULL) means the rule is off."""
    return threshold is not None and amount > threshold


ALREADY = {
    "approved": N_("This request is already approved."),
    "rejected": N_("This request was already rejected."),
    "expired": N_("This request has already expired."),
    "failed": N_("This request was already carried out, and it failed."),
}
"""A request that can no longer be decided, one sentence per status (the participle agrees with
"request" in French and Italian, which a `{status}` word could not)."""


def already(status: str) -> tuple[str, dict[str, Any]]:
    if status in ALREADY:
        return ALREADY[status], {}
    return N_("This request is already {status}."), {"status": Word(status)}


def refusal(
    *, role: Role, user: str, requester: str, status: str, now: datetime, expires_at: datetime
) -> tuple[str, dict[str, Any]] | None:
    """Why this member may not decide this request now, or None. Pure, so the rules are unit-tested."""
    if status != "pending":
        return already(status)
    if now >= expires_at:
        return N_("This request expired on {when}: nothing was charged. Ask again."), {"when": expires_at}
    if role not in APPROVERS:
        return N_("Only an owner or a billing member can decide; your role is {role}."), {
            "role": role_word(role)
        }
    if user == requester:
        return N_("You asked for this, so another owner or billing member must decide it."), {}
    return None
