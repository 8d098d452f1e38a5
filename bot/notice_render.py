"""How a notice reads in the channel: a card for one notice, a digest of one kind within Block
Kit's 50 blocks, and the weekly billing digest, all in the agency's language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bot import portal_tasks, ui
from bot.i18n import Percent, Translator
from domain.i18n import N_
from domain.notices import rules, texts
from domain.notices.delivery import Claimed


def say(t: Translator, text: texts.Text) -> str:
    params = {k: Percent(v) if k in text.percents else v for k, v in text.params.items()}
    if text.plural:
        said = t.plural(text.message, text.plural, int(params["count"]), **params)
    else:
        said = t(text.message, **params)
    return " ".join([said, *(say(t, more) for more in text.then)])


def render_line(t: Translator, kind: str, account: str | None, due_on: date, payload: dict[str, Any]) -> str:
    return say(t, texts.item(kind, account, due_on, payload))


def _button(t: Translator, notice: Claimed) -> Any:
    found = texts.action(notice.kind, notice.account_id is not None)
    if notice.kind == rules.PREPAID_ADVICE and not notice.payload.get("to_buy"):
        return None  # covered: nothing to buy
    return None if found is None else ui.button(t(found[0]), found[1], str(notice.id))


def render(plan: rules.Planned, notices: list[Claimed], t: Translator, marker: str) -> dict[str, Any]:
    """One message: a card for a single notice, else a digest of its kind within 50 blocks."""
    if plan.kind == rules.BILLING_DIGEST:
        return billing_digest(notices[0], t)
    if plan.kind == rules.PORTAL_TASK:
        return portal_tasks.card(t, portal_tasks.from_payload(notices[0].payload))
    if plan.kind == rules.PORTAL_TASKS_OPEN:
        return portal_tasks.reminder(t, notices[0].payload)
    if plan.single:
        notice = notices[0]
        line = say(t, texts.item(notice.kind, notice.account_name, notice.due_on, notice.payload))
        blocks: list[Any] = [ui.section(line, block_id=f"notice:{notice.id}")]
        buttons = [b for b in (_button(t, notice),) if b is not None]
        if notice.kind in texts.ACTIONS and notice.account_id is not None:
            buttons.append(ui.button(t(N_("View account")), texts.VIEW, str(notice.id)))
        if buttons:
            blocks.append(ui.actions(*buttons, block_id=f"actions:{notice.id}"))
        blocks.append(ui.context(t(texts.KIND_NAMES.get(notice.kind, notice.kind))))
        return ui.message(line, blocks, ephemeral=False)
    singular, plural = texts.HEADLINES.get(plan.kind, (N_("{n} notice"), N_("{n} notices")))
    title = t.plural(singular, plural, len(plan.notice_ids))
    blocks = [ui.header(title)]
    shown = set(plan.shown)
    for notice in (n for n in notices if n.id in shown):
        line = say(t, texts.item(notice.kind, notice.account_name, notice.due_on, notice.payload))
        blocks.append(ui.section(line, accessory=_button(t, notice), block_id=f"notice:{notice.id}"))
    if plan.more:
        blocks.append(ui.context(t.plural(N_("… and {n} more."), N_("… and {n} more."), plan.more)))
        blocks.append(ui.actions(ui.button(t(N_("List them all")), texts.LIST_ALL, marker)))
    return ui.message(title, blocks, ephemeral=False)


def billing_digest(notice: Claimed, t: Translator) -> dict[str, Any]:
    title = t(N_("Charges in the next 7 days"))
    blocks: list[Any] = [ui.header(title)]
    for profile in (notice.payload.get("profiles") or [])[:40]:
        label = ui.escape(str(profile["label"])) if profile.get("label") else t(N_("No billing profile"))
        lines = [say(t, texts.digest_line(line)) for line in profile.get("lines") or []]
        shown = lines[:20]
        count = int(profile.get("count") or len(lines))  # payloads keep the first lines and a count
        if count > len(shown):
            shown.append(t.plural(N_("… and {n} more."), N_("… and {n} more."), count - len(shown)))
        blocks.append(
            ui.section(f"*{label}*\n" + "\n".join(shown), block_id=f"profile:{profile.get('profile_id')}")
        )
    totals = t(
        N_("In all: {credit} from prepaid credit and {card} from cards."),
        credit=Decimal(str(notice.payload.get("from_credit") or 0)),
        card=Decimal(str(notice.payload.get("from_card") or 0)),
    )
    vendor = Decimal(str(notice.payload.get("from_vendor") or 0))
    if vendor:  # SPEC §9: charges the vendor bills itself, none of them drawn here
        totals += " " + t(N_("{amount} billed by the vendor."), amount=vendor)
    blocks.append(ui.context(totals))
    return ui.message(title, blocks, ephemeral=False)
