"""The vendor's own help, as the portal gives it to the agency (seed 000 items 8, 17 and 20): the
partner portal, the agency FAQ and the customer-experience team, from the catalog's vendor entry."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot import ui
from bot.i18n import Mrkdwn, Translator
from domain.catalog import Catalog
from domain.i18n import N_


def link(url: str) -> Mrkdwn:
    """A bare Slack link: the catalog's addresses are validated on load (https, no spaces, no `<>|`)."""
    return Mrkdwn(f"<{url}>", url)


def vendor_text(t: Translator, catalog: Catalog, provider_key: str) -> str | None:
    """One mrkdwn paragraph of links, or None when the catalog names no vendor at all."""
    vendor = catalog.vendor(provider_key)
    if vendor is None:
        return None
    contact = [Mrkdwn(ui.escape(vendor.support_email))] if vendor.support_email else []
    if vendor.support_url:
        contact.append(link(vendor.support_url))
    return t(
        N_("*{vendor}* · partner portal: {portal} · agency FAQ: {faq} · customer experience team: {contact}"),
        vendor=vendor.name,
        portal=link(vendor.portal_url),
        faq=link(vendor.faq_url),
        contact=Mrkdwn(" · ".join(contact)),
    )


def vendor_blocks(t: Translator, catalog: Catalog, provider_key: str) -> list[Block]:
    text = vendor_text(t, catalog, provider_key)
    return [ui.context(text)] if text else []
