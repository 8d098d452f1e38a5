"""What each notice says, as message ids and parameters: the Slack adapter translates them into the
agency's language, the way domain errors are rendered. Money is Decimal, days are dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.i18n import N_
from domain.notices import rules
from domain.vendor_billing import vendor_label

RENEW = "notice_renew"
VIEW = "notice_view"
BUY_LICENSES = "notice_buy_licenses"
BUY_PREPAID = "notice_buy_prepaid"
LIST_ALL = "notice_list_all"


@dataclass(frozen=True)
class Text:
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    percents: frozenset[str] = frozenset()
    """Parameters that are percentages, not money."""
    plural: str = ""
    """The plural form of `message`, chosen by the reader's language for the int parameter `count`."""
    then: tuple[Text, ...] = ()
    """Sentences that follow, each with its own count (a message can agree with only one number)."""


HEADLINES: dict[str, tuple[str, str]] = {
    rules.CHARGE_FAILED: (N_("{n} renewal charge failed"), N_("{n} renewal charges failed")),
    rules.TRIAL_ENDED: (N_("{n} trial ended"), N_("{n} trials ended")),
    rules.CANCELLED_ENDED: (N_("{n} cancelled account expired"), N_("{n} cancelled accounts expired")),
    rules.RENEWAL_COMING: (N_("{n} renewal coming"), N_("{n} renewals coming")),
    rules.TRIAL_ENDING: (N_("{n} trial ending soon"), N_("{n} trials ending soon")),
    rules.LICENSE_POOL_FULL: (N_("{n} license pool full"), N_("{n} license pools full")),
    rules.INVITATION_PENDING: (N_("{n} invitation pending"), N_("{n} invitations pending")),
    rules.TRANSFERRED_OUT: (N_("{n} account transferred out"), N_("{n} accounts transferred out")),
    rules.TRANSFERRED_IN: (N_("{n} account transferred in"), N_("{n} accounts transferred in")),
    rules.VENDOR_ONLY: (
        N_("{n} account at the vendor unknown to the desk"),
        N_("{n} accounts at the vendor unknown to the desk"),
    ),
    rules.DESK_ONLY: (
        N_("{n} account the vendor no longer lists"),
        N_("{n} accounts the vendor no longer lists"),
    ),
}
KIND_NAMES = {
    rules.CHARGE_FAILED: N_("charge failed"),
    rules.TRIAL_ENDED: N_("trial ended"),
    rules.CANCELLED_ENDED: N_("cancelled account expired"),
    rules.RENEWAL_COMING: N_("renewal coming"),
    rules.TRIAL_ENDING: N_("trial ending"),
    rules.LOW_BALANCE: N_("low prepaid balance"),
    rules.PREPAID_ADVICE: N_("monthly prepaid advice"),
    rules.LICENSE_POOL_FULL: N_("license pool full"),
    rules.INVITATION_PENDING: N_("invitation pending"),
    rules.TIER_CHANGED: N_("discount tier changed"),
    rules.TRANSFERRED_OUT: N_("account transferred out"),
    rules.TRANSFERRED_IN: N_("account transferred in"),
    rules.BILLING_DIGEST: N_("weekly billing digest"),
    rules.VENDOR_ONLY: N_("reconciliation with the vendor"),
    rules.DESK_ONLY: N_("reconciliation with the vendor"),
    rules.PORTAL_TASK: N_("portal task"),
    rules.PORTAL_TASKS_OPEN: N_("portal tasks still open"),
}
ACTIONS = {
    rules.CHARGE_FAILED: (N_("Renew"), RENEW),
    rules.CANCELLED_ENDED: (N_("Renew"), RENEW),
    rules.LICENSE_POOL_FULL: (N_("Buy licenses"), BUY_LICENSES),
    rules.LOW_BALANCE: (N_("Buy prepaid"), BUY_PREPAID),
    rules.PREPAID_ADVICE: (N_("Buy prepaid"), BUY_PREPAID),
}


def action(kind: str, has_account: bool) -> tuple[str, str] | None:
    """The button a notice carries: its own action, else View account when it is about one."""
    if kind in ACTIONS:
        return ACTIONS[kind]
    return (N_("View account"), VIEW) if has_account else None


def _money(payload: dict[str, Any], key: str) -> Decimal | None:
    value = payload.get(key)
    return None if value in (None, "") else Decimal(str(value))


def _day(payload: dict[str, Any], key: str, default: date) -> date:
    value = payload.get(key)
    return date.fromisoformat(value) if isinstance(value, str) else default


