"""The smaller `/accounts` sub-commands: saved views, snapshots, transfers, branding and commission."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement

from bot import portal_tasks, ui
from bot.commands.accounts_common import ports_of
from bot.commands.quote import price
from bot.context import Req, open_request
from bot.i18n import Percent
from bot.parsing import refuse_extra
from bot.quote_render import describe
from bot.quote_text import QuoteRequest, parse_quote
from domain.accounts import branding, commission, queries, snapshots, transfers, views
from domain.accounts.filters import parse_filters
from domain.errors import InvalidInput, NotFound
from domain.i18n import N_
from domain.numbers import row_id, too_large
from domain.roles import Permission
from domain.uow import UnitOfWork

BRANDING = "accounts_branding"
BRAND_FIELDS = {
    "name": N_("Brand name"),
    "logo_url": N_("Logo URL"),
    "colour": N_("Colour (#RRGGBB)"),
    "support_email": N_("Support email"),
}


def register(app: App) -> None:
    app.view(BRANDING)(submit_branding)


def reply(req: Req, sub: str, words: list[str]) -> dict[str, Any] | None:
    """The reply for a known sub-command, or None so the words are read as overview filters."""
    if sub == "views":
        return views_reply(req, words)
    if sub == "snapshot":
        return snapshot_reply(req, words)
    if sub == "snapshots":
        refuse_extra(words, 0, "`/accounts snapshots`")
        return snapshots_reply(req)
    if sub in ("transfer-out", "transfer-in", "transfers", "transfer-confirm"):
        return transfer_reply(req, sub, words)
    if sub == "branding" and words and words[0] == "default":
        return default_branding_reply(req, words[1:])
    if sub == "branding" and len(words) == 2 and words[1] == "remove":
        with req.deps.uow() as uow:
            account = branding.set_account_branding(
                uow, ports_of(req), req.actor, words[0], branding=branding.Branding(), custom_domain=None
            )
            said = req.t(
                N_(":white_check_mark: Branding and custom domain removed from {name}."), name=account.name
            )
            return ui.notice(portal_tasks.noted(req.t, uow, said))
    if sub == "commission":
        return commission_reply(req, words)
    return None


def views_reply(req: Req, words: list[str]) -> dict[str, Any]:
    t = req.t
    if words and words[0].lower() == "save":
        if len(words) < 2:
            raise InvalidInput(
                N_("Write it as `/accounts views save renewals-soon status:active sort:expiry`.")
            )
        with req.deps.uow() as uow:
            saved = views.save_view(uow, ports_of(req), req.actor, words[1], parse_filters(words[2:]))
            text = str(saved.filters.get("text"))
        return ui.notice(
            t(
                N_(":white_check_mark: View {name} saved: {filters}. Apply it with `/accounts view {name}`."),
                name=words[1],
                filters=text,
            )
        )
    if words:
        raise InvalidInput(N_("Use `/accounts views` or `/accounts views save <name> <filters>`."))
    with req.deps.uow() as uow:
        req.actor.require(Permission.READ)
        rows = [
            f"*{ui.escape(v.name)}* — `{ui.escape(str((v.filters or {}).get('text', '')))}`"
            for v in queries.saved_views(uow.session, req.actor.agency_id, req.user_id)
        ]
    return ui.notice("\n".join(rows) or t(N_("You have no saved views yet.")))


def snapshot_reply(req: Req, words: list[str]) -> dict[str, Any]:
    """Recorded now, taken at the vendor right after this answer; the outcome comes in a message."""
    from bot.operations import notify_for, runner_of

    if len(words) != 1:
        raise InvalidInput(N_("Write it as `/accounts snapshot acme-shop`."))
    key = str(req.body.get("trigger_id") or "") or uuid.uuid4().hex
    with req.deps.uow() as uow:
        if not snapshots.vendor_copies(uow, ports_of(req), req.actor, words[0]):
            snap = snapshots.take_snapshot(uow, ports_of(req), req.actor, words[0])
            said = req.t(
                N_(
                    ":white_check_mark: Snapshot {name} stored. New accounts can start from it in `/accounts add`."
                ),
                name=snap.name,
            )
            return ui.notice(portal_tasks.noted(req.t, uow, said))
        op = snapshots.request_snapshot(
            uow, ports_of(req), req.actor, words[0], key=key, notify=notify_for(req)
        )
        op_id, target = op.id, op.target
    runner_of(req.deps).submit(op_id, req.client)
    return ui.notice(
        req.t(
            N_(
                ":hourglass: Taking a snapshot of {name} at the provider: you are told here when it is stored."
            ),
            name=target,
        )
    )


def snapshots_reply(req: Req) -> dict[str, Any]:
    with req.deps.uow() as uow:
        req.actor.require(Permission.READ)
        rows = [
            f"{req.t.format(s.taken_at)} · *{ui.escape(s.name)}* · <@{s.taken_by}>"
            for s in queries.snapshots(uow.session, req.actor.agency_id, 20)
        ]
    return ui.notice("\n".join(rows) or req.t(N_("No snapshots yet: `/accounts snapshot <name>` takes one.")))


def transfer_reply(req: Req, sub: str, words: list[str]) -> dict[str, Any]:
    t = req.t
    ports = ports_of(req)
    with req.deps.uow() as uow:
        if sub == "transfer-out":
            if len(words) not in (1, 2):
                raise InvalidInput(N_("Write it as `/accounts transfer-out acme-shop [client@example.com]`."))
            done = transfers.request_transfer_out(
                uow, ports, req.actor, words[0], words[1] if len(words) == 2 else None
            )
            return ui.notice(
                t(
                    N_(
                        ":white_check_mark: Transfer-out of {name} to {email} recorded (number {id}). It stays pending until an owner confirms it."
                    ),
                    name=done.account_name,
                    email=done.client_email,
                    id=done.id,
                )
            )
        if sub == "transfer-in":
            return transfer_in_reply(req, uow, words)
        if sub == "transfer-confirm":
            transfer_id = row_id(words[0]) if len(words) == 1 else None
            if transfer_id is None:
                raise InvalidInput(N_("Write it as `/accounts transfer-confirm 3`."))
            if transfer_id == 0 and too_large(words[0]):  # past the 64-bit range: no row has it
                raise NotFound(
                    N_("There is no transfer number {id}. `/accounts transfers` lists them."),
                    id=words[0][:40],
                )
            done = transfers.confirm_transfer(uow, ports, req.actor, transfer_id)
            if done.direction == "out":
                return ui.notice(
                    t(
                        N_(
                            ":white_check_mark: Transfer {id} confirmed: {name} is now transferred — no more charges, notices or discount-tier count; it stays in `/accounts status:all` and its history."
                        ),
                        id=done.id,
                        name=done.account_name,
                    )
                )
            first = transfers.first_charge(uow, ports, req.actor, done.account_name)
            return ui.notice(
                t(
                    N_(
                        ":white_check_mark: Transfer {id} confirmed: {name} joins the portfolio with its recorded plan. Its first cycle, {amount} at the tier before it, is charged by the next billing run."
                    ),
                    id=done.id,
                    name=done.account_name,
                    amount=first,
                )
            )
        refuse_extra(words, 0, "`/accounts transfers`")
        rows = [
            f"{x.id} · {x.direction} · *{ui.escape(x.account_name)}* · {ui.escape(x.client_email)} · {t(x.status)}"
            for x in transfers.list_transfers(uow, req.actor)
        ]
    return ui.notice("\n".join(rows) or t(N_("No transfer requests.")))


TRANSFER_IN_EXAMPLE = "`/accounts transfer-in their-account client@example.com plus 2500 monthly`"


def transfer_in_reply(req: Req, uow: Any, words: list[str]) -> dict[str, Any]:
    """The plan is asked for with the request, in `/quote`'s words, and priced at today's tier."""
    t = req.t
    if len(words) < 2:
        raise InvalidInput(N_("Write it as {example}."), example=TRANSFER_IN_EXAMPLE)
    rest, country = list(words[2:]), None
    lowered = [w.lower() for w in rest]
    if "country" in lowered:
        at = lowered.index("country")
        if at + 1 >= len(rest):
            raise InvalidInput(N_("country needs a code after it, like FR."), field="country")
        country = rest[at + 1]
        del rest[at : at + 2]
    if not rest:
        raise InvalidInput(
            N_("Give the plan the account will have in the agency, in `/quote`'s words. Example: {example}"),
            field="plan",
            example=TRANSFER_IN_EXAMPLE,
        )
    request = parse_quote(req.deps.catalog, rest)
    if request.migration is not None or request.vat_number is not None:
        raise InvalidInput(
            N_(
                "A transfer-in records the plan only (no migration discount or VAT number). Example: {example}"
            ),
            field="plan",
            example=TRANSFER_IN_EXAMPLE,
        )
    done = transfers.request_transfer_in(
        uow,
        ports_of(req),
        req.actor,
        words[0],
        words[1],
        plan=request.choice,
        country=country or request.country,
    )
    offer, _ = price(req, QuoteRequest(choice=request.choice))
    return ui.notice(
        t(
            N_(
                ":hourglass: Transfer-in of {name} recorded (number {id}) with the plan {plan}: {amount} per cycle at today's tier. Pending until an owner records the client's confirmation with `/accounts transfer-confirm {id}`."
            ),
            name=done.account_name,
            id=done.id,
            plan=describe(t, request.choice),
            amount=offer.per_cycle,
        )
    )


def default_branding_reply(req: Req, words: list[str]) -> dict[str, Any]:
    """`/accounts branding default name="Acme" colour=#112233 …` sets the agency's default branding."""
    t = req.t
    with req.deps.uow() as uow:
        agency = uow.agencies.get(req.actor.agency_id)
        if not words:
            req.actor.require(Permission.READ)
            current = ", ".join(f"{k}={v}" for k, v in (agency.branding or {}).items()) or t(N_("none"))
            return ui.notice(
                t(
                    N_(
                        "Agency default branding: {branding}. Set it with `/accounts branding default name=Acme colour=#1F6FEB logo_url=https://… support_email=help@acme.com`."
                    ),
                    branding=current,
                )
            )
        pairs = dict(word.partition("=")[::2] for word in words)
        branding.set_agency_default(uow, ports_of(req), req.actor, branding.clean_branding(pairs))
    return ui.notice(t(N_(":white_check_mark: Agency default branding saved: new accounts get it.")))


