"""The vendor behind the desk, built from settings in one place (served mode, the shell, the scheduler).

`RESELLER_PROVIDER` picks it: `simulated` (the default, in memory), `activecampaign` (the partner API
at `AC_PARTNER_API_URL` with `AC_PARTNER_API_KEY`) or `manual` (no API: every action becomes a
portal task). Settings already refused `activecampaign` without a key.
"""

from __future__ import annotations

from bot.settings import Settings
from domain.catalog import Catalog
from domain.ports import Provider
from domain.simulated import SimulatedProvider


def build_provider(settings: Settings, catalog: Catalog) -> Provider:
    if settings.reseller_provider == "activecampaign":
        from domain.vendors.activecampaign import ActiveCampaignProvider

        if settings.ac_partner_api_key is None:  # settings refuse this at start-up; kept for types
            msg = "setting AC_PARTNER_API_KEY: is required with RESELLER_PROVIDER=activecampaign"
            raise ValueError(msg)
        return ActiveCampaignProvider(
            settings.ac_partner_api_key,
            base_url=settings.ac_partner_api_url,
            catalog=catalog,
            portal_url=settings.ac_partner_portal_url,
        )
    if settings.reseller_provider == "manual":
        from domain.vendors.manual import ManualProvider

        return ManualProvider(portal_url=manual_portal(settings, catalog))
    return SimulatedProvider()


def manual_portal(settings: Settings, catalog: Catalog) -> str:
    """MANUAL_PORTAL_URL, else the catalog's vendor entry for `manual` (or its default vendor)."""
    vendor = catalog.vendor("manual")
    return settings.manual_portal_url or (vendor.portal_url if vendor else "")


def build_providers(settings: Settings, catalog: Catalog, default: Provider) -> dict[str, Provider]:
    """The providers a catalog product may name (SPEC §9: the per-seat product is `manual` when the
    agency's vendor has no API). With the simulated default every product stays simulated, so the
    app runs complete on one machine."""
    if settings.reseller_provider == "simulated":
        return {}
    from domain.vendors.manual import ManualProvider

    return {"manual": ManualProvider(portal_url=manual_portal(settings, catalog)), default.key: default}