def item(kind: str, account: str | None, due_on: date, payload: dict[str, Any]) -> Text:
    """One notice as a sentence; event notices from other modules may carry fewer details."""
    name = account or "-"
    if kind == rules.RENEWAL_COMING:
        on = _day(payload, "renews_on", due_on)
        amount = _money(payload, "amount")
        if amount is None:
            return Text(N_("*{account}* renews on {date}."), {"account": name, "date": on})
        if "vendor" in payload:  # SPEC §9: the vendor bills it, the desk charges nothing
            return Text(
                N_("*{account}* renews on {date}: {vendor} will bill {amount} (nothing is charged here)."),
                {"account": name, "date": on, "vendor": vendor_label(payload["vendor"]), "amount": amount},
            )
        return Text(
            N_("*{account}* renews on {date}: {amount}, {credit} from credit and {card} from the card."),
            {
                "account": name,
                "date": on,
                "amount": amount,
                "credit": _money(payload, "from_credit"),
                "card": _money(payload, "from_card"),
            },
        )
    if kind == rules.TRIAL_ENDING:
        return Text(
            N_("*{account}*: the trial ends on {date}. Convert it to a paid plan through Edit to keep it."),
            {"account": name, "date": _day(payload, "ends_on", due_on)},
        )
    if kind == rules.TRIAL_ENDED:
        return Text(N_("*{account}*: the trial ended on {date}."), {"account": name, "date": due_on})
    if kind == rules.CHARGE_FAILED:
        amount = _money(payload, "amount") or _money(payload, "total")
        params: dict[str, Any] = {"account": name, "date": due_on}
        if payload.get("unavailable_since") and amount is not None:
            return Text(
                N_(
                    "*{account}* expired: its renewal charge of {amount} could not reach the payment "
                    "network since {since}, and was given up on {date}. Renew it once payments work."
                ),
                {**params, "amount": amount, "since": _day(payload, "unavailable_since", due_on)},
            )
        if amount is None:
            return Text(N_("*{account}* expired: its renewal charge failed on {date}."), params)
        return Text(
            N_("*{account}* expired: its renewal charge of {amount} failed on {date}."),
            {**params, "amount": amount},
        )
    if kind == rules.CANCELLED_ENDED:
        return Text(
            N_("*{account}* was cancelled and reached the end of its paid period on {date}."),
            {"account": name, "date": due_on},
        )
    if kind == rules.LOW_BALANCE:
        return _low_balance(payload)
    if kind == rules.PREPAID_ADVICE:
        return advice_text(payload)
    if kind == rules.LICENSE_POOL_FULL:
        return Text(
            N_("*{account}* uses all its licenses: new members are refused until more are bought."),
            {"account": name},
        )
    if kind == rules.INVITATION_PENDING:
        emails = ", ".join(str(e) for e in payload.get("emails") or ())
        count = len(payload.get("emails") or ()) or 1
        return Text(
            N_("*{account}*: {emails} was invited on {date} and is still not active."),
            {
                "account": name,
                "emails": emails or "-",
                "date": _day(payload, "invited_on", due_on),
                "count": count,
            },
            plural=N_("*{account}*: {emails} were invited on {date} and are still not active."),
        )
    if kind == rules.TIER_CHANGED:
        return _tier(payload)
    if kind == rules.TRANSFERRED_OUT:
        return Text(
            N_(
                "*{account}* was transferred out of the agency on {date}: it is no longer charged or counted."
            ),
            {"account": name, "date": due_on},
        )
    if kind == rules.TRANSFERRED_IN:
        return Text(
            N_(
                "*{account}* was transferred into the agency on {date}: its first cycle is charged by the next billing run."
            ),
            {"account": name, "date": due_on},
        )
    if kind == rules.VENDOR_ONLY:
        return Text(
            N_(
                "*{account}* is an account at the vendor that the desk does not know: bring it in with `/agency import`."
            ),
            {"account": str(payload.get("name") or name)},
        )
    if kind == rules.DESK_ONLY:
        return Text(
            N_(
                "*{account}* is in the desk but the vendor no longer lists it (reference {reference}): check it at the vendor."
            ),
            {"account": name, "reference": str(payload.get("reference") or "-")},
        )
    if kind == rules.PORTAL_TASK:
        return Text(
            N_("*{account}*: a portal task to do at the vendor."), {"account": payload.get("account") or name}
        )
    if kind == rules.PORTAL_TASKS_OPEN:
        return Text(
            N_("{count} portal task still open."),
            {"count": int(payload.get("count") or 0)},
            plural=N_("{count} portal tasks still open."),
        )
    return Text(N_("*{account}*: {kind} on {date}."), {"account": name, "kind": kind, "date": due_on})