COMMISSION_ADD = (
    '`/accounts commission add acme-ref client "Acme SA" referred 2026-11-02 plan marketing plus 2500 monthly`'
    " (optional: `email jean@acme.example`, `country FR`)"
)
REFERRAL_KEYS = ("client", "referred", "plan", "email", "country")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_referral(req: Req, words: list[str]) -> commission.Referral:
    """`<name> client "<client>" referred YYYY-MM-DD plan <plan words> [email <e>] [country <cc>]`."""
    if not words or words[0].lower() in REFERRAL_KEYS:
        raise InvalidInput(N_("Write it as {example}."), field="name", example=COMMISSION_ADD)
    values: dict[str, list[str]] = {}
    key = None
    for word in words[1:]:
        if word.lower() in REFERRAL_KEYS and (key != "client" or values.get("client")):
            key = word.lower()
            if key in values:
                raise InvalidInput(
                    N_("Give `{what}` only once. Example: {example}"), what=key, example=COMMISSION_ADD
                )
            values[key] = []
        elif key is None:
            raise InvalidInput(
                N_("I don't understand {word}. Example: {example}"), word=word, example=COMMISSION_ADD
            )
        else:
            values[key].append(word)
    for needed in ("client", "referred", "plan"):
        if not values.get(needed):
            raise InvalidInput(
                N_("Give `{what}` too. Example: {example}"),
                field=needed,
                what=needed,
                example=COMMISSION_ADD,
            )
    for single in ("referred", "email", "country"):
        if len(values.get(single, [""])) != 1:
            raise InvalidInput(
                N_("Give one value after `{what}`. Example: {example}"),
                field=single,
                what=single,
                example=COMMISSION_ADD,
            )
    day_text = values["referred"][0]
    try:
        if not ISO_DAY.match(day_text):
            raise ValueError(day_text)
        referred_on = date.fromisoformat(day_text)
    except ValueError:
        raise InvalidInput(
            N_("Write the referral date as YYYY-MM-DD, like 2026-11-02, not {text}."),
            field="referred_on",
            text=day_text,
        ) from None
    plan = parse_quote(req.deps.catalog, values["plan"])
    if plan.migration is not None:
        raise InvalidInput(
            N_("A referred account has no migration discount: the provider bills its client."), field="plan"
        )
    return commission.Referral(
        name=words[0],
        client_name=" ".join(values["client"]),
        referred_on=referred_on,
        plan=plan.choice,
        client_email=" ".join(values.get("email", [])) or None,
        country=" ".join(values.get("country", [])) or None,
    )


def commission_reply(req: Req, words: list[str]) -> dict[str, Any]:
    t = req.t
    ports = ports_of(req)
    if words and words[0].lower() == "add":
        referral = parse_referral(req, words[1:])
        with req.deps.uow() as uow:
            account = commission.record_referral(uow, ports, req.actor, referral)
            _monthly, share = commission.monthly_commission(ports, account)
            name = account.name
        return ui.notice(
            t(
                N_(
                    ":white_check_mark: Commission account {name} recorded ({client}, referred {date}): {commission} a month of commission. It is never billed to the agency, never counted for the discount tier, never in notices."
                ),
                name=name,
                client=referral.client_name.strip(),
                date=referral.referred_on,
                commission=share,
            )
        )
    with req.deps.uow() as uow:
        if words and words[0].lower() == "payout":
            if len(words) != 2:
                raise InvalidInput(N_("Write it as `/accounts commission payout finance@agency.com`."))
            email = commission.set_payout_email(uow, ports, req.actor, words[1])
            return ui.notice(t(N_(":white_check_mark: Commissions are paid out to {email}."), email=email))
        refuse_extra(words, 0, "`/accounts commission`")
        c = commission.commissions(uow, ports, req.actor)
        rows = [
            f"*{ui.escape(line.account.name)}* · {ui.escape(line.account.client_name)} · {t(line.account.status)}"
            + (
                " · " + t(N_("referred {date}"), date=line.account.referred_on)
                if line.account.referred_on
                else ""
            )
            + f" · {t.money(line.monthly_commission)} / {t(N_('month'))}"
            for line in c.lines
        ]
    blocks: list[Block] = [
        ui.header(t(N_("Commission accounts"))),
        ui.section("\n".join(rows) or t(N_("No referred accounts yet."))),
        ui.fields(
            [
                (
                    t(N_("Monthly commission")),
                    t(N_("{total} at {percent}"), total=c.monthly_total, percent=Percent(c.percent)),
                ),
                (t(N_("Referral link")), ui.escape(c.referral_link)),
                (
                    t(N_("Payout email")),
                    ui.escape(c.payout_email)
                    if c.payout_email
                    else t(N_("not set: `/accounts commission payout <email>`")),
                ),
            ]
        ),
        ui.context(
            t(
                N_(
                    "Referred accounts are billed by the provider to the client: never to the agency, never counted for the discount tier, never in notices."
                )
            ),
            t(N_("Record one: {example}"), example=COMMISSION_ADD),
        ),
    ]
    return ui.message(t(N_("Commission accounts")), blocks)