def advice_text(payload: dict[str, Any]) -> Text:
    """The monthly prepaid advice (also shown by `/credits` and the App Home, from the same payload)."""
    count = {"count": int(payload.get("renewals") or 0)}
    start = _day(payload, "start", date.min)
    end = max(start, _day(payload, "end", date.min) - timedelta(days=1))  # the last day covered
    head = Text(
        N_("From {start} to {end}, {count} renewal will cost {cost} after discounts."),
        {**count, "start": start, "end": end, "cost": _money(payload, "cost")},
        plural=N_("From {start} to {end}, {count} renewals will cost {cost} after discounts."),
    )
    earmarked = _money(payload, "earmarked") or Decimal(0)
    balances = Text(
        N_("Prepaid balance: {prepaid}; earmarked for these accounts: {earmarked}."),
        {"prepaid": _money(payload, "prepaid"), "earmarked": earmarked},
    )
    to_buy = _money(payload, "to_buy")
    if to_buy is None:
        tail = Text(N_("Your prepaid credit covers the month: nothing to buy."))
    else:
        tail = Text(
            N_(
                "Buy {to_buy} of prepaid credit now ({shortfall} is short) and the card is charged once, today, instead of at each renewal."
            ),
            {"to_buy": to_buy, "shortfall": _money(payload, "shortfall")},
        )
    return Text(head.message, head.params, plural=head.plural, then=(balances, tail))


def _low_balance(payload: dict[str, Any]) -> Text:
    balance = _money(payload, "balance")
    if payload.get("reason") == "threshold":
        return Text(
            N_("Prepaid balance is {balance}, under your threshold of {threshold}."),
            {"balance": balance, "threshold": _money(payload, "threshold")},
        )
    return Text(
        N_("Prepaid balance is {balance}: {shortfall} short of the charges due in the next 7 days."),
        {"balance": balance, "shortfall": _money(payload, "shortfall")},
    )


def _tier(payload: dict[str, Any]) -> Text:
    up = payload.get("direction") == "up"
    percents = frozenset({"old", "new", "next"})
    moved = {
        "old": Decimal(str(payload.get("previous_percent") or 0)),
        "new": Decimal(str(payload.get("percent") or 0)),
    }
    head = (
        N_("Your reseller discount went up from {old} to {new}.")
        if up
        else N_("Your reseller discount went down from {old} to {new}.")
    )
    count = {"count": int(payload.get("count") or 0)}
    if payload.get("next_percent") is None:
        accounts = (
            Text(
                N_("{count} active paid account, the top tier."),
                count,
                plural=N_("{count} active paid accounts, the top tier."),
            )
            if up
            else Text(N_("{count} active paid account."), count, plural=N_("{count} active paid accounts."))
        )
        return Text(head, moved, percents, then=(accounts,))
    accounts = Text(N_("{count} active paid account."), count, plural=N_("{count} active paid accounts."))
    to_next = {"count": int(payload.get("to_next") or 0), "next": Decimal(str(payload["next_percent"]))}
    more = (
        Text(
            N_("{count} more account reaches {next}."),
            to_next,
            percents,
            N_("{count} more accounts reach {next}."),
        )
        if up
        else Text(
            N_("{count} more account brings back {next}."),
            to_next,
            percents,
            N_("{count} more accounts bring back {next}."),
        )
    )
    return Text(head, moved, percents, then=(accounts, more))


def digest_line(line: dict[str, Any]) -> Text:
    if "vendor" in line:
        return Text(
            N_("{date} · *{account}* · {amount} (billed by {vendor})"),
            {
                "date": date.fromisoformat(str(line["on"])),
                "account": line.get("account") or "-",
                "amount": Decimal(str(line["amount"])),
                "vendor": vendor_label(line["vendor"]),
            },
        )
    return Text(
        N_("{date} · *{account}* · {amount} ({credit} from credit, {card} from the card)"),
        {
            "date": date.fromisoformat(str(line["on"])),
            "account": line.get("account") or "-",
            "amount": Decimal(str(line["amount"])),
            "credit": Decimal(str(line["from_credit"])),
            "card": Decimal(str(line["from_card"])),
        },
    )