def open_branding_modal(req: Req, client: WebClient, trigger_id: str, name: str, channel: str | None) -> None:
    t = req.t
    req.actor.require(Permission.MANAGE_ACCOUNTS)
    with req.deps.uow() as uow:
        account = queries.by_name(uow.session, req.actor.agency_id, name)
        current = dict(account.branding or {})
        target = branding.cname_target(account, req.deps.provider.domain)
        domain = account.custom_domain
    blocks: list[Block] = [
        ui.section(t(N_("Branding of *{name}*. Leave every field empty to remove it."), name=name))
    ]
    for key, label in BRAND_FIELDS.items():
        blocks.append(
            InputBlock(
                block_id=key,
                label=t(label),
                optional=True,
                element=PlainTextInputElement(action_id="value", initial_value=current.get(key) or None),
            )
        )
    blocks.append(
        InputBlock(
            block_id="custom_domain",
            label=t(N_("Custom domain")),
            optional=True,
            hint=t(N_("Point a CNAME record at {target}."), target=target),
            element=PlainTextInputElement(action_id="value", initial_value=domain or None),
        )
    )
    view = ui.modal(
        t(N_("Branding")),
        BRANDING,
        blocks,
        submit=t(N_("Save")),
        close=t(N_("Cancel")),
        private_metadata={"name": name, "channel": channel},
    )
    client.views_open(trigger_id=trigger_id, view=view)


def submit_branding(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    req = open_request(context, body)
    context["translator"] = req.t
    meta = ui.metadata(view)
    fields = {key: ui.state_value(view, key) for key in BRAND_FIELDS}
    clean = branding.clean_branding(
        {key: fields[key] for key in ("name", "logo_url", "colour", "support_email")}
    )
    with req.deps.uow() as uow:
        account = branding.set_account_branding(
            uow,
            ports_of(req),
            req.actor,
            str(meta.get("name")),
            branding=clean,
            custom_domain=ui.state_value(view, "custom_domain"),
        )
        target = branding.cname_target(account, req.deps.provider_for(account.product).domain)
        domain, name = account.custom_domain, account.name
    ack()
    channel = meta.get("channel")
    if channel:
        client.chat_postEphemeral(
            channel=channel,
            user=req.user_id,
            text=_branding_saved(req, uow, name, domain=domain, target=target),
        )


def _branding_saved(req: Req, uow: UnitOfWork, name: str, *, domain: str | None, target: str) -> str:
    """The confirmation, with the CNAME to add when a custom domain was given."""
    note = (
        req.t(N_(" Point a CNAME for {domain} at {target}."), domain=domain, target=target) if domain else ""
    )
    saved = req.t(N_(":white_check_mark: Branding of {name} saved."), name=name)
    return portal_tasks.noted(req.t, uow, saved) + note
